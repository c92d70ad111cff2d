/**
 * The commits of a pull request (base..head) and what each did to one version: which commit
 * introduced a change, and whether a commit that claims to revert another really does.
 */
import type { ModelState, ModelVersion } from '../domain/state.js';
import { parseCommitMessage } from '../domain/trailers.js';
import { isAncestor } from '../storage/ancestry.js';
import type { CommitInfo, ObjectStore } from '../storage/objects.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';

export interface RangeCommit { info: CommitInfo; befores: Snapshot[]; after: Snapshot }

/** Commits reachable from `limit` steps of base's history. */
async function ancestorsOf(store: ObjectStore, oid: string, limit = 100_000): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [oid];
  while (queue.length && seen.size < limit) {
    const cur = queue.pop()!;
    if (seen.has(cur)) continue;
    seen.add(cur);
    queue.push(...(await store.readCommit(cur)).parents);
  }
  return seen;
}

/**
 * Every commit in base..head (reachable from head, not from base), merges and the commits of
 * merged branches included, oldest first, each with the states of all its parents.
 */
export async function rangeCommits(ctx: Context, store: ObjectStore, base: string, head: string, limit = 5000): Promise<RangeCommit[]> {
  const inBase = await ancestorsOf(store, base);
  const order: CommitInfo[] = [];
  const seen = new Set<string>();
  const queue = [head];
  while (queue.length && order.length < limit) {
    const cur = queue.shift()!;
    if (seen.has(cur) || inBase.has(cur)) continue;
    seen.add(cur);
    const info = await store.readCommit(cur);
    order.push(info);
    queue.push(...info.parents);
  }
  const out: RangeCommit[] = [];
  for (const info of order.sort((a, b) => a.committer.timestamp - b.committer.timestamp)) {
    const befores = [];
    for (const p of info.parents.length ? info.parents : [undefined]) befores.push(ctx.snapshot(store, p, p ? (await store.readCommit(p)).tree : undefined));
    out.push({ info, after: ctx.snapshot(store, info.oid, info.tree), befores });
  }
  return out;
}

/** A model at a snapshot, or undefined when it is missing or does not read (the file check reports that). */
export async function modelAt(s: Snapshot, name: string): Promise<ModelState | undefined> {
  try { return await s.model(name); } catch { return undefined; }
}

async function recordAt(s: Snapshot, model: string, version: string): Promise<ModelVersion | undefined> {
  return (await modelAt(s, model))?.versions.get(version)?.record;
}

/**
 * The commit in the range that introduced a change to one version: the predicate holds
 * against every parent (a merge only introduces what none of its parents had).
 */
export async function findCommit(range: RangeCommit[], model: string, version: string, pred: (a: ModelVersion | undefined, b: ModelVersion | undefined) => boolean): Promise<RangeCommit | undefined> {
  for (const c of range) {
    const b = await recordAt(c.after, model, version);
    let all = true;
    for (const before of c.befores) {
      if (!pred(await recordAt(before, model, version), b)) { all = false; break; }
    }
    if (all) return c;
  }
  return undefined;
}

/** A revert is real when the reverted commit exists, is an ancestor, and the revert restores the stage it changed. */
export async function isRealRevert(ctx: Context, store: ObjectStore, reverted: string, c: RangeCommit, model: string, version: string): Promise<{ ok: boolean; why: string }> {
  let info: CommitInfo;
  try { info = await store.readCommit(reverted); } catch { return { ok: false, why: 'that commit does not exist' }; }
  if (!(await isAncestor(store, reverted, c.info.oid))) return { ok: false, why: 'that commit is not in its history' };
  const parent = info.parents[0];
  const xa = await recordAt(ctx.snapshot(store, parent, parent ? (await store.readCommit(parent)).tree : undefined), model, version);
  const xb = await recordAt(ctx.snapshot(store, reverted, info.tree), model, version);
  if (c.befores.length !== 1) return { ok: false, why: 'it is a merge commit' };
  const ra = await recordAt(c.befores[0], model, version);
  const rb = await recordAt(c.after, model, version);
  if (!xa || !xb || xa.stage === xb.stage) return { ok: false, why: `that commit did not change the stage of ${model} ${version}` };
  if (!(ra?.stage === xb.stage && rb?.stage === xa.stage)) return { ok: false, why: `it does not restore ${model} ${version} from ${xb.stage} to ${xa.stage}` };
  if (!parseCommitMessage(c.info.message).subject.startsWith('Revert')) return { ok: false, why: 'its subject does not follow Git\'s Revert "…" convention' };
  return { ok: true, why: '' };
}
