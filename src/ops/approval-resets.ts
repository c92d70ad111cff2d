/**
 * The rollbacks a version went through, read from history, for `approvals.resetOn`: each
 * rollback commit that moved the version out of a stage, with the approvals for that stage its
 * file held at that commit (all of them made before the rollback). The policy decides which of
 * them still count (policy/resets.ts).
 */
import type { ModelVersion } from '../domain/schema-types.js';
import { parseCommitMessage } from '../domain/trailers.js';
import { validateText } from '../domain/validate.js';
import { approvalsResetOn, type ApprovalRecord, type ApprovalReset, type LoadedPolicy } from '../policy/index.js';
import type { CommitInfo, ObjectStore } from '../storage/objects.js';

const recordKey = (a: ApprovalRecord) => `${a.by.trim().toLowerCase()}\u0000${a.stage}\u0000${a.at}`;

/** Reads the version record in `file` at a tree, parsing each blob once. */
function versionReader(store: ObjectStore, file: string): (tree: string | undefined) => Promise<ModelVersion | undefined> {
  const records = new Map<string, ModelVersion | undefined>();
  return async (tree) => {
    const e = tree ? await store.entryAt(tree, file) : undefined;
    if (!e) return undefined;
    if (!records.has(e.oid)) records.set(e.oid, validateText<ModelVersion>('version', await store.readText(e.oid), file).value);
    return records.get(e.oid);
  };
}

/** A commit that says it rolls something back: modelreg's rollback, or Git's revert convention. */
function isRollbackCommit(c: CommitInfo): boolean {
  if (c.parents.length > 1) return false;
  if (/^This reverts commit [0-9a-f]{7,40}\b/m.test(c.message)) return true;
  return parseCommitMessage(c.message).trailers.some(([k, v]) => k.toLowerCase() === 'modelreg-action' && v.trim() === 'rollback');
}

/**
 * Rollbacks of the version in `file` out of `stage`, newest first, searched in every commit
 * reachable from `tip` (merged branches too) back to where the file was created, at most
 * `maxCommits` commits. A commit only counts when the file's stage really changes in it from
 * `stage` to another: claiming a rollback can only void approvals, never add any.
 * @example await rollbacksOutOf(store, tip, 'registry/churn/versions/2.0.0.yaml', 'Production')
 */
export async function rollbacksOutOf(store: ObjectStore, tip: string | undefined, file: string, stage: string, current?: readonly ApprovalRecord[], maxCommits = 10_000): Promise<ApprovalReset[]> {
  // Only rollbacks after one of the current approvals was recorded can void it: the walk stops
  // where the file holds none of them (an approval removed and re-added verbatim aside).
  const wanted = current ? new Set(current.filter((a) => a.stage === stage).map(recordKey)) : undefined;
  const out: ApprovalReset[] = [];
  const seen = new Set<string>();
  const queue = tip ? [tip] : [];
  const recordAt = versionReader(store, file);
  while (queue.length && seen.size < maxCommits) {
    const oid = queue.shift()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const c = await store.readCommit(oid);
    // Before the file existed nothing can have been approved or rolled back.
    const here = await recordAt(c.tree);
    if (!here) continue;
    if (wanted && !(here.approvals ?? []).some((a) => wanted.has(recordKey(a)))) continue;
    queue.push(...c.parents);
    if (!isRollbackCommit(c) || !c.parents[0]) continue;
    const after = here;
    const before = await recordAt((await store.readCommit(c.parents[0])).tree);
    if (before?.stage !== stage || !after || after.stage === stage) continue;
    const stale = (after.approvals ?? []).filter((a) => a.stage === stage);
    out.push({ event: 'rollback', stage, commit: c.oid, at: new Date(c.committer.timestamp * 1000).toISOString(), stale });
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/**
 * The rollbacks that may void approvals for a move `from` -> `to`, or undefined when none can:
 * no approval for `to` is recorded, or no matching rule resets approvals. Only then is history read.
 * @example evaluateTransition({ ..., resets: await resetsForMove(store, tip, policy, file, approvals, 'Staging', 'Production') })
 */
export async function resetsForMove(store: ObjectStore, tip: string | undefined, policy: LoadedPolicy, file: string, approvals: readonly ApprovalRecord[], from: string, to: string): Promise<ApprovalReset[] | undefined> {
  if (!approvals.some((a) => a.stage === to) || !approvalsResetOn(policy, from, to).length) return undefined;
  return rollbacksOutOf(store, tip, file, to, approvals);
}

/**
 * The rollback that last took the version in `file` out of `stage`, when that was its last way
 * out (a version archived by another's promotion since, or promoted and archived again, gives
 * undefined): walks first-parent history from `tip` to the newest commit that moved it out.
 * @example const exit = await lastExitByRollback(store, tip, file, 'Production') // rollback(ctx, …) then needs fresh approvals
 */
export async function lastExitByRollback(store: ObjectStore, tip: string | undefined, file: string, stage: string, maxCommits = 10_000): Promise<ApprovalReset | undefined> {
  const read = versionReader(store, file);
  const stageAt = (c: CommitInfo | undefined) => read(c?.tree);
  let cur = tip ? await store.readCommit(tip) : undefined;
  let here = await stageAt(cur);
  for (let n = 0; cur && here && n < maxCommits; n++) {
    const parent = cur.parents[0] ? await store.readCommit(cur.parents[0]) : undefined;
    const before = await stageAt(parent);
    if (before?.stage === stage && here.stage !== stage) {
      if (!isRollbackCommit(cur)) return undefined;
      return { event: 'rollback', stage, commit: cur.oid, at: new Date(cur.committer.timestamp * 1000).toISOString(), stale: (here.approvals ?? []).filter((a) => a.stage === stage) };
    }
    cur = parent;
    here = before;
  }
  return undefined;
}
