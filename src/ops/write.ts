/**
 * The write path every change goes through (docs/internals.md, "Writing: one change, one
 * commit"): 1. take the repository lock; 2. read the state at the branch tip; 3. plan the
 * change (pure); 4. refuse to overwrite uncommitted edits; 5. write the blobs, the trees on the
 * changed paths and the commit; 6. move the branch by compare-and-swap; 7. update the working
 * tree and index of the touched paths; 8. release the lock. With `push`, ops/push-retry.ts
 * pushes the commit and runs this again on the new tip when the push is rejected.
 */
import { formatCommitMessage, type CommitMessage } from '../domain/trailers.js';
import { acquireLock } from '../storage/lock.js';
import { readRef, fullBranchRef } from '../storage/refs.js';
import { assertClean, worktreeTracks, writeCommit, type FileChange } from '../storage/write.js';
import { personAt } from '../storage/repo.js';
import type { ObjectStore } from '../storage/objects.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';
import { assertNotCheckedOutElsewhere, shortRef } from './fast-forward.js';
import { pushWithRetry } from './push-retry.js';

export interface WriteOptions {
  /** Write on a new (or existing) branch instead of the registry branch; `true` derives a name. */
  branch?: string | boolean;
  /** Push after committing; a rejected push re-plans on the new remote tip. */
  push?: boolean;
  /** Plan and evaluate, but write nothing. */
  dryRun?: boolean;
  /** Maximum push attempts (default 16). */
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
  /** A dry run: the commit the change would make (what a preview shows before anyone confirms). */
  planned?: PlannedCommit;
}

/** The commit a dry run would have written: its message and each file before and after. */
export interface PlannedCommit {
  message: CommitMessage;
  files: Array<{ path: string; before?: string; after?: string }>;
}

/** A writer died holding the lock: bring the working tree and index of registry files up to the tip. */
async function repairAfterCrash(ctx: Context, store: ObjectStore, ref: string): Promise<void> {
  if (!(await worktreeTracks(ctx.repo, ref))) return;
  const { repair } = await import('../storage/doctor.js');
  const tip = await readRef(ctx.repo.gitdir, ref);
  const cfg = await (await snapshotAtCommit(ctx, store, tip)).config();
  const report = await repair(ctx.repo, store, tip, [cfg.registry, cfg.policies, 'modelreg.yaml'], []);
  if (report.repaired.length) ctx.options.onProgress?.(`repaired after an interrupted command: ${report.repaired.join(', ')}`);
}

async function snapshotAtCommit(ctx: Context, store: ObjectStore, commit: string | undefined): Promise<Snapshot> {
  // The checkout may serve a read of every version file (the first registration of a clone:
  // BulkLister.numbersOf); each file is taken only when it hashes to the blob id in the tree.
  const snap = ctx.snapshot(store, commit, commit ? (await store.readCommit(commit)).tree : undefined, ctx.repo.dir);
  // A failed write leaves nothing behind, caches included; a committed one stores what it learned (register.ts).
  snap.keepDerived = false;
  return snap;
}

/**
 * Steps 2-3: the branch to write and the plan on its tip. With `branch`, the plan on the target
 * branch's tip names the new branch; when that branch exists, the change is planned again on it.
 */
async function planOnTip<R>(ctx: Context, store: ObjectStore, target: string, opts: WriteOptions, plan: (snap: Snapshot) => Promise<Planned<R>>): Promise<{ ref: string; tip: string | undefined; planned: Planned<R> }> {
  const baseTip = await readRef(ctx.repo.gitdir, target);
  const planned = await plan(await snapshotAtCommit(ctx, store, baseTip));
  if (!opts.branch) return { ref: target, tip: baseTip, planned };
  const name = typeof opts.branch === 'string' ? opts.branch : planned.branchName ?? `modelreg/change-${ctx.now().getTime()}`;
  const ref = fullBranchRef(name);
  const tip = await readRef(ctx.repo.gitdir, ref);
  if (!tip) return { ref, tip: baseTip, planned };
  return { ref, tip, planned: await plan(await snapshotAtCommit(ctx, store, tip)) };
}

/** One pass of the write path: one commit, or none for a dry run or a plan that changes nothing. */
async function commitOnce<R>(ctx: Context, opts: WriteOptions, plan: (snap: Snapshot) => Promise<Planned<R>>): Promise<R & WriteOutcome> {
  const target = await ctx.targetRef();
  // 1. A dry run reads a snapshot and writes nothing: it takes no lock, so a slow evaluation never blocks writers.
  const lock = opts.dryRun ? { recovered: false, release: async () => undefined } : await acquireLock(ctx.repo.gitdir, { ref: target, timeoutMs: ctx.options.lockTimeoutMs });
  try {
    const store = ctx.store();
    if (lock.recovered) await repairAfterCrash(ctx, store, target);
    // 2-3. Read the tip, plan (the plan evaluates the policy and throws DENIED without writing).
    const { ref, tip, planned } = await planOnTip(ctx, store, target, opts, plan);
    if (opts.dryRun && planned.changes.length) return { ...planned.result, branch: shortRef(ref), planned: await plannedCommit(ctx, store, tip, planned) };
    if (opts.dryRun || planned.changes.length === 0) return { ...planned.result, branch: shortRef(ref) };
    // 4. Never overwrite uncommitted edits of a touched file (DIRTY).
    const tipTree = tip ? (await store.readCommit(tip)).tree : undefined;
    const tracks = await worktreeTracks(ctx.repo, ref);
    if (tracks) await assertClean(ctx.repo, store, tipTree, planned.changes.map((c) => c.path));
    else assertNotCheckedOutElsewhere(ctx, ref);
    // 5-7. Objects on the changed paths, the commit, the branch by compare-and-swap, the working tree and index.
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
    // 8.
    await lock.release();
  }
}

async function plannedCommit<R>(ctx: Context, store: ObjectStore, tip: string | undefined, planned: Planned<R>): Promise<PlannedCommit> {
  const snap = await snapshotAtCommit(ctx, store, tip);
  const files = [];
  for (const c of planned.changes) {
    const before = await snap.text(c.path).catch(() => undefined);
    const after = c.content ?? undefined;
    files.push({ path: c.path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
  }
  return { message: planned.message, files };
}

/**
 * Runs one planned change as one commit (and pushes it when asked).
 * @example await runWrite(ctx, {}, async (snap) => ({ changes, message, result }))
 */
export async function runWrite<R>(ctx: Context, opts: WriteOptions, plan: (snap: Snapshot) => Promise<Planned<R>>): Promise<R & WriteOutcome> {
  if (!opts.push) return commitOnce(ctx, opts, plan);
  return pushWithRetry(ctx, opts, () => commitOnce(ctx, opts, plan));
}
