/**
 * Comparing Git trees in their raw form. A model folder of 10,000 versions is a tree of about
 * 450 kB that changes in every commit of that model; parsing both sides of every commit into
 * entry objects made a walk over its history cost the square of its length. Here two trees are
 * compared as bytes: the common prefix and suffix are skipped with memcmp, and only the entries
 * in between are read, so a commit that adds one file costs one pass of a byte loop over the
 * entries before it.
 */
import { RegistryError } from '../errors/index.js';
import type { ObjectStore, TreeEntry } from './objects.js';

export interface RawEntry {
  name: string;
  mode: string;
  oid: string;
  isTree: boolean;
}

export interface RawChange {
  name: string;
  before?: RawEntry;
  after?: RawEntry;
}

const EMPTY = Buffer.alloc(0);

/** A tree's raw bytes (empty for undefined); the object database caches and bounds them. */
export function treeBytes(store: ObjectStore, oid: string | undefined): Buffer {
  if (!oid) return EMPTY;
  const o = store.odb.read(oid);
  if (!o) throw new RegistryError('NOT_FOUND', `Git object ${oid} is missing. The repository is incomplete: fetch it again or run \`git fsck\`.`, { oid });
  if (o.type !== 'tree') throw new RegistryError('BAD_INPUT', `Git object ${oid} is a ${o.type}, not a tree.`, { oid, type: o.type });
  return o.content;
}

/** Offset just past the entry starting at `i` (`mode SP name NUL oid[20]`). */
function entryEnd(buf: Buffer, i: number): number {
  const j = buf.indexOf(0, i);
  return j < 0 ? buf.length + 21 : j + 21;
}

/**
 * Where the entry at `i` has its space and its NUL (`mode SP name NUL oid[20]`), by native
 * searches: a byte loop over a 450 kB folder tree runs in V8's interpreter in a short-lived
 * process and took 50-170 ms of a write's CPU; `indexOf` takes well under a millisecond.
 */
function entryMarks(buf: Buffer, i: number): { sp: number; nul: number } {
  const sp = buf.indexOf(0x20, i);
  const nul = sp < 0 ? -1 : buf.indexOf(0, sp + 1);
  return sp < 0 || nul < 0 ? { sp: buf.length, nul: buf.length } : { sp, nul };
}

function readEntry(buf: Buffer, i: number): { entry: RawEntry; nameStart: number; nameEnd: number; end: number } {
  const { sp, nul } = entryMarks(buf, i);
  if (nul + 21 > buf.length) throw new RegistryError('IO', 'A Git tree object is truncated or corrupt. Run `git fsck`, and fetch the repository again.', {});
  const mode = buf.toString('latin1', i, sp);
  const isTree = mode === '40000';
  return {
    entry: { name: buf.toString('utf8', sp + 1, nul), mode: isTree ? '040000' : mode, oid: buf.toString('hex', nul + 1, nul + 21), isTree },
    nameStart: sp + 1, nameEnd: nul, end: nul + 21,
  };
}

/** Git's order of tree entries: by name bytes, a tree's name read as if it ended in '/'. */
function compareNames(a: Buffer, as: number, ae: number, aTree: boolean, b: Buffer, bs: number, be: number, bTree: boolean): number {
  const n = Math.min(ae - as, be - bs);
  const c = a.compare(b, bs, bs + n, as, as + n);
  if (c !== 0) return c;
  const ca = ae - as > n ? a[as + n] : aTree ? 0x2f : 0;
  const cb = be - bs > n ? b[bs + n] : bTree ? 0x2f : 0;
  return ca - cb;
}

/**
 * Bytes `a` and `b` share at their start: a binary search by native compares of ranges, about 20
 * calls for a folder tree of 400 kB. Compares of fixed 4 kB chunks took about 120 calls a tree,
 * each through Buffer#compare's argument checks in V8's interpreter, and were most of the cost of
 * comparing the folder trees of a short walk (`history --limit 20`).
 */
function commonPrefix(a: Buffer, b: Buffer): number {
  // The first difference, if any, is in [lo, hi); a[0, lo) equals b[0, lo).
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (hi - lo > 16) {
    const mid = lo + ((hi - lo) >> 1);
    if (a.compare(b, lo, mid, lo, mid) === 0) lo = mid;
    else hi = mid;
  }
  while (lo < hi && a[lo] === b[lo]) lo++;
  return lo;
}

