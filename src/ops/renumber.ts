/**
 * `renumber`: gives every version of an existing registry that has no integer `number` one, in
 * the order the versions were registered (the first commit on the branch's first-parent
 * history that added the version file), as one commit. Numbered versions keep theirs.
 */
import { compareVersions } from '../domain/versions.js';
import { insertTopLevelAfter } from '../domain/yaml-file.js';
import { insertNumber, numberUnnumbered } from '../domain/numbering.js';
import { changedPaths, firstParentLog } from '../storage/history.js';
import type { ModelVersion } from '../domain/state.js';
import type { Context } from './context.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';

export interface RenumberResult extends WriteOutcome {
  /** model -> version -> number, for each version numbered by this commit. */
  numbered: Record<string, Record<string, number>>;
  versions: number;
}

/**
 * Numbers the unnumbered versions of every model in registration order.
 * @example await renumber(ctx, {})
 */
export async function renumber(ctx: Context, input: WriteOptions = {}): Promise<RenumberResult> {
  return runWrite(ctx, input, async (snap) => {
    // When each version file first appeared on the branch, oldest commit first.
    const commits = [];
    for await (const c of firstParentLog(snap.store, snap.commit)) commits.push(c);
    commits.reverse();
    const firstSeen = new Map<string, number>();
    let prev: string | undefined;
    for (const [i, c] of commits.entries()) {
      for (const ch of await changedPaths(snap.store, prev, c.tree)) if (ch.after && !firstSeen.has(ch.path)) firstSeen.set(ch.path, i);
      prev = c.tree;
    }
    const changes = [];
    const numbered: Record<string, Record<string, number>> = {};
    let count = 0;
    for (const m of await snap.models()) {
      const order = [...m.versions.values()]
        .map((v) => ({ v, seen: firstSeen.get(v.file) ?? Number.MAX_SAFE_INTEGER }))
        .sort((a, b) => a.seen - b.seen || compareVersions(a.v.record.version, b.v.record.version));
      const numbers = numberUnnumbered(order.map((o) => o.v.record as ModelVersion));
      for (const { v } of order) {
        const n = numbers.get(v.record.version);
        if (n === undefined) continue;
        const text = (await snap.text(v.file)) ?? '';
        changes.push({ path: v.file, content: insertNumber(text, n) ?? insertTopLevelAfter(text, 'version', 'number', n) });
        (numbered[m.name] ??= {})[v.record.version] = n;
        count++;
      }
    }
    return {
      changes,
      message: {
        subject: `renumber: ${count} version${count === 1 ? '' : 's'} of ${Object.keys(numbered).length} model${Object.keys(numbered).length === 1 ? '' : 's'}`,
        body: 'Integer version numbers in registration order, for MLflow clients (models:/NAME/NUMBER).',
        trailers: [['Modelreg-Action', 'renumber']],
      },
      result: { numbered, versions: count },
    };
  });
}
