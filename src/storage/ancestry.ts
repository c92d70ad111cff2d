import type { ObjectStore } from './objects.js';

/** Whether `ancestor` is reachable from `descendant` (breadth-first over all parents). */
export async function isAncestor(store: ObjectStore, ancestor: string, descendant: string, limit = 100_000): Promise<boolean> {
  const seen = new Set<string>();
  const queue = [descendant];
  while (queue.length && seen.size < limit) {
    const oid = queue.shift()!;
    if (oid === ancestor) return true;
    if (seen.has(oid)) continue;
    seen.add(oid);
    try {
      queue.push(...(await store.readCommit(oid)).parents);
    } catch {
      /* shallow or missing history */
    }
  }
  return false;
}

/**
 * A common ancestor of `a` and `b` nearest to `b` (breadth-first from `b` over the ancestors of
 * `a`): the base a branch forked from, as Git's three-dot diff uses it. Undefined when none is
 * found within `limit` commits.
 */
export async function mergeBase(store: ObjectStore, a: string, b: string, limit = 100_000): Promise<string | undefined> {
  // The common case (a branch made from a's tip): a itself, found without walking a's history.
  if (await isAncestor(store, a, b, 2_000)) return a;
  const ofA = new Set<string>();
  const queue = [a];
  while (queue.length && ofA.size < limit) {
    const oid = queue.shift()!;
    if (ofA.has(oid)) continue;
    ofA.add(oid);
    try { queue.push(...(await store.readCommit(oid)).parents); } catch { /* shallow or missing history */ }
  }
  const seen = new Set<string>();
  const fromB = [b];
  while (fromB.length && seen.size < limit) {
    const oid = fromB.shift()!;
    if (ofA.has(oid)) return oid;
    if (seen.has(oid)) continue;
    seen.add(oid);
    try { fromB.push(...(await store.readCommit(oid)).parents); } catch { /* shallow or missing history */ }
  }
  return undefined;
}