/** Bytes `a` and `b` share at their end, at most `limit`; a binary search as commonPrefix's. */
function commonSuffix(a: Buffer, b: Buffer, limit: number): number {
  let lo = 0;
  let hi = limit;
  while (hi - lo > 16) {
    const mid = lo + ((hi - lo) >> 1);
    if (a.compare(b, b.length - mid, b.length - lo, a.length - mid, a.length - lo) === 0) lo = mid;
    else hi = mid;
  }
  while (lo < hi && a[a.length - 1 - lo] === b[b.length - 1 - lo]) lo++;
  return lo;
}

/**
 * Entry starts known of the large tree bytes compared last, ascending. Entry boundaries are only
 * known by reading forward from the start, and a walk down a model's history compares each folder
 * tree with its parent's, which shares the same prefix and is the next comparison's other side:
 * the starts found in one comparison serve the next, so a commit costs a binary search, not a
 * pass over the entries. One array, kept and truncated in place: an array per tree (10,000
 * starts for a folder of 10,000 versions) was most of what a walk left to the garbage collector.
 * Only trees of KNOWN_MIN bytes or more are remembered: a commit's walk also compares the small
 * trees on the path to the folder (the registry folder, the model folder), and when they took
 * the place of the versions folder's starts every commit scanned that folder from its start
 * again (10,000 entries, most of a cold `history --limit 20`'s comparisons).
 */
let known: { buf: Buffer; starts: number[] } | undefined;
const KNOWN_MIN = 16 * 1024;

/** The start of the last entry that ends at or before `prefix` (bytes `a` and `b` share), remembered for `a` when it is large. */
function lastBoundary(a: Buffer, b: Buffer, prefix: number): number {
  const remember = a.length >= KNOWN_MIN;
  // Starts known of either buffer are starts of both up to the common prefix.
  const starts = remember && known && (known.buf === b || known.buf === a) ? known.starts : [0];
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= prefix) lo = mid; else hi = mid - 1;
  }
  starts.length = lo + 1;
  let start = starts[lo];
  if (prefix - start >= TEXT_SCAN_MIN) {
    // A long way to go (the first comparison of a large folder: thousands of entries): searched
    // in the bytes as a Latin-1 string, whose indexOf runs without a call into C++. Each
    // Buffer#indexOf did, and a first `history --limit 20` at 10,000 versions spent 4 ms there.
    const text = a.toString('latin1', start, Math.min(a.length, prefix + 1));
    let at = 0;
    for (;;) {
      const nul = text.indexOf('\0', at);
      if (nul < 0 || start + nul + 21 > prefix) break;
      at = nul + 21;
      if (remember) starts.push(start + at);
    }
    start += at;
  }
  while (start < a.length) {
    const end = entryEnd(a, start);
    if (end > prefix) break;
    start = end;
    if (remember) starts.push(start);
  }
  if (remember) known = { buf: a, starts };
  return start;
}

/** Bytes to the first difference from which entry ends are searched in a string. */
const TEXT_SCAN_MIN = 8 * 1024;

/** The entries that differ between two raw trees (same name: changed; one side only: added or removed), in tree order. */
export function diffRawTrees(a: Buffer, b: Buffer): RawChange[] {
  if (a.length === b.length && a.equals(b)) return [];
  const prefix = commonPrefix(a, b);
  const suffix = commonSuffix(a, b, Math.min(a.length, b.length) - prefix);
  const start = lastBoundary(a, b, prefix);
  let ia = start;
  let ib = start;
  const out: RawChange[] = [];
  while (ia < a.length || ib < b.length) {
    // Both at an entry boundary with identical tails: nothing further differs.
    if (a.length - ia === b.length - ib && a.length - ia <= suffix) break;
    const x = ia < a.length ? readEntry(a, ia) : undefined;
    const y = ib < b.length ? readEntry(b, ib) : undefined;
    const c = !x ? 1 : !y ? -1 : compareNames(a, x.nameStart, x.nameEnd, x.entry.isTree, b, y.nameStart, y.nameEnd, y.entry.isTree);
    if (c < 0) {
      out.push({ name: x!.entry.name, before: x!.entry });
      ia = x!.end;
    } else if (c > 0) {
      out.push({ name: y!.entry.name, after: y!.entry });
      ib = y!.end;
    } else {
      if (x!.entry.oid !== y!.entry.oid || x!.entry.mode !== y!.entry.mode) out.push({ name: x!.entry.name, before: x!.entry, after: y!.entry });
      ia = x!.end;
      ib = y!.end;
    }
  }
  return out;
}

