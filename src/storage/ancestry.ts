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
