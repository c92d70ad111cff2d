/**
 * The raw tree comparison (storage/tree-diff.ts) against `git diff-tree -r`: for random pairs of
 * trees (names that share prefixes, a file and a folder of similar names, large folders with one
 * change), the changed paths and blob ids are Git's.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ObjectStore } from '../../src/storage/objects.js';
import { changedFiles, diffRawTrees, findRawEntry, findRawEntryStart, rawEntryAtOffset, rawNames, spliceRawTree, treeBytes, type RawChange } from '../../src/storage/tree-diff.js';
import { writeTreeChanges } from '../../src/storage/write.js';
import { cleanup, git, makeRepo } from '../helpers/repo.js';

afterAll(cleanup);

const NAMES = ['a', 'a.b', 'a-b', 'a0', 'ab', 'b', 'b.yaml', 'z'];
const PATHS = NAMES.flatMap((x) => [x, ...NAMES.slice(0, 4).map((y) => `${x}/${y}`)]);

/** Files of one side: a path is taken only when no file sits on its folder (a/b and a cannot both be files). */
function tree(picks: Array<[number, number]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, content] of picks) {
    const p = PATHS[i % PATHS.length];
    const clash = Object.keys(out).some((q) => q.startsWith(`${p}/`) || p.startsWith(`${q}/`));
    if (!clash) out[p] = `content ${content % 3}\n`;
  }
  return out;
}

function gitDiff(dir: string, a: string, b: string): string[] {
  return git(dir, ['diff-tree', '-r', '--no-renames', a, b]).stdout.trim().split('\n').filter(Boolean).map((l) => {
    const [meta, path] = l.split('\t');
    const [, , before, after] = meta.split(' ');
    const z = /^0+$/;
    return `${path} ${z.test(before) ? '-' : before} ${z.test(after) ? '-' : after}`;
  }).sort();
}

async function treesOf(a: Record<string, string>, b: Record<string, string>) {
  const dir = await makeRepo({ ...a, 'keep': 'x\n' });
  const ta = git(dir, ['rev-parse', 'HEAD^{tree}']).stdout.trim();
  git(dir, ['rm', '-rq', '--cached', '.']);
  const { writeTree } = await import('../helpers/repo.js');
  const { rm } = await import('node:fs/promises');
  for (const p of Object.keys(a)) await rm(`${dir}/${p.split('/')[0]}`, { recursive: true, force: true });
  await writeTree(dir, { ...b, 'keep': 'x\n' });
  git(dir, ['add', '-A']);
  const tb = git(dir, ['write-tree']).stdout.trim();
  return { dir, ta, tb };
}

