/**
 * diffRawTrees (storage/tree-diff.ts) compares trees as bytes: a binary search for the common
 * prefix and suffix, entry ends found from the last compared large tree's remembered starts or by
 * a search in a string, then a walk over the entries in between. Its answer must be that of
 * comparing the parsed entries, for trees small and large (past the sizes where those paths
 * start), one change or many, and in a sequence of comparisons as a walk makes them (each tree
 * compared with its parent, small trees compared in between).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffRawTrees, type RawChange } from '../../src/storage/tree-diff.js';

interface Entry { name: string; mode: string; oid: string }

const isTree = (e: Entry) => e.mode === '40000';

/** Git's order: by name bytes, a folder's name read as if it ended in '/'. */
function gitOrder(a: Entry, b: Entry): number {
  return Buffer.compare(Buffer.from(isTree(a) ? `${a.name}/` : a.name), Buffer.from(isTree(b) ? `${b.name}/` : b.name));
}

function raw(entries: Entry[]): Buffer {
  return Buffer.concat([...entries].sort(gitOrder).map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])));
}

/** The oracle: entries compared by name and kind, as parsed. */
function naive(a: Entry[], b: Entry[]): Array<[string, string | undefined, string | undefined]> {
  const key = (e: Entry) => `${e.name}${isTree(e) ? '/' : ''}`;
  const before = new Map(a.map((e) => [key(e), e]));
  const after = new Map(b.map((e) => [key(e), e]));
  const out: Array<[string, string | undefined, string | undefined]> = [];
  for (const k of [...new Set([...before.keys(), ...after.keys()])].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))) {
    const x = before.get(k);
    const y = after.get(k);
    if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
    out.push([(x ?? y)!.name, x?.oid, y?.oid]);
  }
  return out;
}

const shape = (changes: RawChange[]) => changes.map((c): [string, string | undefined, string | undefined] => [c.name, c.before?.oid, c.after?.oid]);

const oid = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex'));
const entry = fc.record({
  // Version-like names (sharing long prefixes), and ids that may hold NUL and space bytes.
  name: fc.oneof(fc.integer({ min: 0, max: 20_000 }).map((n) => `1.${n}.0.yaml`), fc.stringMatching(/^[a-z0-9._-]{1,12}$/)),
  mode: fc.constantFrom('100644', '100755', '40000'),
  oid: fc.oneof(oid, fc.constant('00'.repeat(20)), fc.constant('2000'.repeat(10))),
});

/** Unique by name and kind (a tree holds one entry of a name and kind). */
function unique(entries: Entry[]): Entry[] {
  const seen = new Map<string, Entry>();
  for (const e of entries) seen.set(`${e.name}${isTree(e) ? '/' : ''}`, e);
  return [...seen.values()];
}

/** A change of a tree: add, remove or re-point a few entries. */
function edit(base: Entry[], edits: Array<{ kind: number; at: number; e: Entry }>): Entry[] {
  let out = [...base];
  for (const { kind, at, e } of edits) {
    if (kind === 0 || !out.length) out.push(e);
    else if (kind === 1) out.splice(at % out.length, 1);
    else out[at % out.length] = { ...out[at % out.length], oid: e.oid };
  }
  return unique(out);
}

const edits = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 2 }), at: fc.nat(), e: entry }), { minLength: 0, maxLength: 4 });

describe('diffRawTrees', () => {
  it('finds what a comparison of the parsed entries finds, for small and large trees', () => {
    fc.assert(fc.property(fc.oneof(fc.array(entry, { maxLength: 40 }), fc.array(entry, { minLength: 500, maxLength: 1500 })), edits, (list, changes) => {
      const a = unique(list);
      const b = edit(a, changes);
      expect(shape(diffRawTrees(raw(a), raw(b)))).toEqual(naive(a, b));
      expect(shape(diffRawTrees(raw(b), raw(a)))).toEqual(naive(b, a));
    }), { numRuns: 150 });
  });

  it('answers the same along a walk: each tree against its parent, with small trees compared in between', () => {
    fc.assert(fc.property(fc.array(entry, { minLength: 500, maxLength: 1500 }), fc.array(edits, { minLength: 2, maxLength: 8 }), fc.array(entry, { maxLength: 3 }), (list, steps, small) => {
      // Trees newest first, as a walk meets them: each is its parent (the next) with edits.
      const trees = [unique(list)];
      for (const s of steps) trees.push(edit(trees[trees.length - 1], s));
      const bytes = trees.map(raw);
      const tiny = raw(unique(small));
      for (let i = 1; i < bytes.length; i++) {
        expect(shape(diffRawTrees(bytes[i], bytes[i - 1]))).toEqual(naive(trees[i], trees[i - 1]));
        expect(shape(diffRawTrees(Buffer.alloc(0), tiny))).toEqual(naive([], unique(small)));
      }
    }), { numRuns: 60 });
  });
});