/** The names of a raw tree's entries with where each starts (no ids decoded: a folder of 10,000 versions in a few milliseconds). */
export function rawNames(buf: Buffer): Array<{ name: string; offset: number }> {
  const out: Array<{ name: string; offset: number }> = [];
  // One Latin-1 string of the whole tree, searched by String#indexOf: two Buffer#indexOf calls
  // per entry went through Node's argument checks in V8's interpreter, about 5 ms for a folder
  // of 2,000 versions. A name is the string's slice when it is ASCII (Latin-1 and UTF-8 agree).
  const text = buf.toString('latin1');
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    const nul = sp < 0 ? -1 : text.indexOf('\0', sp + 1);
    if (nul < 0 || nul + 21 > buf.length) break;
    const name = text.slice(sp + 1, nul);
    out.push({ name: NON_ASCII.test(name) ? buf.toString('utf8', sp + 1, nul) : name, offset: i });
    i = nul + 21;
  }
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The entry that starts at `offset` of a raw tree (an offset from `rawNames`). */
/** Whether the entry at `offset` of a raw tree is a regular file (mode 100644 or 100755), without decoding it. */
export function rawIsRegularFile(buf: Buffer, offset: number): boolean {
  return buf[offset] === 0x31 && buf[offset + 1] === 0x30 && buf[offset + 2] === 0x30;
}

export function rawEntryAtOffset(buf: Buffer, offset: number): RawEntry {
  return readEntry(buf, offset).entry;
}

/** Where an entry whose space is at `p` starts: a mode of 6 digits starting with 1 (files, links, submodules) or `40000` (folders), just after the previous entry. -1: none can. */
function entryStartBefore(buf: Buffer, p: number): number {
  for (const len of [6, 5]) {
    const s = p - len;
    if (s < 0 || buf[s] !== (len === 6 ? 0x31 : 0x34)) continue;
    let digits = true;
    for (let k = s + 1; k < p && digits; k++) digits = buf[k] >= 0x30 && buf[k] <= 0x37;
    if (digits && (s === 0 || (s >= 21 && buf[s - 21] === 0))) return s;
  }
  return -1;
}

/**
 * The start of the entry named exactly `name` in a raw tree, or -1, by a native search for
 * ` name\0` instead of a walk over the entries (a walk is 10,000 steps of interpreted code in a
 * folder of 10,000 versions). A match counts only where an entry can start: a 5- or 6-digit mode
 * before it, at the start of the buffer or just after another entry's name and id (that name's
 * NUL 21 bytes back), and a mode digit or the end of the tree 20 bytes after it. A run like that
 * does not fit inside the 20 bytes of an object id, so a false match needs an id, the entries
 * around it and the name to line up in all those places at once. `kind`: only an entry of that
 * kind (a file `a` and a folder `a` can both exist).
 */
export function findRawEntryStart(buf: Buffer, name: string, kind?: 'tree' | 'file'): number {
  const pattern = Buffer.from(` ${name}\0`);
  for (let p = buf.indexOf(pattern); p >= 0; p = buf.indexOf(pattern, p + 1)) {
    const s = entryStartBefore(buf, p);
    if (s < 0) continue;
    const end = p + pattern.length + 20;
    if (end > buf.length || (end < buf.length && buf[end] !== 0x31 && buf[end] !== 0x34)) continue;
    if (kind && (buf[s] === 0x34) !== (kind === 'tree')) continue;
    return s;
  }
  return -1;
}

