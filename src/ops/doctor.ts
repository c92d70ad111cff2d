/** `doctor`: detect and repair what an interrupted write can leave behind. */
import { CONFIG_FILE } from '../domain/state.js';
import { clearStaleLocks, repair, type DoctorReport } from '../storage/doctor.js';
import { acquireLock } from '../storage/lock.js';
import { readRef } from '../storage/refs.js';
import type { Context } from './context.js';

export async function doctor(ctx: Context): Promise<DoctorReport & { branch: string; advice: string[]; prunedCacheEntries: number }> {
  const ref = await ctx.targetRef();
  const store = ctx.store();
  // Locks of dead processes first, then the repairs under our own lock.
  const removedLocks = await clearStaleLocks(ctx.repo, ref);
  const lock = await acquireLock(ctx.repo.gitdir, { ref, timeoutMs: ctx.options.lockTimeoutMs ?? 5000 });
  let report: DoctorReport;
  try {
    const tip = await readRef(ctx.repo.gitdir, ref);
    const cfg = await (await ctx.snapshotAt(undefined, store)).config();
    report = await repair(ctx.repo, store, tip, [cfg.registry, cfg.policies, CONFIG_FILE], removedLocks);
  } finally {
    await lock.release();
  }
  // Prune cached model states no branch of a checkout holds (they are rebuilt on demand).
  const prunedCacheEntries = await pruneModelCache(ctx);
  const advice: string[] = [];
  if (report.userEdits.length) advice.push(`Uncommitted edits in ${report.userEdits.join(', ')}: commit or discard them (git checkout -- <file>).`);
  if (report.looseObjects > 5000) advice.push(`${report.looseObjects} loose objects: run \`git gc\` to pack them (reads get faster).`);
  return { ...report, prunedCacheEntries, branch: ref.replace(/^refs\/heads\//, ''), advice };
}

/**
 * Prunes cached model states, stages, numbers, large trees and folder summaries of folders that no checkout's branch holds: the cache is shared
 * by every worktree of the repository, so what each worktree's HEAD names is kept.
 */
async function pruneModelCache(ctx: Context): Promise<number> {
  const { ModelCache } = await import('../storage/model-cache.js');
  const { worktrees } = await import('../storage/worktree.js');
  const { versionsTreeOf } = await import('../storage/model-reader.js');
  const { pruneTreeFiles } = await import('../storage/tree-file-cache.js');
  const { pruneSummaries } = await import('../storage/folder-summary.js');
  const keep = new Set<string>();
  const keepTrees = new Set<string>();
  const heads = new Set([undefined, ...worktrees(ctx.repo.gitdir).map((w) => w.head).filter((h): h is string => h !== undefined)]);
  for (const head of heads) {
    const snap = await ctx.snapshotAt(head).catch(() => undefined);
    // The registry folder's tree is kept whole too: a registry of 10,000 models has a large one.
    const registry = snap ? await snap.config().then((cfg) => snap.entry(cfg.registry)).catch(() => undefined) : undefined;
    if (registry?.type === 'tree') keepTrees.add(registry.oid);
    for (const l of (await snap?.locations().catch(() => [])) ?? []) {
      keep.add(l.tree);
      // The versions/ trees kept whole (storage/tree-file-cache.ts) and summarised (folder-summary.ts).
      const v = snap ? versionsTreeOf(snap.store, l.tree) : undefined;
      if (v) keepTrees.add(v);
    }
  }
  // The stages and numbers of model folders (storage/stage-cache.ts) are kept by the same rule.
  const { FolderCache, StageCache } = await import('../storage/stage-cache.js');
  return new ModelCache(ctx.repo.gitdir).prune(keep) + StageCache.open(ctx.repo.gitdir).prune(keep) + FolderCache.numbers(ctx.repo.gitdir).prune(keep)
    + pruneTreeFiles(ctx.repo.gitdir, keepTrees) + pruneSummaries(ctx.repo.gitdir, keepTrees);
}
