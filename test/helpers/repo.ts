/**
 * Test helpers: real Git repositories built from inline file trees, with a fixed identity and
 * fixed commit times, and the built CLI run as a user would run it. Every temporary folder is
 * removed after the test file (afterAll).
 *
 * @example
 * const dir = await makeRepo({ 'registry/churn/model.yaml': '...' });
 * const r = await runCli(['list', '--json'], { cwd: dir });
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export interface Person { name: string; email: string }

export const ADA: Person = { name: 'Ada Lovelace', email: 'ada@example.com' };
export const BOB: Person = { name: 'Bob Builder', email: 'bob@example.com' };
export const CAROL: Person = { name: 'Carol Reviewer', email: 'carol@example.com' };
export const MALLORY: Person = { name: 'Mallory Intruder', email: 'mallory@example.com' };

/** The project root (where bin/modelreg.js lives). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'bin', 'modelreg.js');

// ---------------------------------------------------------------- temporary folders

const temps: string[] = [];

/** A fresh temporary folder, removed after the test file. */
export async function tempDir(prefix = 'mrcore-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

export async function cleanup(): Promise<void> {
  const all = temps.splice(0);
  await Promise.all(all.map((d) => rm(d, { recursive: true, force: true })));
}

afterAll(cleanup);

/** An empty HOME, so no global Git config (user.name, hooks, templates) leaks into a test. */
let emptyHome: string | undefined;
export async function homeDir(): Promise<string> {
  if (!emptyHome) emptyHome = await tempDir('mrcore-home-');
  return emptyHome;
}

// ---------------------------------------------------------------- fixed time

/** 2024-01-01T00:00:00Z; every helper commit is one minute after the previous one. */
let tick = 1_704_067_200;
/** A Git date one minute after the last one handed out (`@<unix> +0000`). */
export function nextGitDate(): string {
  tick += 60;
  return `@${tick} +0000`;
}

/** A clock for `openRegistry({ now })` that stays where it is set. */
export function fixedClock(iso: string) {
  let t = new Date(iso).getTime();
  return {
    now: () => new Date(t),
    set(next: string) { t = new Date(next).getTime(); },
    advance(ms: number) { t += ms; },
  };
}

// ---------------------------------------------------------------- git

/** The environment a user's shell would give a command: nothing of ours but PATH, no system git config. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
}

export interface GitOptions {
  who?: Person;
  /** Git date for author and committer (default: the next fixed tick). */
  date?: string;
  env?: NodeJS.ProcessEnv;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
}

/** Runs the real `git` binary with a fixed identity and date; returns stdout. Throws on failure unless allowFail. */
export function git(dir: string, args: string[], opts: GitOptions = {}): { code: number; stdout: string; stderr: string } {
  const who = opts.who ?? ADA;
  const date = opts.date ?? nextGitDate();
  const home = emptyHome ?? tmpdir();
  const r = spawnSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: {
      ...baseEnv(home),
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email,
      GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date,
      ...opts.env,
    },
  });
  const out = { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (out.code !== 0 && !opts.allowFail) throw new Error(`git ${args.join(' ')} failed (${out.code}): ${out.stderr}`);
  return out;
}

/** Writes a file tree (null deletes a file) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string | Buffer | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) await unlink(full).catch(() => undefined);
    else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
}

export interface MakeRepoOptions {
  who?: Person;
  message?: string;
  /** Git date of the initial commit (default: the next fixed tick). */
  date?: string;
  /** Leave the files uncommitted (and the repository without commits). */
  noCommit?: boolean;
}

/**
 * A real Git repository (branch main) holding `files` in one commit. The repository sits in
 * its own private temporary folder (`<tmp>/repo`), so a test can check that nothing was
 * written beside it.
 */
export async function makeRepo(files: Record<string, string | Buffer> = {}, opts: MakeRepoOptions = {}): Promise<string> {
  await homeDir();
  const parent = await tempDir('mrcore-repo-');
  const dir = join(parent, 'repo');
  await mkdir(dir);
  git(dir, ['init', '-q', '-b', 'main']);
  await writeTree(dir, files);
  if (!opts.noCommit && Object.keys(files).length) {
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', opts.message ?? 'initial files'], { who: opts.who, date: opts.date });
  }
  return dir;
}

/** Commits `files` (null deletes) with plain git, as a person editing by hand would. Returns the new commit id. */
export async function commitFiles(dir: string, files: Record<string, string | Buffer | null>, message: string, opts: { who?: Person; date?: string } = {}): Promise<string> {
  await writeTree(dir, files);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message], opts);
  return headCommit(dir);
}

export function headCommit(dir: string, rev = 'HEAD'): string {
  return git(dir, ['rev-parse', rev]).stdout.trim();
}

export interface LogEntry {
  commit: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** Unix seconds */
  authorTime: number;
  subject: string;
  /** The whole message */
  message: string;
  trailers: Record<string, string>;
}

