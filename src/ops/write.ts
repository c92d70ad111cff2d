/**
 * The write path every change goes through: take the repository lock, read the state at the
 * branch tip, plan the change (pure), refuse to overwrite uncommitted edits, write one commit,
 * move the branch by compare-and-swap, update the working tree and index, release the lock.
 * With `push`, a rejected push fetches, re-plans on the new tip and retries.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import { formatCommitMessage, type CommitMessage } from '../domain/trailers.js';
import { acquireLock } from '../storage/lock.js';
import { readRef, fullBranchRef, compareAndSwapRef } from '../storage/refs.js';
import { assertClean, syncWorktree, worktreeTracks, writeCommit, type FileChange } from '../storage/write.js';
import { changedPaths } from '../storage/history.js';
import { checkedOutElsewhere, worktreeExists } from '../storage/worktree.js';
import { personAt } from '../storage/repo.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';

export interface WriteOptions {
  /** Write on a new (or existing) branch instead of the registry branch; `true` derives a name. */
  branch?: string | boolean;
  /** Push after committing; a rejected push re-plans on the new remote tip. */
  push?: boolean;
  /** Plan and evaluate, but write nothing. */
  dryRun?: boolean;
  /** Maximum push attempts (default 8). */
  maxAttempts?: number;
}

export interface Planned<R> {
  changes: FileChange[];
  message: CommitMessage;
  result: R;
  /** The branch name `--branch` uses when given no name. */
  branchName?: string;
}

export interface WriteOutcome {
  /** The new commit, undefined for a dry run or when nothing changed. */
  commit?: string;
  /** The branch written (short name). */
  branch: string;
  pushed?: boolean;
  attempts?: number;
}

