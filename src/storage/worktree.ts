/**
 * Linked worktrees (`git worktree add`). A linked worktree's `.git` is a file naming its own
 * gitdir (`<repo>/.git/worktrees/NAME`), which holds only what is per worktree: HEAD, the
 * index, pseudo-refs and refs/worktree/, refs/bisect/, refs/rewritten/. Its `commondir` file
 * names the repository's own gitdir, where the objects, the other refs, packed-refs and the
 * config are shared by every worktree. In an ordinary repository the two are the same folder.
 *
 * Storage code keeps passing the per-worktree gitdir around and asks here where a shared
 * thing lives, so a write from a linked worktree lands in the objects and branches that Git
 * (and every other worktree) reads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseGitConfig } from './git-config.js';

function readSmall(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
}

/**
 * The gitdir shared by every worktree of the repository that `gitdir` belongs to. Read each
 * time (one small file, absent in an ordinary repository): no answer outlives a repository
 * that is moved or recreated while a process runs.
 */
export function commonDir(gitdir: string): string {
  // Asked first whether the file is there: a read of a missing file throws, and an error with its
  // stack cost more than the read (a write asks 20-30 times).
  const file = join(gitdir, 'commondir');
  const text = existsSync(file) ? readSmall(file) : undefined;
  return text ? resolve(gitdir, text) : gitdir;
}

export interface Worktree {
  /** The checkout's folder. */
  dir: string;
  /** Its own gitdir (the common one for the main checkout). */
  gitdir: string;
  /** What its HEAD names: a full branch ref, or a commit id when detached. */
  head: string | undefined;
}

/**
 * Every checkout of the repository: the main one (unless the repository is bare) and each
 * linked worktree listed under `<common>/worktrees/`, as `git worktree list` shows them.
 */
export function worktrees(gitdir: string): Worktree[] {
  const common = commonDir(gitdir);
  const out: Worktree[] = [];
  const head = (g: string) => {
    const t = readSmall(join(g, 'HEAD'));
    return t?.startsWith('ref: ') ? t.slice(5) : t;
  };
  // The main checkout, unless the repository is bare (a bare clone with linked worktrees is a
  // common layout, its folder often named .git); Git names it after the common gitdir.
  const bare = /^(true|yes|on|1)$/i.test(parseGitConfig(readSmall(join(common, 'config')) ?? '').get('core.bare') ?? 'false');
  if (!bare) out.push({ dir: basename(common) === '.git' ? dirname(common) : common, gitdir: common, head: head(common) });
  let names: string[] = [];
  try { names = readdirSync(join(common, 'worktrees')); } catch { names = []; }
  for (const name of names) {
    const g = join(common, 'worktrees', name);
    const dotgit = readSmall(join(g, 'gitdir'));
    if (dotgit) out.push({ dir: dirname(resolve(g, dotgit)), gitdir: g, head: head(g) });
  }
  return out;
}

/** The folder of another checkout of the repository whose HEAD is `ref`, if there is one. */
export function checkedOutElsewhere(gitdir: string, ref: string): string | undefined {
  const self = resolve(gitdir);
  return worktrees(gitdir).find((w) => w.head === ref && resolve(w.gitdir) !== self)?.dir;
}

/** Refs a worktree keeps for itself: HEAD and other names outside refs/, and three folders of refs/. */
const PER_WORKTREE = /^(?!refs\/)|^refs\/(?:worktree|bisect|rewritten)\//;

/** The gitdir that holds `ref` (a full ref name, or HEAD). */
export function refDir(gitdir: string, ref: string): string {
  return PER_WORKTREE.test(ref) ? gitdir : commonDir(gitdir);
}

/** Whether a checkout's folder is still there (a linked worktree whose folder was deleted is "prunable"). */
export function worktreeExists(dir: string): boolean {
  return existsSync(dir);
}
