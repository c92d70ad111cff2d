/**
 * Integer version numbers: what MLflow clients call a version (`models:/churn/3`, "latest" by
 * `int(version)`). A number is assigned once, at registration, in registration order per model,
 * and never reused, also after a delete. The counter needs no file of its own: every version
 * ever registered is either present or listed in the model's `deletedVersions`, so the next
 * number is one past both the highest number present and that count.
 */
import type { ModelVersion, RegisteredModel } from './state.js';

/** The number the next registration of a model gets. */
export function nextNumber(model: RegisteredModel | undefined, versions: Iterable<ModelVersion>): number {
  let present = 0;
  const numbers: number[] = [];
  for (const v of versions) {
    present++;
    if (v.number !== undefined) numbers.push(v.number);
  }
  return nextNumberOf(model, present, numbers);
}

/** The same, from the count of versions present and the numbers they hold. */
export function nextNumberOf(model: RegisteredModel | undefined, present: number, numbers: Iterable<number>): number {
  let highest = 0;
  for (const n of numbers) if (n > highest) highest = n;
  return Math.max(highest, present + (model?.deletedVersions?.length ?? 0)) + 1;
}

/**
 * Numbers for a model's unnumbered versions, given in registration order (oldest first): each
 * gets the next number after every number already taken, so numbered versions keep theirs.
 */
export function numberUnnumbered(inOrder: readonly ModelVersion[]): Map<string, number> {
  const out = new Map<string, number>();
  let next = Math.max(0, ...inOrder.map((v) => v.number ?? 0)) + 1;
  for (const v of inOrder) if (v.number === undefined) out.set(v.version, next++);
  return out;
}

/** A model's versions by number (those that have one). */
export function byNumber(versions: Iterable<ModelVersion>): Map<number, ModelVersion> {
  const out = new Map<number, ModelVersion>();
  for (const v of versions) if (v.number !== undefined) out.set(v.number, v);
  return out;
}

/**
 * A version file with `number: N` on the line after its top-level `version:` line, without a
 * YAML parser, when that is plainly safe: the root is a block mapping (every non-blank,
 * non-comment line at column 0 is `key: …`), there is no document marker, no `number` key yet,
 * and `version:` holds a one-line plain value. Otherwise undefined (the caller inserts through
 * the YAML Document, `insertTopLevelAfter`). Renumbering 10k files is then string work, not
 * 10k parses.
 */
export function insertNumber(text: string, n: number): string | undefined {
  if (!text.endsWith('\n')) return undefined;
  const lines = text.split('\n');
  let at = -1;
  for (const [i, line] of lines.entries()) {
    if (line === '' || line.startsWith('#') || line.startsWith(' ')) continue;
    if (line.startsWith('---') || line.startsWith('...') || !/^[A-Za-z_][\w.-]*:(\s|$)/.test(line) || line.startsWith('number:')) return undefined;
    if (line.startsWith('version:')) {
      if (at >= 0 || !/^version:[ \t]+[0-9A-Za-z][0-9A-Za-z.+-]*[ \t]*(#.*)?$/.test(line) || lines[i + 1]?.startsWith(' ')) return undefined;
      at = i;
    }
  }
  if (at < 0) return undefined;
  lines.splice(at + 1, 0, `number: ${n}`);
  return lines.join('\n');
}