const shortRef = (ref: string) => ref.replace(/^refs\/heads\//, '');

/**
 * Refuses to move a branch that another checkout of the repository (a linked worktree, or the
 * main one) has checked out: its files and index would be left behind the branch. Git refuses
 * the same ("is already used by worktree").
 */
function assertNotCheckedOutElsewhere(ctx: Context, ref: string): void {
  const elsewhere = checkedOutElsewhere(ctx.repo.gitdir, ref);
  if (elsewhere) {
    const next = worktreeExists(elsewhere) ? 'Run the command there, or switch that checkout to another branch first.' : 'That folder is gone: run `git worktree prune`, then try again.';
    throw new RegistryError('CONFLICT', `${shortRef(ref)} is checked out in ${elsewhere}; changing it from here would leave that checkout's files and index behind the branch. ${next}`, { ref, worktree: elsewhere });
  }
}

/** A writer died holding the lock: bring the working tree and index of registry files up to the tip. */
async function repairAfterCrash(ctx: Context, store: ReturnType<Context['store']>, ref: string): Promise<void> {
  if (!(await worktreeTracks(ctx.repo, ref))) return;
  const { repair } = await import('../storage/doctor.js');
  const tip = await readRef(ctx.repo.gitdir, ref);
  const cfg = await ctx.snapshot(store, tip, tip ? (await store.readCommit(tip)).tree : undefined).config();
  const report = await repair(ctx.repo, store, tip, [cfg.registry, cfg.policies, 'modelreg.yaml'], []);
  if (report.repaired.length) ctx.options.onProgress?.(`repaired after an interrupted command: ${report.repaired.join(', ')}`);
}

/** Fast-forwards `ref` from `from` to `to`, updating the working tree when it tracks the ref. Caller holds the lock. */
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

async function commitOnce<R>(ctx: Context, opts: WriteOptions, plan: (snap: Snapshot) => Promise<Planned<R>>): Promise<R & WriteOutcome> {
  const target = await ctx.targetRef();
  // A dry run reads a snapshot and writes nothing: it takes no lock, so a slow evaluation never blocks writers.
  const lock = opts.dryRun ? { recovered: false, release: async () => undefined } : await acquireLock(ctx.repo.gitdir, { ref: target, timeoutMs: ctx.options.lockTimeoutMs });
  try {
    const store = ctx.store();
    if (lock.recovered) await repairAfterCrash(ctx, store, target);
    const baseTip = await readRef(ctx.repo.gitdir, target);
    let ref = target;
    let tip = baseTip;
    let planned: Planned<R>;
    if (opts.branch) {
      // Plan on the base branch first to learn the default name, then on the branch if it exists.
      const baseSnap = ctx.snapshot(store, baseTip, baseTip ? (await store.readCommit(baseTip)).tree : undefined);
      planned = await plan(baseSnap);
      const name = typeof opts.branch === 'string' ? opts.branch : planned.branchName ?? `modelreg/change-${Date.now()}`;
      ref = fullBranchRef(name);
      tip = await readRef(ctx.repo.gitdir, ref);
      if (tip) planned = await plan(ctx.snapshot(store, tip, (await store.readCommit(tip)).tree));
      else tip = baseTip;
    } else {
      planned = await plan(ctx.snapshot(store, tip, tip ? (await store.readCommit(tip)).tree : undefined));
    }
    if (opts.dryRun || planned.changes.length === 0) return { ...planned.result, branch: shortRef(ref) };
    const tipTree = tip ? (await store.readCommit(tip)).tree : undefined;
    const tracks = await worktreeTracks(ctx.repo, ref);
    if (tracks) await assertClean(ctx.repo, store, tipTree, planned.changes.map((c) => c.path));
    else assertNotCheckedOutElsewhere(ctx, ref);
    const id = await ctx.identity();
    const now = ctx.now().getTime();
    const author = personAt(id, now, ctx.env.GIT_AUTHOR_DATE);
    const committer = personAt({ name: ctx.env.GIT_COMMITTER_NAME || id.name, email: ctx.env.GIT_COMMITTER_EMAIL || id.email }, now, ctx.env.GIT_COMMITTER_DATE);
    const isNewBranch = ref !== target && !(await readRef(ctx.repo.gitdir, ref));
    const written = await writeCommit(ctx.repo, store, {
      ref, parent: tip, expectedRef: isNewBranch ? undefined : tip, baseTree: tipTree, changes: planned.changes, message: formatCommitMessage(planned.message), author, committer, worktree: tracks,
    });
    return { ...planned.result, commit: written.commit, branch: shortRef(ref) };
  } finally {
    await lock.release();
  }
}

/**
 * Runs one planned change as one commit (and pushes it when asked).
 * @example await runWrite(ctx, {}, async (snap) => ({ changes, message, result }))
 */
export async function runWrite<R>(ctx: Context, opts: WriteOptions, plan: (snap: Snapshot) => Promise<Planned<R>>): Promise<R & WriteOutcome> {
  if (!opts.push) return commitOnce(ctx, opts, plan);
  const remote = await import('../storage/remote.js');
  const token = remote.remoteToken(ctx.env);
  const maxAttempts = opts.maxAttempts ?? 16;
  const target = await ctx.targetRef();
  // With --branch, the target branch is only the base: when another checkout has it checked
  // out, it is not moved (Git refuses as well) and the change is planned on its local tip.
  const baseElsewhere = opts.branch ? checkedOutElsewhere(ctx.repo.gitdir, target) : undefined;
  for (let attempt = 1; ; attempt++) {
    if (baseElsewhere) ctx.options.onProgress?.(`${shortRef(target)} is checked out in ${baseElsewhere}: not fast-forwarding it; the branch starts from its local tip`);
    else await syncFromRemote(ctx, target, token);
    const out = await commitOnce(ctx, opts, plan);
    if (!out.commit) return { ...out, pushed: false, attempts: attempt };
    const ref = fullBranchRef(out.branch);
    try {
      await remote.pushBranch(ctx.repo, ref, ref, { token, onProgress: ctx.options.onProgress });
      return { ...out, pushed: true, attempts: attempt };
    } catch (e) {
      if (!isRegistryError(e, 'CONFLICT')) throw e;
      // Drop our unpushed commit (it is recomputed on the new tip) and try again.
      const lock = await acquireLock(ctx.repo.gitdir, { ref, timeoutMs: ctx.options.lockTimeoutMs });
      try {
        const parent = (await ctx.store().readCommit(out.commit)).parents[0];
        if (parent && ref === target) await fastForwardLocked(ctx, ref, out.commit, parent);
        else if (ref !== target) await compareAndSwapRef(ctx.repo.gitdir, ref, out.commit, parent ?? out.commit, { who: personAt(await ctx.identity(), Date.now()), message: 'modelreg: drop rejected commit' });
      } finally {
        await lock.release();
      }
      if (attempt >= maxAttempts) {
        throw new RegistryError('CONFLICT', `The push was rejected ${attempt} times because others pushed at the same time. Nothing was lost; run the command again.`, { attempts: attempt });
      }
      ctx.options.onProgress?.(`push rejected (attempt ${attempt}); fetching and retrying`);
      // Full-jitter exponential back-off: a fetch and push takes about a second, so waits must grow past it.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(3000, 100 * 2 ** attempt)));
    }
  }
}

/** Fetches the registry branch and fast-forwards the local branch to it; refuses when they diverge. */
export async function syncFromRemote(ctx: Context, ref: string, token: string | undefined): Promise<{ from?: string; to?: string; changed: boolean }> {
  const remote = await import('../storage/remote.js');
  const { isAncestor } = await import('../storage/ancestry.js');
  const remoteTip = await remote.fetchBranch(ctx.repo, ref, { token, onProgress: ctx.options.onProgress });
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
