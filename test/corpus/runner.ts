/**
 * The corpus runner: reads a case file, builds the repository it describes (in a private
 * temporary folder beside an `outside/` folder that holds a secret), runs the case through the
 * CLI and through the library, and checks what the case expects plus what every case must
 * hold: no commit, no change to the working tree or refs, nothing written outside the
 * repository, nothing read from outside it, no stack trace, no raw control characters, and an
 * error that names the file and the field.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import YAML from 'yaml';
import { CLI, ROOT, git, tempDir, homeDir } from '../helpers/repo.js';
import { FILE_GENERATORS, expandDeep, expandString } from './generators.js';

export const CASES_DIR = join(ROOT, 'test', 'corpus', 'cases');

/** Written into every file of `outside/`; it must never appear in any output. */
export const SECRET = 'OUTSIDE_SECRET_b7e1c0de';

export interface Expect {
  /** The documented exit code (a list when more than one fix is acceptable). */
  exit: number | number[];
  /** check: the rule of the problem the case is about. */
  rule?: string;
  /** cli: the RegistryError code the library throws (a list when more than one is acceptable). */
  code?: string | string[];
  /** A phrase the message must contain. */
  message?: string;
  /** The file the error must name (repository-relative). */
  file?: string;
  /** The field the error must name. */
  field?: string;
  severity?: 'error' | 'warning';
  /** check cases that must pass: files that must have no error. */
  clean?: string[];
}

export interface Case {
  name: string;
  description: string;
  category: string;
  target: 'check' | 'cli';
  files?: Record<string, string>;
  generate?: Record<string, string>;
  symlinks?: Record<string, string>;
  outside?: Record<string, string>;
  /** Commit the files (default true); false leaves them untracked in the working tree. */
  commit?: boolean;
  /** cli: the arguments after `modelreg -C <repo>`. */
  cli?: string[];
  /** Why the CLI cannot be given this input at all (e.g. NUL in argv); the library part still runs. */
  cliUnsupported?: string;
  /** cli: the library operation (a method of openRegistry's result) and its input. */
  library?: { op: string; input: Record<string, unknown> };
  /** Run the library in a worker thread (memory limit, terminated on timeout) instead of in-process. */
  isolate?: boolean;
  limits?: { seconds?: number; heapMB?: number };
  expect: Expect;
}

const KNOWN_KEYS = new Set(['description', 'category', 'target', 'files', 'generate', 'symlinks', 'outside', 'commit', 'cli', 'cliUnsupported', 'library', 'isolate', 'limits', 'expect']);

export function caseFiles(): string[] {
  return readdirSync(CASES_DIR).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
}

export function loadCase(file: string): Case {
  const text = readFileSync(join(CASES_DIR, file), 'utf8');
  const raw = (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { uniqueKeys: true })) as Record<string, unknown>;
  for (const k of Object.keys(raw)) if (!KNOWN_KEYS.has(k)) throw new Error(`${file}: unknown key ${k}`);
  const c = { ...raw, name: file } as unknown as Case;
  if (!c.description || !c.category || !c.expect || c.expect.exit === undefined) throw new Error(`${file}: description, category and expect.exit are required`);
  if (c.target !== 'check' && c.target !== 'cli') throw new Error(`${file}: target must be check or cli`);
  if (c.target === 'cli' && (!c.cli || !c.library)) throw new Error(`${file}: a cli case needs cli and library`);
  if (c.target === 'check' && c.expect.exit !== 0 && !c.expect.rule) throw new Error(`${file}: a failing check case needs expect.rule`);
  if (c.target === 'cli' && !c.expect.code && c.expect.exit !== 0) throw new Error(`${file}: a failing cli case needs expect.code`);
  return c;
}

// ------------------------------------------------------------------ the repository

export interface Built {
  parent: string;
  dir: string;
  outside: string;
  home: string;
}

const DEFAULT_OUTSIDE: Record<string, string> = {
  'secret.yaml': `# ${SECRET}\n${SECRET}: do not read\nname: churn\n`,
  'registry/churn/model.yaml': `name: churn\n${SECRET}: 1\ncreated: {at: 2024-01-01T00:00:00Z, by: mallory@example.com}\n`,
  'registry/churn/versions/9.9.9.yaml': `model: churn\nversion: 9.9.9\nstage: Production\nartifact: {uri: "s3://evil/${SECRET}"}\n${SECRET}: 1\ncreated: {at: 2024-01-01T00:00:00Z, by: mallory@example.com}\n`,
};

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** Builds `<tmp>/repo` (the case's files, committed on main) beside `<tmp>/outside` and `<tmp>/home`. */
export async function buildRepo(c: Case): Promise<Built> {
  await homeDir();
  const parent = await tempDir('modelreg-corpus-');
  const dir = join(parent, 'repo');
  const outside = join(parent, 'outside');
  const home = join(parent, 'home');
  await mkdir(dir);
  await mkdir(home);
  for (const [p, t] of Object.entries({ ...DEFAULT_OUTSIDE, ...(c.outside ?? {}) })) await put(join(outside, p), t);
  git(dir, ['init', '-q', '-b', 'main']);
  await writeFile(join(dir, '.git', 'config'), `${await readFile(join(dir, '.git', 'config'), 'utf8')}[core]\n\tautocrlf = false\n\tquotePath = false\n`);
  for (const [p, t] of Object.entries(c.files ?? {})) await put(join(dir, expandString(p)), expandString(t));
  for (const [p, g] of Object.entries(c.generate ?? {})) {
    const gen = FILE_GENERATORS[g];
    if (!gen) throw new Error(`${c.name}: unknown generator ${g}`);
    const full = join(dir, expandString(p));
    await mkdir(dirname(full), { recursive: true });
    await gen(full);
  }
  for (const [p, target] of Object.entries(c.symlinks ?? {})) {
    const full = join(dir, expandString(p));
    await mkdir(dirname(full), { recursive: true });
    await symlink(target, full);
  }
  if (c.commit !== false) {
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '--allow-empty', '-m', 'corpus case files']);
  }
  return { parent, dir, outside, home };
}

