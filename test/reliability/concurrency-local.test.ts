/**
 * Concurrent writers on one repository: P processes each run N mixed operations (register with
 * auto-bump, tag, alias, transition) through the real CLI at the same time, and log every
 * operation that reported success. Then every success is in the history exactly once (by
 * commit id and by its Modelreg-* trailers), nothing is in the history that nobody reported,
 * the registered versions are distinct, the branch is linear, `git fsck --strict` is clean,
 * the working tree and index agree with HEAD, and the registry files hold what was reported.
 * A failure is allowed only as a lock timeout (exit 3, code LOCKED, a message saying so).
 *
 * Sizes: 4 × 8 by default, 8 × 50 with MODELREG_LONG=1 (npm run test:long).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADA, BOB, CAROL, MALLORY, homeDir, tempDir } from '../helpers/repo.js';
import { LONG, SEED, SIZES, cliBin, cliEnv, useBuildSnapshot, fsck, gitA, logOf, reportFigures, runCli, statusOf } from './util.js';
import { checkHistory, checkState, readLogs } from './verify.js';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const PEOPLE = [ADA, BOB, CAROL, MALLORY];
const { processes: P, ops: N } = SIZES.local;

function runWorker(cfg: Record<string, unknown>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

describe(`concurrent local writers (${P} processes × ${N} operations)`, () => {
  let dir: string;
  let home: string;

  beforeAll(async () => {
    await useBuildSnapshot();
    home = await homeDir();
    const parent = await tempDir('modelreg-conc-local-');
    dir = join(parent, 'registry');
    const r = await runCli(['init', dir], { cwd: parent, env: cliEnv(home, ADA) });
    expect(r.code, r.stderr).toBe(0);
  });

  it('loses nothing, duplicates nothing, keeps the branch linear and the repository clean', async () => {
    const initial = (await logOf([], dir, 'main')).length;
    const logs: string[] = [];
    const t0 = performance.now();
    const codes = await Promise.all(Array.from({ length: P }, (_, id) => {
      const log = join(dir, '..', `worker-${id}.jsonl`);
      logs.push(log);
      return runWorker({ id, dir, log, ops: N, seed: SEED * 31 + id, cli: cliBin(), mode: 'local', models: ['churn', 'fraud/detector'], env: cliEnv(home, PEOPLE[id % PEOPLE.length]) });
    }));
    const seconds = (performance.now() - t0) / 1000;
    expect(codes.every((c) => c === 0), `worker exit codes ${codes}`).toBe(true);

    const entries = await readLogs(logs);
    const successes = entries.filter((e) => e.ok);
    const failures = entries.filter((e) => !e.ok);
    expect(entries.length, 'every planned operation was logged').toBe(P * N);

    const history = await logOf([], dir, 'main');
    const h = checkHistory(history, successes, initial);
    const state = await checkState(dir, [], 'main', successes);
    const merges = (await gitA(dir, ['rev-list', '--merges', 'main'])).trim();
    const f = await fsck(dir);
    const status = await statusOf(dir);
    // Only a lock timeout may fail an operation here, with its own exit code and a clear message.
    const badFailures = failures.filter((e) => !(e.code === 3 && e.error === 'LOCKED' && /locked/i.test(e.message ?? '')));
    const check = await runCli(['check', '--json'], { cwd: dir, env: cliEnv(home, ADA) });

    const byOp = (list: typeof entries) => Object.fromEntries(['register', 'tag', 'alias', 'transition'].map((op) => [op, list.filter((e) => e.op === op).length]));
    await reportFigures('concurrency-local', {
      processes: P, operationsPerProcess: N, operations: entries.length, seconds: Number(seconds.toFixed(1)),
      successes: successes.length, successesByOp: byOp(successes), failures: failures.length,
      lockTimeouts: failures.filter((e) => e.code === 3 && e.error === 'LOCKED').length,
      otherFailures: badFailures.map((e) => `${e.op} exit ${e.code} ${e.error ?? ''}: ${e.message}`),
      commits: history.length, initialCommits: initial, merges: merges ? merges.split('\n').length : 0,
      fsckClean: f.code === 0 && f.output === '', statusClean: status === '', checkExit: check.code,
      problems: [...h.problems, ...state],
    });

    expect(h.problems, 'history against the logs').toEqual([]);
    expect(state, 'registry files against the logs').toEqual([]);
    expect(merges, 'git rev-list --merges').toBe('');
    expect(history.length).toBe(initial + successes.length);
    expect(f.code, f.output).toBe(0);
    expect(f.output, 'git fsck --strict').toBe('');
    expect(status, 'git status --porcelain').toBe('');
    expect(badFailures, 'failures other than a lock timeout (exit 3)').toEqual([]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    // The locks are gone once everyone is done.
    const leftovers = (await gitA(dir, ['rev-parse', '--git-dir'])).trim();
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(dir, leftovers))).filter((n) => n.endsWith('.lock') || n.includes('.takeover'))).toEqual([]);
  }, LONG ? 1_800_000 : 120_000);
});