/** The entry named `name` in a raw tree (ASCII letters matched case-insensitively when no exact match exists). */
export function findRawEntry(buf: Buffer, name: string): RawEntry | undefined {
  const exact = findRawEntryStart(buf, name);
  if (exact >= 0) return readEntry(buf, exact).entry;
  const want = Buffer.from(name);
  const lower = Buffer.from(name.toLowerCase());
  let folded: RawEntry | undefined;
  let i = 0;
  while (i < buf.length) {
    const { sp, nul } = entryMarks(buf, i);
    if (nul + 21 > buf.length) break;
    if (nul - sp - 1 === want.length) {
      if (buf.compare(want, 0, want.length, sp + 1, nul) === 0) return readEntry(buf, i).entry;
      if (!folded) {
        let k = 0;
        while (k < lower.length) {
          const ch = buf[sp + 1 + k];
          if ((ch >= 0x41 && ch <= 0x5a ? ch | 0x20 : ch) !== lower[k]) break;
          k++;
        }
        if (k === lower.length) folded = readEntry(buf, i).entry;
      }
    }
    i = nul + 21;
  }
  return folded;
}

/** One entry of a tree to write (`oid`) or remove (`null`), for spliceRawTree. */
export interface RawEdit {
  name: string;
  /** `100644`, `40000`, …, as Git writes it (no leading zero). */
  mode: string;
  oid: string | null;
}

/**
 * A tree's bytes with entries replaced, added or removed, keeping Git's order; the other entries
 * are copied as they are. A write to a folder of 10,000 versions changes one entry: parsing the
 * 450 kB tree into entry objects and serialising them again cost 100-200 ms of a write's CPU.
 */
export function spliceRawTree(buf: Buffer, edits: RawEdit[]): Buffer {
  let out = buf;
  for (const e of edits) {
    const name = Buffer.from(e.name);
    const isTree = e.mode === '40000';
    const entry = e.oid === null ? undefined : Buffer.concat([Buffer.from(`${e.mode} `), name, Buffer.from([0]), Buffer.from(e.oid, 'hex')]);
    // Remove the entry of that name: any, to write one in its place; to remove, only one of the
    // kind named (a file 'a' and a folder 'a/…' replacing each other are two edits). The same
    // name of the same kind goes back where it was (Git's order depends on both): one copy.
    const old = findRawEntryStart(out, e.name, e.oid === null ? (isTree ? 'tree' : 'file') : undefined);
    if (old >= 0) {
      const oldIsTree = out[old] === 0x34;
      const oldEnd = old + (oldIsTree ? 5 : 6) + 1 + name.length + 1 + 20;
      if (entry && oldIsTree === isTree) {
        out = Buffer.concat([out.subarray(0, old), entry, out.subarray(oldEnd)]);
        continue;
      }
      out = Buffer.concat([out.subarray(0, old), out.subarray(oldEnd)]);
    }
    if (!entry) continue;
    const at = insertionPoint(out, name, isTree) ?? insertionPointByWalk(out, name, isTree);
    out = Buffer.concat([out.subarray(0, at), entry, out.subarray(at)]);
  }
  return out;
}

/** Where a new entry goes: before the first entry whose name sorts after it (Git's order), by a walk over every entry before it. */
function insertionPointByWalk(buf: Buffer, name: Buffer, isTree: boolean): number {
  for (let i = 0; i < buf.length;) {
    const { sp, nul } = entryMarks(buf, i);
    if (nul + 21 > buf.length) break;
    if (compareNames(buf, sp + 1, nul, buf[i] === 0x34, name, 0, name.length, isTree) > 0) return i;
    i = nul + 21;
  }
  return buf.length;
}

/** One tree entry (mode, name, 20-byte id) at `lastIndex` of the tree read as latin1 (a character a byte), and up to 64 of them. */
const ONE_ENTRY = /([0-7]+) ([^\0]*)\0[\s\S]{20}/y;
const ENTRY_RUN = /(?:[0-7]+ [^\0]*\0[\s\S]{20}){1,64}/y;

/**
 * `insertionPointByWalk` in steps of 64 entries: the walk is a loop per entry in V8's
 * interpreter in a short process, 20-50 ms of CPU to add a version at the end of a folder of
 * 10,000 (a regular expression steps over 64 entries natively; the name after each run says
 * whether the place is in it). The entries are parsed in order from the first, as the walk
 * does; undefined when the bytes are not a well-formed tree (the walk decides then).
 */