/** A copy of a built repository (and its outside/ and home/), so each run starts from the same state without rebuilding it. */
export async function copyRepo(b: Built): Promise<Built> {
  const parent = await tempDir('modelreg-corpus-');
  await cp(b.parent, parent, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return { parent, dir: join(parent, 'repo'), outside: join(parent, 'outside'), home: join(parent, 'home') };
}

export interface RepoState {
  commits: number;
  head: string;
  status: string;
  refs: string;
  /** Lock files in .git (a writer that died or forgot to release its lock leaves one). */
  locks: string;
  /** Entries at the top of .git other than Git's own and modelreg's cache (a registry written into .git). */
  gitEntries: string;
}

/** What Git (and modelreg's cache) may add at the top of .git during a run. */
const GIT_OWN = new Set(['index', 'logs', 'COMMIT_EDITMSG', 'ORIG_HEAD', 'FETCH_HEAD', 'packed-refs', 'modelreg', 'modelreg.lock']);

/** Every ref of the repository (loose and packed), read from the files. */
async function readRefs(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(`${relative(join(dir, '.git'), full)} ${(await readFile(full, 'utf8')).trim()}`);
    }
  };
  await walk(join(dir, '.git', 'refs'));
  const packed = await readFile(join(dir, '.git', 'packed-refs'), 'utf8').catch(() => '');
  return [...out.sort(), packed].join('\n');
}

/** `*.lock` files anywhere in .git but the object store. */
async function lockFiles(gitdir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name === 'objects') continue;
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.lock')) out.push(relative(gitdir, full));
    }
  };
  await walk(gitdir);
  return out.sort().join(' ');
}

/** What must not change: commits, HEAD, refs, the working tree and index, and lock files in .git. */
export async function repoState(dir: string): Promise<RepoState> {
  const count = git(dir, ['rev-list', '--count', 'HEAD'], { allowFail: true });
  return {
    commits: count.code === 0 ? Number(count.stdout.trim()) : 0,
    head: (await readFile(join(dir, '.git', 'HEAD'), 'utf8')).trim(),
    status: git(dir, ['status', '--porcelain', '--untracked-files=all', '--ignored']).stdout,
    refs: await readRefs(dir),
    locks: await lockFiles(join(dir, '.git')),
    gitEntries: (await readdir(join(dir, '.git'))).filter((f) => !GIT_OWN.has(f)).sort().join(' '),
  };
}

/** Every entry under `root` (never following links) with its type, size and content hash; `skip` is excluded. */
export async function snapshotTree(root: string, skip: string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const full = join(d, name);
      const rel = relative(root, full);
      if (skip.includes(rel)) continue;
      const s = await lstat(full);
      if (s.isSymbolicLink()) out.set(rel, `link ${await readlink(full)}`);
      else if (s.isDirectory()) { out.set(rel, 'dir'); await walk(full); }
      else out.set(rel, `file ${s.size} ${s.mtimeMs} ${createHash('sha1').update(await readFile(full)).digest('hex')}`);
    }
  };
  await walk(root);
  return out;
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push(`${a.has(k) ? 'changed' : 'added'}: ${k}`);
  for (const k of a.keys()) if (!b.has(k)) out.push(`removed: ${k}`);
  return out;
}

// ------------------------------------------------------------------ running

export const NOW = '2024-06-01T12:00:00Z';
export const ACTOR = { name: 'Ada Lovelace', email: 'ada@example.com' };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock time. */
  ms: number;
  /** CPU time (user + system) the CLI reported on exit; undefined when it was killed. */
  cpuMs?: number;
  timedOut: boolean;
}

const CPU_PRELOAD = new URL('./cpu-preload.mjs', import.meta.url).href;

