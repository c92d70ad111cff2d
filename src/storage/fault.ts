/**
 * Fault injection for the crash suite: when MODELREG_FAULT_AT names a point, the process kills
 * itself with SIGKILL there (as `kill -9` would), so tests can prove that a crash at any step
 * of a write leaves the old commit or the new one. Unset in normal use; costs one lookup.
 */
export type FaultPoint = 'lock-acquired' | 'objects-written' | 'ref-locked' | 'ref-updated' | 'worktree-partial' | 'index-locked';

const target = process.env.MODELREG_FAULT_AT;

export function faultPoint(name: FaultPoint): void {
  if (target === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * For the listing's worker thread (head-worker.ts): with MODELREG_FAULT_AT=head-worker the
 * thread throws on its first batch and dies, as a thread that crashed would; the tests prove
 * the main thread then reads the files itself and answers the same.
 */
export function workerFault(name: 'head-worker'): void {
  if (target === name) throw new Error(`fault injected at ${name}`);
}

/**
 * With MODELREG_FAULT_AT=bug, opening a repository throws a plain Error, as a defect would:
 * the test of the CLI's "this is a bug" path (exit 70) needs one now that a damaged
 * repository is a typed error (exit 5).
 */
export function bugFault(): void {
  if (target === 'bug') throw new Error('fault injected: an unexpected error (MODELREG_FAULT_AT=bug)');
}
