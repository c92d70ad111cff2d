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

/** Commits put back in the walk after only base's ancestors are left (Git's SLOP, against clock skew). */
const SLOP = 5;

/**
 * The commits reachable from head and not from base, as `git rev-list base..head` finds them:
 * both sides are walked together, newest committer time first, a commit reached from base
 * marks its ancestors as base's too, and the walk stops once only base's ancestors are queued
 * (and SLOP more). So its cost follows the change and the distance to the merge base, not the
 * length of base's history (11,597 commits read for a one-commit change before).
 */
async function commitsOnlyInHead(store: ObjectStore, base: string, head: string, limit: number): Promise<CommitInfo[]> {
  const inBase = new Set<string>([base]);
  const queued = new Set<string>([base, head]);
  const queue: CommitInfo[] = [];
  const enqueue = (c: CommitInfo) => {
    let i = queue.length;
    while (i > 0 && queue[i - 1].committer.timestamp > c.committer.timestamp) i--;
    queue.splice(i, 0, c); // ascending by time: the newest is popped from the end
  };
  enqueue(await store.readCommit(head));
  if (base !== head) enqueue(await store.readCommit(base));
  const found: CommitInfo[] = [];
  let slop = SLOP;
  while (queue.length && found.length < limit) {
    const c = queue.pop()!;
    const uninteresting = inBase.has(c.oid);
    if (uninteresting) for (const p of c.parents) inBase.add(p);
    else found.push(c);
    for (const p of c.parents) {
      if (queued.has(p)) continue;
      queued.add(p);
      enqueue(await store.readCommit(p));
    }
    if (queue.every((x) => inBase.has(x.oid))) {
      if (--slop <= 0) break;
    } else slop = SLOP;
  }
  return found.filter((c) => !inBase.has(c.oid));
}

/**
 * Every commit in base..head (reachable from head, not from base), merges and the commits of
 * merged branches included, oldest first, each with the states of all its parents.
 */
export async function rangeCommits(ctx: Context, store: ObjectStore, base: string, head: string, limit = 5000): Promise<RangeCommit[]> {
  const order = await commitsOnlyInHead(store, base, head, limit);
  const out: RangeCommit[] = [];
  for (const info of order.sort((a, b) => a.committer.timestamp - b.committer.timestamp)) {
    const befores = [];
    for (const p of info.parents.length ? info.parents : [undefined]) befores.push(ctx.snapshot(store, p, p ? (await store.readCommit(p)).tree : undefined));
    out.push({ info, after: ctx.snapshot(store, info.oid, info.tree), befores });
  }
  return out;
}

/**
 * A model at a snapshot, its versions read when asked for (a version file that does not read
 * is missing), or undefined when the model is missing or its model file does not read (the file
 * check reports both). A rule asks for the versions it judges, not for all of a model's.
 */
export async function modelAt(s: Snapshot, name: string): Promise<ModelState | undefined> {
  try { return await s.modelOnDemand(name, true); } catch { return undefined; }
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
