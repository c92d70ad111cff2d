/**
 * Finding a repository and who is acting in it. The actor is who Git says: GIT_AUTHOR_NAME /
 * GIT_AUTHOR_EMAIL, then Git's effective config (storage/git-config.ts reads it as Git does).
 */
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';

/** Discovery stats a handful of paths: synchronously, as thread-pool round trips cost more. */
async function stat(p: string): Promise<Stats> {
  const s = statSync(p, { throwIfNoEntry: false });
  if (!s) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return s;
}
import { dirname, join, resolve } from 'node:path';
import { RegistryError } from '../errors/index.js';
import type { Person } from './object-reader.js';
import { commonDir } from './worktree.js';
import { GitConfigSyntaxError, gitAuthorIdent, readGitConfigLikeGit } from './git-config.js';
import { checkRepositoryFormat } from './format.js';
import { bugFault } from './fault.js';

export interface RepoPaths {
  /** The working tree, or undefined for a bare repository. */
  dir: string | undefined;
  gitdir: string;
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function looksBare(p: string): Promise<boolean> {
  return (await isDir(join(p, 'objects'))) && (await isDir(join(p, 'refs'))) && (await stat(join(p, 'HEAD')).catch(() => undefined)) !== undefined;
}

/**
 * The repository that contains `start` (its working tree or a bare repository), once its
 * format is one modelreg reads (storage/format.ts: UNSUPPORTED_REPOSITORY otherwise).
 */
export async function findRepo(start: string): Promise<RepoPaths> {
  const repo = await locateRepo(start);
  bugFault();
  checkRepositoryFormat(repo.gitdir);
  return repo;
}

/** The repository that contains `start`, whatever its format (init asks only whether one encloses a folder). */
export async function locateRepo(start: string): Promise<RepoPaths> {
  let cur = resolve(start);
  if (!(await stat(cur).catch(() => undefined))) {
    throw new RegistryError('NOT_A_REGISTRY', `${cur} does not exist. Pass -C with the folder of a registry repository, or create one with \`modelreg init\`.`, { dir: cur });
  }
  for (;;) {
    const dotgit = join(cur, '.git');
    const s = await stat(dotgit).catch(() => undefined);
    if (s?.isDirectory()) return { dir: cur, gitdir: dotgit };
    if (s?.isFile()) {
      const text = readFileSync(dotgit, 'utf8');
      const m = /^gitdir: (.*)$/m.exec(text);
      if (m) return { dir: cur, gitdir: resolve(cur, m[1].trim()) };
    }
    if (await looksBare(cur)) return { dir: undefined, gitdir: cur };
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  throw new RegistryError('NOT_A_REGISTRY', `${resolve(start)} is not inside a Git repository. Run \`modelreg init\` to create a registry there, or pass -C with the folder of one.`, { dir: resolve(start) });
}

export { parseGitConfig } from './git-config.js';

/**
 * Git's effective config for this repository, read as Git reads it (system, global, repository
 * and worktree files, include and includeIf, GIT_CONFIG_COUNT/KEY/VALUE, GIT_CONFIG_PARAMETERS).
 * A file Git would refuse is BAD_INPUT, naming the file and line.
 */
export async function readGitConfig(gitdir: string, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, string>> {
  return readGitConfigSync(gitdir, env);
}

/** `readGitConfig` without the async hop, for the object writer (storage/objects.ts), which asks once per operation. */
export function readGitConfigSync(gitdir: string, env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const read = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return undefined; } };
  const realpath = (path: string) => { try { return realpathSync(path); } catch { return undefined; } };
  try {
    return readGitConfigLikeGit({ gitdir: resolve(gitdir), commondir: resolve(commonDir(gitdir)), env, readFile: read, realpath });
  } catch (e) {
    if (!(e instanceof GitConfigSyntaxError)) throw e;
    throw new RegistryError('BAD_INPUT', `Git's config cannot be read: ${e.message}. Fix that line (Git refuses the file too: run \`git config --list\` to see).`, { file: e.file, line: e.line });
  }
}

/** Parses Git's date forms: `@1700000000 +0000`, `1700000000 +0100`, or an ISO 8601 date. */
export function parseGitDate(input: string): { timestamp: number; timezoneOffset: number } | undefined {
  const m = /^@?(\d+)(?:\s+([+-])(\d\d)(\d\d))?$/.exec(input.trim());
  if (m) {
    const off = m[2] ? (m[2] === '-' ? 1 : -1) * (Number(m[3]) * 60 + Number(m[4])) : 0;
    return { timestamp: Number(m[1]), timezoneOffset: off };
  }
  const t = Date.parse(input);
  return Number.isNaN(t) ? undefined : { timestamp: Math.floor(t / 1000), timezoneOffset: 0 };
}

export interface Identity {
  name: string;
  email: string;
  /** Groups a front end vouches for (a `serve` token's `groups`); guards see them in `actor.groups`. */
  groups?: string[];
}

/**
 * Who is acting, as Git would record the author: GIT_AUTHOR_NAME/EMAIL, author.* or user.* from
 * Git's effective config, $EMAIL. Unlike Git, never a guess from the login and host name.
 */
export async function resolveIdentity(gitdir: string, env: NodeJS.ProcessEnv = process.env): Promise<Identity> {
  const { name, email } = gitAuthorIdent(env, await readGitConfig(gitdir, env));
  if (!name || !email) {
    throw new RegistryError('NO_IDENTITY', 'Git does not know who you are, and modelreg records the actor of every change. Run `git config --global user.name "Your Name"` and `git config --global user.email you@example.com` (or set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL).', {});
  }
  return { name, email };
}

export function personAt(id: Identity, nowMs: number, dateEnv?: string): Person {
  const fixed = dateEnv ? parseGitDate(dateEnv) : undefined;
  return { name: id.name, email: id.email, timestamp: fixed?.timestamp ?? Math.floor(nowMs / 1000), timezoneOffset: fixed?.timezoneOffset ?? 0 };
}