/** `node bin/modelreg.js -C DIR ARGS`, killed after `timeoutMs` of wall-clock time. */
export function runCli(dir: string, home: string, args: string[], timeoutMs: number): Promise<CliRun> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('The CLI is not built: run `node scripts/build.mjs` first.');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, LANG: 'C', LC_ALL: 'C', TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: ACTOR.name, GIT_AUTHOR_EMAIL: ACTOR.email,
    GIT_AUTHOR_DATE: '@1717243200 +0000', GIT_COMMITTER_DATE: '@1717243200 +0000',
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', CPU_PRELOAD, CLI, '-C', dir, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let usage = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d) => { if (stdout.length < 4 << 20) stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d) => { if (stderr.length < 4 << 20) stderr += d; });
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d) => { usage += d; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let cpuMs: number | undefined;
      try { cpuMs = (JSON.parse(usage) as { cpuMs: number }).cpuMs; } catch { cpuMs = undefined; }
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: Date.now() - started, cpuMs, timedOut });
    });
  });
}

export type LibOutcome =
  | { kind: 'ok'; result: unknown; ms: number; heapMB?: number }
  | { kind: 'error'; error: { name?: string; code?: string; message: string; exitCode?: number; stack?: string; data?: unknown }; registryError: boolean; ms: number; heapMB?: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'out-of-memory'; ms: number; message: string };

function libOptions(dir: string, home: string) {
  return { dir, identity: ACTOR, env: { HOME: home, PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' }, nowIso: NOW };
}

/** The library, in this process (the TypeScript sources). */
export async function runLibraryInProcess(op: string, input: Record<string, unknown> | undefined, dir: string, home: string): Promise<LibOutcome> {
  const lib = await import('../../src/index.js');
  const { nowIso, ...opts } = libOptions(dir, home);
  const before = process.memoryUsage();
  const started = Date.now();
  try {
    const reg = await lib.openRegistry({ ...opts, now: () => new Date(nowIso) });
    const result = await (reg as unknown as Record<string, (i: unknown) => Promise<unknown>>)[op](input);
    const ms = Date.now() - started;
    return { kind: 'ok', result, ms, heapMB: heapGrowth(before) };
  } catch (e) {
    const ms = Date.now() - started;
    const err = e as { name?: string; code?: string; message?: string; exitCode?: number; stack?: string; data?: unknown };
    return { kind: 'error', error: { name: err?.name, code: err?.code, message: String(err?.message ?? e), exitCode: err?.exitCode, stack: err?.stack, data: err?.data }, registryError: lib.isRegistryError(e), ms, heapMB: heapGrowth(before) };
  }
}

function heapGrowth(before: NodeJS.MemoryUsage): number {
  const after = process.memoryUsage();
  return Math.max(after.heapUsed - before.heapUsed, after.heapTotal - before.heapTotal, 0) / (1024 * 1024);
}

/** The library in a worker thread (the build), with a heap limit, terminated after `timeoutMs`. */
export function runLibraryIsolated(op: string, input: Record<string, unknown> | undefined, dir: string, home: string, timeoutMs: number, heapLimitMB: number): Promise<LibOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./isolated-worker.mjs', import.meta.url), {
      workerData: { lib: new URL('../../dist/index.js', import.meta.url).href, op, input, ...libOptions(dir, home) },
      resourceLimits: { maxOldGenerationSizeMb: heapLimitMB, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    let done = false;
    const finish = (o: LibOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: Date.now() - started }), timeoutMs);
    type Msg = { ok: boolean; result?: unknown; ms: number; heapMB: number; error?: { name?: string; code?: string; message: string; exitCode?: number; stack?: string; data?: unknown } };
    worker.on('message', (m: Msg) => {
      if (m.ok) finish({ kind: 'ok', result: m.result, ms: m.ms, heapMB: m.heapMB });
      else finish({ kind: 'error', error: m.error!, registryError: m.error?.name === 'RegistryError', ms: m.ms, heapMB: m.heapMB });
    });
    worker.on('error', (e: Error & { code?: string }) => finish(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { kind: 'out-of-memory', ms: Date.now() - started, message: e.message } : { kind: 'error', error: { name: e.name, code: e.code, message: e.message, stack: e.stack }, registryError: false, ms: Date.now() - started }));
    worker.on('exit', () => finish({ kind: 'error', error: { message: 'worker exited without an answer' }, registryError: false, ms: Date.now() - started }));
  });
}

// ------------------------------------------------------------------ what the output must say

/** Raw control characters other than tab and newline: a message must escape them. */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
/** An error message that echoes 100 KB of hostile input back is not a clear error. */
export const MAX_OUTPUT_CHARS = 16_384;

/** The printable parts of a path: a message may escape the control characters between them however it likes. */
export function printableParts(s: string): string[] {
  return s.split(/[\u0000-\u001f\u007f]+/).filter(Boolean);
}

export function exits(e: Expect): number[] {
  return Array.isArray(e.exit) ? e.exit : [e.exit];
}
export function codes(e: Expect): string[] {
  return e.code === undefined ? [] : Array.isArray(e.code) ? e.code : [e.code];
}

export function expandCase(c: Case): Case {
  return { ...c, cli: c.cli ? expandDeep(c.cli) : undefined, library: c.library ? expandDeep(c.library) : undefined, expect: expandDeep(c.expect) };
}