function insertionPoint(buf: Buffer, name: Buffer, isTree: boolean): number | undefined {
  const text = buf.toString('latin1');
  // Git compares a folder's name as if it ended in '/'; a latin1 string compares as its bytes.
  const key = name.toString('latin1') + (isTree ? '/' : '');
  const keyAt = (at: number): string | undefined => {
    ONE_ENTRY.lastIndex = at;
    const m = ONE_ENTRY.exec(text);
    return m ? (m[1] === '40000' ? `${m[2]}/` : m[2]) : undefined;
  };
  let at = 0;
  // Every entry before `at` sorts at or before the new one.
  while (at < text.length) {
    const here = keyAt(at);
    if (here === undefined) return undefined;
    if (here > key) return at;
    ENTRY_RUN.lastIndex = at;
    if (!ENTRY_RUN.exec(text)) return undefined;
    const next = ENTRY_RUN.lastIndex;
    const after = next < text.length ? keyAt(next) : undefined;
    if (next < text.length && after === undefined) return undefined;
    if (after !== undefined && after <= key) {
      at = next;
      continue;
    }
    // The place is in this run (or at its end): one entry at a time.
    for (let i = ONE_ENTRY.lastIndex = at; i < next; i = ONE_ENTRY.lastIndex) {
      const m = ONE_ENTRY.exec(text)!;
      if ((m[1] === '40000' ? `${m[2]}/` : m[2]) > key) return i;
    }
    return next;
  }
  return at;
}

/** The entry at a slash-separated path under a tree, reading raw trees (no parse of the folders on the way). */
export function rawEntryAt(store: ObjectStore, tree: string | undefined, path: string, foldCase = false): RawEntry | undefined {
  let cur: RawEntry | undefined = tree ? { name: '', mode: '040000', oid: tree, isTree: true } : undefined;
  for (const part of path.split('/')) {
    if (!cur || !cur.isTree) return undefined;
    const buf = treeBytes(store, cur.oid);
    cur = foldCase ? findRawEntry(buf, part) : findExact(buf, part);
  }
  return cur;
}

function findExact(buf: Buffer, name: string): RawEntry | undefined {
  const at = findRawEntryStart(buf, name);
  return at < 0 ? undefined : readEntry(buf, at).entry;
}

/** `rawEntryAt` as the parsed trees' TreeEntry (`store.entryAt`'s answer), without parsing the folders on the way. */
export function treeEntryAt(store: ObjectStore, tree: string, path: string): TreeEntry | undefined {
  if (path === '') return { mode: '040000', path: '', oid: tree, type: 'tree' };
  const e = rawEntryAt(store, tree, path);
  return e && { mode: e.mode, path: e.name, oid: e.oid, type: e.isTree ? 'tree' : e.mode === '160000' ? 'commit' : 'blob' };
}

export interface ChangedFile {
  path: string;
  before?: string;
  after?: string;
}

/** Blob paths that differ between two trees (undefined = empty), under `prefix`, skipping equal subtrees; `read` gives a tree's bytes (storage/tree-file-cache.ts's for a big folder). */
export function changedFiles(store: ObjectStore, a: string | undefined, b: string | undefined, prefix = '', read: (store: ObjectStore, oid: string | undefined) => Buffer = treeBytes): ChangedFile[] {
  if (a === b) return [];
  const out: ChangedFile[] = [];
  for (const c of diffRawTrees(read(store, a), read(store, b))) {
    const path = prefix ? `${prefix}/${c.name}` : c.name;
    const xt = c.before?.isTree ? c.before.oid : undefined;
    const yt = c.after?.isTree ? c.after.oid : undefined;
    if (xt || yt) out.push(...changedFiles(store, xt, yt, path, read));
    const xb = c.before && !c.before.isTree ? c.before.oid : undefined;
    const yb = c.after && !c.after.isTree ? c.after.oid : undefined;
    if (xb !== yb || (c.before && c.after && !xt && !yt && c.before.mode !== c.after.mode)) out.push({ path, ...(xb ? { before: xb } : {}), ...(yb ? { after: yb } : {}) });
  }
  return out;
}
