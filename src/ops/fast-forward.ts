/**
 * Moving a branch the write path did not write: fast-forwarding to a fetched remote tip (and
 * back, when a pushed commit is rejected), with the working tree and index of a branch that is
 * checked out here kept in step, and the refusal to move a branch checked out elsewhere.
 */
import { RegistryError } from '../errors/index.js';
import { acquireLock } from '../storage/lock.js';
import { readRef, compareAndSwapRef } from '../storage/refs.js';
import { assertClean, syncWorktree, worktreeTracks } from '../storage/write.js';
import { changedPaths } from '../storage/history.js';
import { checkedOutElsewhere, worktreeExists } from '../storage/worktree.js';
import { personAt } from '../storage/repo.js';
import type { Context } from './context.js';

export const shortRef = (ref: string) => ref.replace(/^refs\/heads\//, '');

/**
 * Refuses to move a branch that another checkout of the repository (a linked worktree, or the
 * main one) has checked out: its files and index would be left behind the branch. Git refuses
 * the same ("is already used by worktree").
 */
export function assertNotCheckedOutElsewhere(ctx: Context, ref: string): void {
  const elsewhere = checkedOutElsewhere(ctx.repo.gitdir, ref);
  if (elsewhere) {
    const next = worktreeExists(elsewhere) ? 'Run the command there, or switch that checkout to another branch first.' : 'That folder is gone: run `git worktree prune`, then try again.';
    throw new RegistryError('CONFLICT', `${shortRef(ref)} is checked out in ${elsewhere}; changing it from here would leave that checkout's files and index behind the branch. ${next}`, { ref, worktree: elsewhere });
  }
}

/** Moves `ref` from `from` to `to` (a fast-forward, or back to a parent), updating the working tree when it tracks the ref. Caller holds the lock. */
export async function fastForwardLocked(ctx: Context, ref: string, from: string | undefined, to: string): Promise<void> {
  const store = ctx.store();
  const tracks = await worktreeTracks(ctx.repo, ref);
  if (!tracks) assertNotCheckedOutElsewhere(ctx, ref);
  const fromTree = from ? (await store.readCommit(from)).tree : undefined;
  const toTree = (await store.readCommit(to)).tree;
  const changed = tracks ? await changedPaths(store, fromTree, toTree) : [];
  if (tracks) await assertClean(ctx.repo, store, fromTree, changed.map((c) => c.path));
  const who = personAt(await ctx.identity().catch(() => ({ name: 'modelreg', email: 'modelreg@localhost' })), ctx.now().getTime());
  await compareAndSwapRef(ctx.repo.gitdir, ref, from, to, { who, message: `modelreg: fast-forward to ${to.slice(0, 12)}` });
  if (tracks) {
    const files = [];
    for (const c of changed) files.push({ path: c.path, content: c.after ? await store.readText(c.after) : null, oid: c.after ?? null });
    await syncWorktree(ctx.repo, files);
  }
}

/** Fetches the registry branch and fast-forwards the local branch to it; refuses when they diverge. */
export async function syncFromRemote(ctx: Context, ref: string, token: string | undefined): Promise<{ from?: string; to?: string; changed: boolean }> {
  const remote = await import('../storage/remote.js');
  const { isAncestor } = await import('../storage/ancestry.js');
  const remoteTip = await remote.fetchBranch(ctx.repo, ref, { token, onProgress: ctx.options.onProgress, ...(ctx.options.remote ? { remote: ctx.options.remote } : {}) });
  if (!remoteTip) return { changed: false };
  const lock = await acquireLock(ctx.repo.gitdir, { ref, timeoutMs: ctx.options.lockTimeoutMs });
  try {
    const local = await readRef(ctx.repo.gitdir, ref);
    if (local === remoteTip) return { from: local, to: remoteTip, changed: false };
    const store = ctx.store();
    if (local && (await isAncestor(store, remoteTip, local))) return { from: local, to: local, changed: false };
    if (local && !(await isAncestor(store, local, remoteTip))) {
      throw new RegistryError('CONFLICT', `Your ${shortRef(ref)} has commits that are not on the remote, and the remote has commits you do not have. Push or rebase them with git (git pull --rebase), then run the command again.`, { local, remote: remoteTip });
    }
    await fastForwardLocked(ctx, ref, local, remoteTip);
    return { from: local, to: remoteTip, changed: true };
  } finally {
    await lock.release();
  }
}
