/**
 * Shared plumbing of the reliability suites (concurrency, remote concurrency, crashes): the
 * sizes of the default and long runs, the built CLI run as a separate process that may be
 * killed, and asynchronous git (the smart-HTTP test server answers from this same process,
 * so nothing that talks to it may block the event loop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, baseEnv, tempDir, type Person } from '../helpers/repo.js';

/** `npm run test:long` sets MODELREG_LONG=1: the sizes instead of the CI sizes. */
export const LONG = process.env.MODELREG_LONG === '1';

export const SIZES = {
  local: LONG ? { processes: 8, ops: 50 } : { processes: 4, ops: 8 },
  remote: LONG ? { clients: 8, registrations: 25 } : { clients: 4, registrations: 5 },
  crash: LONG ? { trials: 100 } : { trials: 10 },
};

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist'))) throw new Error('The CLI is not built: run `node scripts/build.mjs` first.');
}

let cliPath = CLI;
let buildRoot = ROOT;

/** The CLI the suites run (bin/modelreg.js of the build snapshot once taken). */
export function cliBin(): string {
  return cliPath;
}

/** The package root the CLI runs from (dist/ lives under it). */
export function packageRoot(): string {
  return buildRoot;
}

/**
 * Copies the built package (bin, dist, schemas, policies, package.json; node_modules linked) to
 * a private folder and runs the CLI from there, so a rebuild of dist/ in the working copy while
 * a long suite runs (other people build in the same tree) cannot hand a process half-written
 * modules. `npm test` builds first, so the copy is the build under test.
 */
export async function useBuildSnapshot(): Promise<void> {
  assertBuilt();
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const snap = await tempDir('modelreg-build-');
    for (const d of ['bin', 'dist', 'schemas', 'policies']) {
      if (existsSync(join(ROOT, d))) await cp(join(ROOT, d), join(snap, d), { recursive: true });
    }
    await cp(join(ROOT, 'package.json'), join(snap, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(snap, 'node_modules'), 'dir');
    const bin = join(snap, 'bin', 'modelreg.js');
    const r = await run(process.execPath, [bin, '--help'], { cwd: snap });
    if (r.code === 0) {
      cliPath = bin;
      buildRoot = snap;
      return;
    }
    last = r.stderr;
    await sleep(2000); // a rebuild may be under way: try again once it is done
  }
  throw new Error(`The built CLI does not start: ${last}`);
}

/** The environment a user's shell would give the CLI: nothing of ours but PATH. */
export function cliEnv(home: string, who: Person, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv(home), GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  pid: number;
}

export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Starts `node bin/modelreg.js ARGS`; `done` resolves with the exit code or the signal. */
export function startCli(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, pid: child.pid ?? -1 }));
  });
  return { child, done };
}

export function runCli(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return startCli(args, opts).done;
}

/** Any command, asynchronously. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Git with no user or system configuration, asynchronously; throws on a non-zero exit. */
export async function gitA(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const env = { PATH: process.env.PATH, HOME: tmpdir(), LANG: 'C', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', ...extraEnv };
  const r = await run('git', args, { cwd, env });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export interface Commit {
  commit: string;
  parents: string[];
  subject: string;
  trailers: Record<string, string>;
}

/** First-parent-agnostic log of `rev` (every reachable commit), newest first. */
export async function logOf(gitArgsPrefix: string[], cwd: string, rev = 'HEAD', extra: string[] = []): Promise<Commit[]> {
  const fmt = ['%H', '%P', '%s', '%(trailers:only,unfold)'].join('%x1f') + '%x1e';
  const out = await gitA(cwd, [...gitArgsPrefix, 'log', `--format=${fmt}`, ...extra, rev, '--']);
  return out.split('\x1e').map((s) => s.replace(/^\n/, '')).filter((s) => s.trim().length).map((rec) => {
    const [commit, parents, subject, trailerText] = rec.split('\x1f');
    const trailers: Record<string, string> = {};
    for (const line of (trailerText ?? '').split('\n')) {
      const m = /^(Modelreg-[A-Za-z0-9-]+): (.*)$/.exec(line);
      if (m) trailers[m[1]] = m[2];
    }
    return { commit, parents: parents ? parents.split(' ') : [], subject, trailers };
  });
}

/** `git fsck --strict` (dangling objects reported or not). */
export async function fsck(cwd: string, gitArgsPrefix: string[] = [], noDangling = false): Promise<{ code: number | null; output: string }> {
  const env = { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const r = await run('git', [...gitArgsPrefix, 'fsck', '--strict', '--no-progress', ...(noDangling ? ['--no-dangling'] : [])], { cwd, env });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** `git status --porcelain` with untracked files, without refreshing (writing) the index. */
export async function statusOf(cwd: string): Promise<string> {
  return (await gitA(cwd, ['status', '--porcelain', '--untracked-files=all'])).trimEnd();
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED = Number(process.env.MODELREG_SEED ?? Date.now() % 1_000_000);

/**
 * The figures a suite measured: printed, and written as JSON to MODELREG_FIGURES_DIR when set
 * (docs/reliability.md quotes them).
 */
export async function reportFigures(suite: string, figures: Record<string, unknown>): Promise<void> {
  const record = {
    suite,
    mode: LONG ? 'long' : 'default',
    date: new Date().toISOString(),
    machine: `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${process.platform}`,
    seed: SEED,
    ...figures,
  };
  console.log(`[reliability] ${JSON.stringify(record)}`);
  const dir = process.env.MODELREG_FIGURES_DIR;
  if (dir) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${suite}-${record.mode}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
