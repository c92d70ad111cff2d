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
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';

const common = new Map<string, string>();

/** The gitdir shared by every worktree of the repository that `gitdir` belongs to. */
export function commonDir(gitdir: string): string {
  let dir = common.get(gitdir);
  if (dir === undefined) {
    let text: string | undefined;
    try { text = readFileSync(join(gitdir, 'commondir'), 'utf8').trim(); } catch { text = undefined; }
    dir = text ? resolve(gitdir, text) : gitdir;
    common.set(gitdir, dir);
  }
  return dir;
}

/** Refs a worktree keeps for itself: HEAD and other names outside refs/, and three folders of refs/. */
const PER_WORKTREE = /^(?!refs\/)|^refs\/(?:worktree|bisect|rewritten)\//;

/** The gitdir that holds `ref` (a full ref name, or HEAD). */
export function refDir(gitdir: string, ref: string): string {
  return PER_WORKTREE.test(ref) ? gitdir : commonDir(gitdir);
}
