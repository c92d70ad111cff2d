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
