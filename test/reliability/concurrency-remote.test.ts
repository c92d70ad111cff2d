/**
 * Concurrent clients of one remote: C clients, each with its own clone, each register R
 * versions of one model with `--push` at the same time, to one bare repository behind the real
 * smart-HTTP server (git http-backend). A rejected push fetches, re-plans on the new tip and
 * retries (up to 16 attempts); a command that still gives up (exit 3, CONFLICT) is run again by
 * the client, as its message says, and counted. At the end the server's main holds exactly
 * C × R registrations, every reported one exactly once, all versions distinct, the history
 * linear, and `git fsck --strict` is clean on the server; no client is left with a commit the
 * server does not have.
 *
 * Sizes: 4 × 5 by default, 8 × 25 with MODELREG_LONG=1 (npm run test:long).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { ADA, BOB, CAROL, MALLORY, homeDir, tempDir } from '../helpers/repo.js';
import { LONG, SEED, SIZES, cliBin, cliEnv, useBuildSnapshot, fsck, gitA, logOf, reportFigures, run, runCli, statusOf } from './util.js';
import { checkHistory, checkState, readLogs } from './verify.js';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const PEOPLE = [ADA, BOB, CAROL, MALLORY];
const { clients: C, registrations: R } = SIZES.remote;
/** How often a client runs a command again after it gave up on its own retries. */
const MAX_RERUNS = 20;

function runWorker(cfg: Record<string, unknown>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

describe(`concurrent remote clients (${C} clients × ${R} registrations, --push over smart HTTP)`, () => {
  let server: GitServer;
  let url: string;
  let bare: string;
  let home: string;
  let work: string;

  beforeAll(async () => {
    await useBuildSnapshot();
    home = await homeDir();
    server = await startGitServer();
    url = await server.createBare('registry');
    bare = join(server.root, 'registry.git');
    work = await tempDir('modelreg-conc-remote-');
    const seed = join(work, 'seed');
    const r = await runCli(['init', seed], { cwd: work, env: cliEnv(home, ADA) });
    expect(r.code, r.stderr).toBe(0);
    await gitA(seed, ['push', '-q', url, 'main:main']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('ends with exactly C × R registrations, all distinct, linear, fsck-clean on the server', async () => {
    const initial = (await logOf(['--git-dir', bare], work, 'main')).length;
    const clones: string[] = [];
    for (let i = 0; i < C; i++) {
      const d = join(work, `client-${i}`);
      await gitA(work, ['clone', '-q', url, d]);
      clones.push(d);
    }
    const logs = clones.map((_, i) => join(work, `client-${i}.jsonl`));
    const requestsBefore = server.requests;
    const t0 = performance.now();
    const codes = await Promise.all(clones.map((d, id) => runWorker({
      id, dir: d, log: logs[id], ops: R, seed: SEED * 17 + id, cli: cliBin(), mode: 'remote', models: ['churn'], maxReruns: MAX_RERUNS,
      env: cliEnv(home, PEOPLE[id % PEOPLE.length]),
    })));
    const seconds = (performance.now() - t0) / 1000;
    expect(codes.every((c) => c === 0), `worker exit codes ${codes}`).toBe(true);

    const entries = await readLogs(logs);
    const successes = entries.filter((e) => e.ok);
    const reruns = entries.filter((e) => !e.ok && e.rerun);
    const failures = entries.filter((e) => !e.ok && !e.rerun);
    const attempts = successes.map((s) => s.attempts ?? 1);

    const history = await logOf(['--git-dir', bare], work, 'main');
    const registrations = history.filter((c) => c.trailers['Modelreg-Action'] === 'register');
    const versions = registrations.map((c) => c.trailers['Modelreg-Version']);
    const h = checkHistory(history, successes, initial);
    const state = await checkState(work, ['--git-dir', bare], 'main', successes);
    const merges = (await gitA(work, ['--git-dir', bare, 'rev-list', '--merges', 'main'])).trim();
    const f = await fsck(work, ['--git-dir', bare]);
    // Dangling commits on the server are expected: the packs of rejected pushes stay until gc.
    const fsckOther = f.output.split('\n').filter((l) => l && !l.startsWith('dangling '));
    const notPushed = successes.filter((s) => s.pushed !== true);

    // Each client: its clone is intact, clean, and holds no commit the server lacks.
    const clientProblems: string[] = [];
    for (const [i, d] of clones.entries()) {
      const head = (await gitA(d, ['rev-parse', 'main'])).trim();
      const onServer = await run('git', ['--git-dir', bare, 'merge-base', '--is-ancestor', head, 'main'], { env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: home } });
      if (onServer.code !== 0) clientProblems.push(`client ${i}: main ${head.slice(0, 12)} is not on the server's main`);
      const cf = await fsck(d);
      if (cf.code !== 0) clientProblems.push(`client ${i}: git fsck --strict: ${cf.output}`);
      const st = await statusOf(d);
      if (st !== '') clientProblems.push(`client ${i}: git status --porcelain: ${st}`);
    }

    await reportFigures('concurrency-remote', {
      clients: C, registrationsPerClient: R, seconds: Number(seconds.toFixed(1)), httpRequests: server.requests - requestsBefore,
      successes: successes.length, serverRegistrations: registrations.length, distinctVersions: new Set(versions).size,
      pushAttempts: { total: attempts.reduce((a, b) => a + b, 0), max: Math.max(0, ...attempts), firstTry: attempts.filter((a) => a === 1).length },
      commandReruns: reruns.length, failures: failures.map((e) => `exit ${e.code} ${e.error ?? ''}: ${e.message}`),
      commits: history.length, initialCommits: initial, merges: merges ? merges.split('\n').length : 0,
      fsckClean: f.code === 0 && fsckOther.length === 0, fsckDanglingObjects: f.output.split('\n').filter((l) => l.startsWith('dangling ')).length, fsckOther, problems: [...h.problems, ...state, ...clientProblems],
    });

    expect(failures, 'commands that failed for good').toEqual([]);
    expect(notPushed, 'successes that were not pushed').toEqual([]);
    expect(h.problems, 'server history against the clients\' logs').toEqual([]);
    expect(state, 'registry files on the server against the logs').toEqual([]);
    expect(registrations.length).toBe(C * R);
    expect(new Set(versions).size, 'distinct versions').toBe(C * R);
    expect(merges, 'git rev-list --merges').toBe('');
    expect(history.length).toBe(initial + C * R);
    expect(f.code, f.output).toBe(0);
    expect(fsckOther, 'git fsck --strict on the server').toEqual([]);
    expect(clientProblems).toEqual([]);
  }, LONG ? 3_600_000 : 180_000);
});