/** `git log` of `rev` (default HEAD), newest first; [] for a repository without commits. */
export function gitLog(dir: string, rev = 'HEAD'): LogEntry[] {
  const has = git(dir, ['rev-parse', '--verify', '-q', rev], { allowFail: true });
  if (has.code !== 0) return [];
  const fmt = ['%H', '%P', '%an', '%ae', '%at', '%s', '%B', '%(trailers:only,unfold)'].join('%x1f') + '%x1e';
  const out = git(dir, ['log', `--format=${fmt}`, rev]).stdout;
  return out.split('\x1e').map((s) => s.replace(/^\n/, '')).filter((s) => s.length).map((rec) => {
    const [commit, parents, authorName, authorEmail, at, subject, message, trailerText] = rec.split('\x1f');
    const trailers: Record<string, string> = {};
    for (const line of (trailerText ?? '').split('\n')) {
      const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
      if (m) trailers[m[1]] = m[2];
    }
    return { commit, parents: parents ? parents.split(' ') : [], authorName, authorEmail, authorTime: Number(at), subject, message, trailers };
  });
}

/** `git fsck --strict`: its output (stdout and stderr) and exit code. */
export function gitFsck(dir: string): { code: number; output: string } {
  const r = git(dir, ['fsck', '--strict', '--no-progress'], { allowFail: true });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** `git status --porcelain` (untracked files included); '' when clean. */
export function gitStatus(dir: string): string {
  return git(dir, ['status', '--porcelain', '--untracked-files=all']).stdout.trimEnd();
}

/** Commits reachable from HEAD (0 for a repository without commits). */
export function commitCount(dir: string): number {
  const r = git(dir, ['rev-list', '--count', 'HEAD'], { allowFail: true });
  return r.code === 0 ? Number(r.stdout.trim()) : 0;
}

/** Paths changed by `rev` against its first parent. */
export function changedFiles(dir: string, rev = 'HEAD'): string[] {
  return git(dir, ['diff', '--name-only', `${rev}~1`, rev]).stdout.trim().split('\n').filter(Boolean).sort();
}

/** The `-`/`+` lines of `git diff -U0 from to -- path` (without the ---/+++ headers). */
export function diffLines(dir: string, from = 'HEAD~1', to = 'HEAD', path?: string): string[] {
  const args = ['diff', '-U0', from, to, ...(path ? ['--', path] : [])];
  return git(dir, args).stdout.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
}

/** Every file and folder under `dir` (relative paths, sorted), `.git` included unless excluded. */
export async function listTree(dir: string, opts: { skipGit?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (opts.skipGit && e.name === '.git') continue;
      // modelreg's parsed-file cache (.git/modelreg/) is not repository state: reads fill it.
      if (e.name === 'modelreg' && d.endsWith('.git')) continue;
      out.push(relative(dir, full) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) await walk(full);
    }
  };
  await walk(dir);
  return out.sort();
}

// ---------------------------------------------------------------- the CLI

export interface CliResult { code: number; stdout: string; stderr: string }

export interface CliOptions {
  cwd: string;
  /** Added to (or, with undefined values, removed from) the environment. */
  env?: Record<string, string | undefined>;
  /** The acting person (default ADA); ignored when env sets GIT_AUTHOR_*. */
  who?: Person;
  /** Git date of the commit the command writes (default: the next fixed tick). */
  date?: string;
}

/**
 * Runs `node bin/modelreg.js ARGS` with a fixed identity and commit date, HOME set to an empty
 * folder, and nothing else of the parent's environment but PATH.
 */
export async function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'modelreg.cjs'))) throw new Error('The CLI is not built: run `node scripts/build.mjs` first.');
  const who = opts.who ?? ADA;
  const date = opts.date ?? nextGitDate();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(await homeDir()),
    GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email,
    GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date,
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

// ---------------------------------------------------------------- registry file trees

/** A model.yaml as the tool writes it. */
export function modelYaml(name: string, extra = '', who: Person = ADA): string {
  return `# yaml-language-server: $schema=../../.modelreg/schemas/model.schema.json
name: ${name}
owners:
  - ${who.email}
${extra}created:
  at: 2024-01-01T00:00:00Z
  by: ${who.email}
`;
}

/** A versions/X.Y.Z.yaml as the tool writes it. */
export function versionYaml(model: string, version: string, stage = 'None', extra = '', who: Person = ADA): string {
  return `# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json
model: ${model}
version: ${version}
stage: ${stage}
artifact:
  uri: s3://models/${model}/${version}
${extra}created:
  at: 2024-01-01T00:00:00Z
  by: ${who.email}
`;
}

/** modelreg.yaml with the defaults spelled out. */
export const CONFIG_YAML = `apiVersion: modelreg/v1
kind: Registry
registry: registry
policies: policies
`;