describe('raw tree diff', () => {
  it('finds what git diff-tree finds', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
      async (pa, pb) => {
        const { dir, ta, tb } = await treesOf(tree(pa), tree(pb));
        const store = new ObjectStore(`${dir}/.git`);
        const ours = changedFiles(store, ta, tb).map((c) => `${c.path} ${c.before ?? '-'} ${c.after ?? '-'}`).sort();
        expect(ours).toEqual(gitDiff(dir, ta, tb));
      },
    ), { numRuns: 40 });
  }, 120_000);

  it('skips the common part of a large folder and reports the one entry that differs', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`v/1.${i}.0.yaml`] = `stage: None ${i}\n`;
    const { dir, ta, tb } = await treesOf(files, { ...files, 'v/1.1500.0.yaml': 'stage: Staging\n', 'v/1.3000.0.yaml': 'new\n' });
    const store = new ObjectStore(`${dir}/.git`);
    expect(changedFiles(store, ta, tb).map((c) => c.path)).toEqual(['v/1.1500.0.yaml', 'v/1.3000.0.yaml']);
    const v = (t: string) => findRawEntry(treeBytes(store, t), 'v')!.oid;
    expect(diffRawTrees(treeBytes(store, v(ta)), treeBytes(store, v(tb))).map((c) => [c.name, !!c.before, !!c.after])).toEqual([['1.1500.0.yaml', true, true], ['1.3000.0.yaml', false, true]]);
    expect(findRawEntry(treeBytes(store, v(tb)), '1.2999.0.YAML')?.name).toBe('1.2999.0.yaml');
  }, 60_000);

  it('writes the tree git write-tree writes when the files of one side are written over the other (raw splices)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
      async (pa, pb) => {
        const a = tree(pa);
        const b = tree(pb);
        const { dir, ta, tb } = await treesOf(a, b);
        const changes = [
          ...Object.keys(a).filter((p) => !(p in b)).map((path) => ({ path, content: null })),
          ...Object.entries(b).filter(([p, c]) => a[p] !== c).map(([path, content]) => ({ path, content })),
        ];
        expect(await writeTreeChanges(new ObjectStore(`${dir}/.git`), ta, changes)).toBe(tb);
        expect(git(dir, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
      },
    ), { numRuns: 40 });
  }, 120_000);

  it('adds an entry where the order of Git puts it, in folders of up to 400 entries whose ids hold any bytes', () => {
    // Names that share prefixes and sort around '.', '/' (a folder) and '-'; ids of bytes that look like entries.
    const name = fc.stringMatching(/^[a-c0-9.\- é]{1,6}$/).filter((n) => n !== '.' && n !== '..' && !n.includes('/'));
    const idByte = fc.constantFrom(0x00, 0x20, 0x2f, 0x31, 0x34, 0x30, 0x61, 0x2e, 0xff);
    const entry = fc.tuple(name, fc.boolean(), fc.array(idByte, { minLength: 20, maxLength: 20 }));
    fc.assert(fc.property(
      fc.uniqueArray(entry, { selector: ([n]) => n, maxLength: 400 }),
      entry,
      (entries, added) => {
        fc.pre(!entries.some(([n]) => n === added[0]));
        const key = ([n, t]: [string, boolean, number[]]) => Buffer.from(t ? `${n}/` : n);
        const bytes = (list: Array<[string, boolean, number[]]>) => Buffer.concat([...list].sort((a, b) => Buffer.compare(key(a), key(b))).map(([n, t, id]) => Buffer.concat([Buffer.from(`${t ? '40000' : '100644'} ${n}\0`), Buffer.from(id)])));
        const out = spliceRawTree(bytes(entries), [{ name: added[0], mode: added[1] ? '40000' : '100644', oid: Buffer.from(added[2]).toString('hex') }]);
        expect(out.equals(bytes([...entries, added]))).toBe(true);
      },
    ), { numRuns: 1500 });
  });

  it('adds a version at the end, the start and the middle of a folder of 3,000, as git mktree orders it', async () => {
    const dir = await makeRepo({ keep: 'x\n' });
    const blob = git(dir, ['hash-object', '-w', 'keep']).stdout.trim();
    const names = Array.from({ length: 3000 }, (_, i) => `1.${i}.0.yaml`);
    const mktree = (list: string[]) => spawnSync('git', ['mktree'], { cwd: dir, input: list.map((n) => `100644 blob ${blob}\t${n}\n`).join(''), encoding: 'utf8' }).stdout.trim();
    const store = new ObjectStore(`${dir}/.git`);
    const base = mktree(names);
    for (const added of ['1.3000.0.yaml', '2.0.0.yaml', '0.9.0.yaml', '1.1500.5.yaml', '1.2999.0.yaml-', 'z']) {
      const out = spliceRawTree(treeBytes(store, base), [{ name: added, mode: '100644', oid: blob }]);
      expect(out.equals(treeBytes(store, mktree([...names, added]))), added).toBe(true);
    }
  });

  it('finds an entry by a search for its name where a walk over the entries finds it, whatever bytes the ids hold', () => {
    // Ids made of the bytes a search could mistake for an entry: digits, spaces, NULs and the names themselves.
    const names = ['a', 'b', '1.0.0.yaml', '10', '4', 'x y', '100644', '40000'];
    const idByte = fc.constantFrom(0x00, 0x20, 0x31, 0x34, 0x30, 0x36, 0x61, 0x62, 0x2e, 0x79);
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(fc.constantFrom(...names), fc.boolean(), fc.array(idByte, { minLength: 20, maxLength: 20 })), { selector: ([n]) => n, maxLength: 8 }),
      fc.constantFrom(...names),
      (entries, wanted) => {
        const order = (n: string, t: boolean) => Buffer.from(t ? `${n}/` : n);
        entries.sort(([a, at], [b, bt]) => Buffer.compare(order(a, at), order(b, bt)));
        const starts = new Map<string, number>();
        const parts: Buffer[] = [];
        let at = 0;
        for (const [name, isTree, id] of entries) {
          const entry = Buffer.concat([Buffer.from(`${isTree ? '40000' : '100644'} ${name}\0`), Buffer.from(id)]);
          starts.set(name, at);
          parts.push(entry);
          at += entry.length;
        }
        const buf = Buffer.concat(parts);
        expect(findRawEntryStart(buf, wanted)).toBe(starts.get(wanted) ?? -1);
        expect(findRawEntry(buf, wanted)?.name === wanted).toBe(starts.has(wanted));
        // Replacing an entry in place copies the rest as it was.
        const e = entries.find(([n]) => n === wanted);
        if (e) {
          const oid = 'ab'.repeat(20);
          const out = spliceRawTree(buf, [{ name: wanted, mode: e[1] ? '40000' : '100644', oid }]);
          expect(out.length).toBe(buf.length);
          expect(findRawEntry(out, wanted)?.oid).toBe(oid);
        }
      },
    ), { numRuns: 2000 });
  });

  it("compares two trees as a walk over both sides' entries does, whatever bytes the ids and names hold", () => {
    // The comparison finds where the differing part starts by searching back from the first
    // differing byte, not by walking from the start: ids and names made of the bytes that search
    // could mistake for an entry boundary (NULs, spaces, mode digits) must not mislead it.
    const names = ['a', 'b', '1.0.0.yaml', '10', '4', 'x y', '100644', '40000', '100644 a', 'z'];
    const idByte = fc.constantFrom(0x00, 0x20, 0x31, 0x34, 0x30, 0x36, 0x61, 0x62, 0x2e, 0x79);
    const side = fc.uniqueArray(fc.tuple(fc.constantFrom(...names), fc.boolean(), fc.array(idByte, { minLength: 20, maxLength: 20 })), { selector: ([n]) => n, maxLength: 9 });
    const build = (entries: Array<[string, boolean, number[]]>) => {
      const order = (n: string, t: boolean) => Buffer.from(t ? `${n}/` : n);
      const sorted = [...entries].sort(([a, at], [b, bt]) => Buffer.compare(order(a, at), order(b, bt)));
      return Buffer.concat(sorted.map(([name, isTree, id]) => Buffer.concat([Buffer.from(`${isTree ? '40000' : '100644'} ${name}\0`), Buffer.from(id)])));
    };
    // A file and a folder of the same name are two entries (as Git orders and compares them).
    const walk = (entries: Array<[string, boolean, number[]]>) => new Map(entries.map(([n, t, id]) => [`${n}${t ? '/' : ''}`, Buffer.from(id).toString('hex')]));
    fc.assert(fc.property(side, fc.array(fc.tuple(fc.nat(), fc.option(fc.array(idByte, { minLength: 20, maxLength: 20 }))), { maxLength: 3 }), side, (a, edits, extra) => {
      // The other side: `a` with a few ids changed or entries removed, and some entries added.
      const b = a.map((e) => [...e] as [string, boolean, number[]]);
      for (const [k, id] of edits) if (b.length) { if (id) b[k % b.length][2] = id; else b.splice(k % b.length, 1); }
      for (const e of extra) if (!b.some(([n]) => n === e[0])) b.push(e);
      const wa = walk(a);
      const wb = walk(b);
      const want = [...new Set([...wa.keys(), ...wb.keys()])].filter((n) => wa.get(n) !== wb.get(n)).sort();
      const key = (c: RawChange) => `${c.name}${(c.after ?? c.before)!.isTree ? '/' : ''}`;
      expect(diffRawTrees(build(a), build(b)).map(key).sort()).toEqual(want);
    }), { numRuns: 3000 });
  });

  it('lists the names and entry offsets git ls-tree lists, for ids full of spaces and NULs and names in UTF-8', async () => {
    // rawNames scans a Latin-1 string of the tree: an id's bytes must not be taken for an entry's
    // space or NUL, and a name outside ASCII must come back as UTF-8, not as Latin-1.
    const names = ['1.0.0.yaml', 'a b.yaml', 'modèle.yaml', 'ünï cödé', '模型.yaml', 'x'];
    const dir = await makeRepo(Object.fromEntries(names.map((n, i) => [n, `content ${i}\n`])));
    const store = new ObjectStore(`${dir}/.git`);
    const listed = git(dir, ['ls-tree', '-z', 'HEAD']).stdout.split('\0').filter(Boolean).map((l) => l.split('\t')[1]);
    const tree = git(dir, ['rev-parse', 'HEAD^{tree}']).stdout.trim();
    const buf = treeBytes(store, tree)!;
    const got = rawNames(buf);
    expect(got.map((e) => e.name)).toEqual(listed);
    for (const { name, offset } of got) expect(rawEntryAtOffset(buf, offset).name).toBe(name);
    // Ids made of spaces, NULs and mode digits, so the scan meets them inside ids; a truncated
    // last entry is left out.
    const ids = [...Array(40)].map((_, i) => Buffer.from([0x20, 0, 0x20, i, 0, 0x20, 0x31, 0x30, 0, 0x20, 0, 0, 0x20, 0x20, 0, 1, 2, 3, 0x20, 0]));
    const raw = Buffer.concat(ids.map((id, i) => Buffer.concat([Buffer.from(`100644 v${String(i).padStart(2, '0')} é.yaml\0`, 'utf8'), id])));
    expect(rawNames(raw).map((e) => e.name)).toEqual(ids.map((_, i) => `v${String(i).padStart(2, '0')} é.yaml`));
    expect(rawNames(raw.subarray(0, raw.length - 5)).length).toBe(39);
  });
});
