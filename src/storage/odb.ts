/**
 * Reading Git objects directly: loose objects and packfiles (idx v2, OFS/REF deltas), in the
 * repository's own object folder and in those its `objects/info/alternates` names, with a
 * positional read of only the bytes an object needs. isomorphic-git loads a whole packfile
 * into memory to read one object (hundreds of MB and most of a second for a 100k-version
 * registry); a point lookup here reads a few kilobytes.
 *
 * Every failure to read an object the repository has is a CORRUPT_OBJECT RegistryError naming
 * the object, the file and what failed; an absent object is `undefined` (ObjectStore turns it
 * into MISSING_OBJECT where the object was needed).
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { inflatePrefix } from './inflate.js';
import { commonDir } from './worktree.js';
import { inflateSync } from 'node:zlib';
import type { ObjectSource, ObjectType, RawObject } from './object-reader.js';

export type { ObjectType, RawObject } from './object-reader.js';

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const LOOSE_TYPES = new Set<string>(Object.values(TYPES));

/** File system errors (permissions, a full disk) stay what they are: the CLI reports them as IO. */
function isIoError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

interface Pack {
  idxPath: string;
  packPath: string;
  fd?: number;
  size: number;
  /** The whole pack, once enough objects were read from it that one read beats many. */
  data?: Buffer;
  reads: number;
  /** Delta bases (and trees, commits) read from this pack, by offset. */
  bases: Map<number, RawObject>;
  /** Bytes held in `bases`. */
  basesBytes: number;
  fanout: Uint32Array;
  count: number;
  /** The index file's size, and its open file while it is searched on disk. */
  idxSize: number;
  idxFd?: number;
  /** Lookups so far; after LAZY_LOOKUPS the whole index is read (below that, each is a few reads). */
  lookups: number;
  /** The index's tables, once it was read whole. */
  shas?: Buffer;
  offsets?: Buffer;
  large?: Buffer;
}

/**
 * Lookups searched on disk before a pack's index is read whole. A point read or a write looks up
 * a few dozen objects, and the index of a pack of 100,000 commits is 18 MB: reading it took about
 * 40 ms of a `resolve` (mostly the kernel filling fresh memory). A search on disk is about 20
 * reads of 20 bytes; a listing or a history walk, which looks up thousands, reads it whole.
 */
const LAZY_LOOKUPS = 64;
/** Indexes smaller than this are read whole at the first lookup, as one read costs less than the searches. */
const LAZY_MIN_BYTES = 1024 * 1024;
const SHA_START = 8 + 1024;
const probe = Buffer.alloc(20);

/** A damaged object (or pack index): what failed, where. */
export function corruptObject(oid: string | undefined, file: string, what: string, cause?: unknown): RegistryError {
  const subject = oid ? `Git object ${oid} in ${file}` : file;
  return new RegistryError('CORRUPT_OBJECT', `${subject} is corrupt: ${what}. Nothing was changed; run \`git fsck --full\` to see the damage, and restore the object from another clone (git fetch, or clone again).`, { ...(oid ? { oid } : {}), file, what }, { cause });
}

function loadIdx(idxPath: string, packPath: string, lazyBytes = LAZY_MIN_BYTES): Pack | undefined {
  const size = statSync(packPath, { throwIfNoEntry: false })?.size;
  if (size === undefined) return undefined; // an index whose pack is gone (a repack in progress): Git skips it too
  const fd = openSync(idxPath, 'r');
  let idxSize: number;
  const buf = Buffer.alloc(SHA_START);
  let n: number;
  try {
    idxSize = fstatSync(fd).size;
    n = readFully(fd, buf, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 8 || buf.readUInt32BE(0) !== 0xff744f63) {
    // Version 1 has no magic number (it starts with the fan-out table)
    throw new RegistryError('UNSUPPORTED_REPOSITORY', `${idxPath} is not a version 2 pack index (Git has written version 2 since 2007). Rewrite it with \`git index-pack ${packPath}\` or run \`git repack -a -d\`.`, { file: idxPath });
  }
  if (buf.readUInt32BE(4) !== 2) throw corruptObject(undefined, idxPath, `pack index version ${buf.readUInt32BE(4)}, where 2 is expected`);
  if (idxSize < SHA_START + 40) throw corruptObject(undefined, idxPath, `the index is cut off after ${idxSize} bytes`);
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i++) fanout[i] = buf.readUInt32BE(8 + i * 4);
  const count = fanout[255];
  if (SHA_START + count * 28 + 40 > idxSize) throw corruptObject(undefined, idxPath, `the index lists ${count} objects but holds only ${idxSize} bytes`);
  return { idxPath, packPath, size, reads: 0, bases: new Map(), basesBytes: 0, fanout, count, idxSize, lookups: idxSize < lazyBytes ? LAZY_LOOKUPS : 0 };
}

/** Reads into `buf` from `pos` until it is full or the file ends; the bytes read. */
function readFully(fd: number, buf: Buffer, pos: number): number {
  let got = 0;
  while (got < buf.length) {
    const r = readSync(fd, buf, got, buf.length - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/** The pack's index read whole (for many lookups, or a listing of every id). */
function wholeIdx(p: Pack): { shas: Buffer; offsets: Buffer; large: Buffer } {
  if (p.shas && p.offsets && p.large) return { shas: p.shas, offsets: p.offsets, large: p.large };
  const buf = readFileSync(p.idxPath);
  if (buf.length !== p.idxSize) throw corruptObject(undefined, p.idxPath, `the index changed size while it was read (${p.idxSize} then ${buf.length} bytes)`);
  if (p.idxFd !== undefined) { try { closeSync(p.idxFd); } catch { /* closed */ } p.idxFd = undefined; }
  const crcStart = SHA_START + p.count * 20;
  const offStart = crcStart + p.count * 4;
  const largeStart = offStart + p.count * 4;
  p.shas = buf.subarray(SHA_START, crcStart);
  p.offsets = buf.subarray(offStart, largeStart);
  p.large = buf.subarray(largeStart, buf.length - 40);
  return { shas: p.shas, offsets: p.offsets, large: p.large };
}

/** `len` bytes of the pack's index at `pos`, read from its file into `into`. */
function idxBytes(p: Pack, into: Buffer, len: number, pos: number): Buffer {
  p.idxFd ??= openSync(p.idxPath, 'r');
  const view = into.subarray(0, len);
  if (readFully(p.idxFd, view, pos) !== len) throw corruptObject(undefined, p.idxPath, `the index is cut off before byte ${pos + len}`);
  return view;
}

function findInPack(p: Pack, oid: Buffer): number | undefined {
  if (!p.shas && ++p.lookups > LAZY_LOOKUPS) wholeIdx(p);
  const first = oid[0];
  let lo = first === 0 ? 0 : p.fanout[first - 1];
  let hi = p.fanout[first];
  const shas = p.shas;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Byte by byte: Buffer#compare's argument checks cost more than the few bytes it compares
    // (ids differ within the first bytes), and a listing looks up every object it reads.
    // From byte 0 although the fan-out bucket fixes it: a damaged index must not match.
    const row = shas ?? idxBytes(p, probe, 20, SHA_START + mid * 20);
    const at = shas ? mid * 20 : 0;
    let c = 0;
    for (let k = 0; k < 20; k++) {
      const d = row[at + k] - oid[k];
      if (d !== 0) { c = d; break; }
    }
    if (c === 0) {
      const offStart = SHA_START + p.count * 24;
      const off = p.offsets ? p.offsets.readUInt32BE(mid * 4) : idxBytes(p, probe, 4, offStart + mid * 4).readUInt32BE(0);
      if (off & 0x80000000) {
        const i = off & 0x7fffffff;
        const large = p.large ? p.large.readBigUInt64BE(i * 8) : idxBytes(p, probe, 8, offStart + p.count * 4 + i * 8).readBigUInt64BE(0);
        return Number(large);
      }
      return off;
    }
    if (c > 0) hi = mid; // oid sorts before shas[mid]
    else lo = mid + 1;
  }
  return undefined;
}

/** Applies a Git delta; a delta that does not fit its base throws (the caller names the object). `alloc` gives the result's memory. */
function applyDelta(base: Buffer, delta: Buffer, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    let b;
    do {
      if (i >= delta.length) throw new Error('the delta ends inside its header');
      b = delta[i++]; n += (b & 0x7f) * 2 ** shift; shift += 7;
    } while (b & 0x80);
    return n;
  };
  const source = varint();
  if (source !== base.length) throw new Error(`the delta expects a base of ${source} bytes, the base has ${base.length}`);
  const size = varint();
  const out = alloc(size);
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++];
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off |= delta[i++] << (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) len |= delta[i++] << (8 * b);
      if (len === 0) len = 0x10000;
      off >>>= 0;
      if (off + len > base.length || o + len > size) throw new Error('a delta copy reaches outside its base or result');
      // Native copies, never a byte loop here: a byte loop spends V8's budget for this function
      // so fast that a point read (a dozen deltas of a version file) had it compiled by TurboFan,
      // and the process waited for that compile (about 10 ms) before it could exit. Byte loops
      // switched on after the first 256 deltas were slower too, once compiled: a first walk at
      // 2k 5,950 -> 6,205 M instructions, a read of 10,000 version files 1,895 -> 1,959 M.
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op) {
      if (i + op > delta.length || o + op > size) throw new Error('a delta insert reaches outside the delta or result');
      delta.copy(out, o, i, i + op);
      o += op;
      i += op;
    } else throw new Error('a delta holds the reserved opcode 0');
  }
  if (o !== size) throw new Error(`the delta gives ${o} bytes where its header says ${size}`);
  return out;
}

/** Git's limit on nested alternates (sha1-file.c, link_alt_odb_entries): deeper ones are ignored. */
const ALTERNATE_DEPTH = 5;

/** Unquotes a C-style quoted alternates line, as Git writes paths with special characters. */
function unquote(line: string): string {
  if (!line.startsWith('"')) return line;
  const body = line.slice(1, line.lastIndexOf('"') > 0 ? line.lastIndexOf('"') : undefined);
  const esc: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', r: '\r', v: '\v' };
  const bytes: number[] = [];
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c !== '\\') { bytes.push(...Buffer.from(c, 'utf8')); continue; }
    const n = body[++k];
    if (/[0-7]/.test(n)) { bytes.push(parseInt(body.slice(k, k + 3), 8)); k += 2; } else bytes.push(...Buffer.from(esc[n] ?? n, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The object folders a repository reads: its own, then those `objects/info/alternates` names
 * (absolute, or relative to the folder whose file names them), nested up to Git's depth limit,
 * each once. GIT_ALTERNATE_OBJECT_DIRECTORIES is honoured as Git honours it.
 */
export function objectDirectories(objects: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [resolve(objects)];
  const seen = new Set(out);
  const add = (dir: string, depth: number) => {
    const abs = resolve(dir);
    if (seen.has(abs) || !existsSync(abs)) return;
    seen.add(abs);
    out.push(abs);
    follow(abs, depth + 1);
  };
  const follow = (dir: string, depth: number) => {
    if (depth > ALTERNATE_DEPTH) return;
    let text = '';
    try { text = readFileSync(join(dir, 'info', 'alternates'), 'utf8'); } catch { return; }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const path = unquote(line);
      add(isAbsolute(path) ? path : resolve(dir, path), depth);
    }
  };
  for (const p of (env.GIT_ALTERNATE_OBJECT_DIRECTORIES ?? '').split(':')) if (p) add(p, 0);
  follow(out[0], 0);
  return out;
}

/**
 * A point lookup reads a few kilobytes at known offsets; a whole-registry read (a cold `list`, a
 * history walk) reads every object, and one positional read per object cost more than half of
 * it (1.6 s of 3.3 s for 110k blobs). After this many objects (delta bases included) read
 * from one pack, the pack is read into memory once (packs up to BULK_MAX_BYTES; larger ones
 * stay on positional reads).
 */
const BULK_READS = 500;
/** Bytes of objects each cache (per database, per pack) holds at most. */
const CACHE_BYTES = 16 * 1024 * 1024;
const BULK_MAX_BYTES = 256 * 1024 * 1024;
/**
 * Trees at least this large are rebuilt into reused memory by a database made with
 * `recycleTrees` (smaller ones come from Node's shared pool). It was 64 kB: the folders of
 * models below 1,500 versions then took new memory at every commit of a walk (59 MB at 2,000).
 */
const RECYCLE_MIN = 16 * 1024;
/** Reads of compressed data up to this size go into one reused buffer. */
const SCRATCH_MAX = 4 * 1024 * 1024;

export interface ObjectDatabaseOptions {
  /**
   * Large trees rebuilt from pack deltas (a model folder of 10,000 versions: 450 kB, one per
   * commit in a history walk) go into memory the database reuses: once the caches let go of
   * one, its memory is reused after the next `recycle()` (at once when no caller was given it:
   * a link in the middle of a delta chain). Freed Buffer memory otherwise stays
   * with the process until the garbage collector and the allocator return it (a first history
   * walk at 10k versions peaked at 313 MB with a heap under 50 MB). Only for a reader that
   * keeps no tree bytes from one `recycle()` to the next (the history walk: one per commit).
   */
  recycleTrees?: boolean;
  /** Objects the object cache holds at most (default 20,000; bytes are bounded too). A walk that reads each commit once needs few. */
  cacheEntries?: number;
  /** The largest pack that is read into memory whole once it is read often (default 256 MB; see BULK_READS). A walk reads a few objects a commit, and a whole pack is that much more memory. */
  bulkMaxBytes?: number;
  /** Pack indexes of at least this many bytes are searched on disk for their first lookups (default 1 MB; 0: every index). */
  lazyIndexBytes?: number;
}

/**
 * An object as the caches keep it: a small Buffer from Node's shared 8 KB pool keeps the whole
 * slab alive while it is cached, so thousands of cached trees pinned tens of MB of slabs that
 * were otherwise garbage (a cold `serve` load at 10k versions: 38 MB). A cached object's bytes
 * get a backing store of their own.
 */
function owned(obj: RawObject, pooled?: WeakSet<ArrayBufferLike>): RawObject {
  const c = obj.content;
  if (pooled?.has(c.buffer)) return obj; // memory of its own already, reused on purpose
  if (c.buffer.byteLength <= c.length * 2) return obj;
  const copy = Buffer.allocUnsafeSlow(c.length);
  c.copy(copy);
  return { ...obj, content: copy };
}

export class ObjectDatabase implements ObjectSource {
  private packs?: Pack[];
  private dirs?: string[];
  private cache = new Map<string, RawObject>();
  private cacheBytes = 0;
  /** Parsed tree entries by tree id, filled by ObjectStore (the parse is the cost of a large folder). */
  readonly parsedTrees = new Map<string, unknown>();
  /** The objects folder, shared by every worktree. */
  readonly objects: string;
  /** recycleTrees: memory a rebuilt large tree may take (free), memory the caches let go of since the last recycle() (quarantined), and every such block. */
  private free: ArrayBuffer[] = [];
  private quarantined: ArrayBuffer[] = [];
  private readonly pooled = new WeakSet<ArrayBufferLike>();
  /** Blocks of `pooled` that read() handed to a caller since the last recycle(). */
  private readonly exposed = new Set<ArrayBufferLike>();
  /** Compressed bytes read for one inflate (readScratch). */
  private scratch?: Buffer;
  /**
   * `cacheBytes`: what each object cache holds at most (default 16 MB). A one-pass read that
   * reads every object once (serve's load of a whole registry) gains nothing from the caches
   * and passes a small bound, so its peak memory is not the caches'.
   */
  constructor(readonly gitdir: string, private readonly env: NodeJS.ProcessEnv = process.env, private readonly cacheBytes_ = CACHE_BYTES, private readonly options: ObjectDatabaseOptions = {}) {
    this.objects = join(commonDir(gitdir), 'objects');
  }

  /** The repository's objects folder and its alternates, in the order they are searched. */
  directories(): string[] {
    this.dirs ??= objectDirectories(this.objects, this.env);
    return this.dirs;
  }

  private loadPacks(): Pack[] {
    if (this.packs) return this.packs;
    const packs: Pack[] = [];
    for (const objects of this.directories()) {
      const dir = join(objects, 'pack');
      let names: string[] = [];
      try { names = readdirSync(dir); } catch { /* no packs */ }
      for (const n of names) {
        if (!n.endsWith('.idx')) continue;
        const p = loadIdx(join(dir, n), join(dir, n.replace(/\.idx$/, '.pack')), this.options.lazyIndexBytes);
        if (p) packs.push(p);
      }
    }
    this.packs = packs;
    return packs;
  }

  /**
   * `len` bytes of the pack at `pos` (fewer at its end). With `scratch`, read into memory the
   * database reuses, valid only until the next such read: what is inflated at once.
   */
  private readAt(p: Pack, pos: number, len: number, scratch = false): Buffer {
    if (p.data) return p.data.subarray(pos, Math.min(pos + len, p.data.length));
    p.fd ??= openSync(p.packPath, 'r');
    const n = Math.min(len, p.size - pos);
    const buf = scratch ? this.readScratch(Math.max(n, 0)) : Buffer.allocUnsafe(Math.max(n, 0));
    let got = 0;
    while (got < n) {
      const r = readSync(p.fd, buf, got, n - got, pos + got);
      if (r <= 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  /** Memory of at least `n` bytes for compressed data read from a pack, reused from read to read (a walk read 68 MB of 256 kB reads at 10,000 versions, all garbage at once). */
  private readScratch(n: number): Buffer {
    if (n > SCRATCH_MAX) return Buffer.allocUnsafe(n);
    if (!this.scratch || this.scratch.length < n) this.scratch = Buffer.allocUnsafeSlow(Math.max(n, 64 * 1024));
    return this.scratch.subarray(0, n);
  }

  private inflateAt(p: Pack, pos: number, size: number, alloc?: (size: number) => Buffer): Buffer {
    let want = Math.max(256, Math.ceil(size * 1.1) + 64);
    for (;;) {
      const chunk = this.readAt(p, pos, want, true);
      // One reused zlib handle (storage/inflate.ts): a whole-registry read inflates tens of
      // thousands of small objects, and a new inflater per object was most of their cost.
      const out = inflatePrefix(chunk, size, alloc);
      if (out.length >= size || pos + want >= p.size) return out;
      want *= 2;
    }
  }

  private readPacked(p: Pack, offset: number, depth = 0): RawObject {
    const hit = p.bases.get(offset);
    if (hit) return hit;
    const obj = this.readPackedUncached(p, offset, depth);
    if (depth > 0 || obj.type !== 'blob') {
      p.bases.set(offset, owned(obj, this.pooled));
      p.basesBytes += obj.content.length;
      // Bounded by count and by bytes: the folder of a model with 10,000 versions is a 450 kB
      // tree, and a walk over its history reads one per commit.
      while ((p.bases.size > 512 || p.basesBytes > this.cacheBytes_) && p.bases.size > 1) {
        const [k, v] = p.bases.entries().next().value!;
        p.bases.delete(k);
        p.basesBytes -= v.content.length;
        if (this.pooled.has(v.content.buffer)) this.release(v.content.buffer as ArrayBuffer);
      }
    }
    return obj;
  }

  /**
   * Memory of a large tree the cache let go of: free at once when no caller was given it since
   * the last recycle() (a link in the middle of a delta chain, rebuilt only as the next one's
   * base), else after the next. A walk back along a chain of 50 trees rebuilds the whole chain
   * at once; when each link waited for the next recycle(), the links the cache could not hold
   * took new memory (480 MB over a walk of 10,000 versions, all garbage).
   */
  private release(ab: ArrayBuffer): void {
    if (this.exposed.has(ab)) this.quarantined.push(ab);
    else this.free.push(ab);
  }

  /** Memory for a rebuilt tree of `size` bytes: reused (recycleTrees, large trees), else new. */
  private treeMemory(size: number): Buffer {
    if (size < RECYCLE_MIN) return Buffer.allocUnsafe(size);
    // The smallest free block that fits: a walk goes back in time, and folders shrink.
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i].byteLength;
      if (n >= size && (best < 0 || n < this.free[best].byteLength)) best = i;
    }
    if (best >= 0) {
      const ab = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
      return Buffer.from(ab, 0, size);
    }
    const ab = new ArrayBuffer(size);
    this.pooled.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /**
   * With `recycleTrees`: the memory of large trees the caches let go of since the last call may
   * be reused from now on, so no tree bytes read before this call may be used after it. A walk
   * calls it before each commit. Without `recycleTrees`: nothing.
   */
  recycle(): void {
    this.exposed.clear();
    if (!this.quarantined.length && this.free.length < 2) return;
    this.free.push(...this.quarantined);
    this.quarantined = [];
    // Free memory is bounded by half the cache's bound (the largest blocks kept: they fit any
    // tree). A walk back in time meets ever smaller folders, so the blocks are reused; and as the
    // links of a delta chain are let go of at once (release), a few blocks serve a whole chain.
    this.free.sort((a, b) => b.byteLength - a.byteLength);
    let bytes = 0;
    let keep = 0;
    while (keep < this.free.length && bytes + this.free[keep].byteLength <= this.cacheBytes_ / 2) bytes += this.free[keep++].byteLength;
    this.free.length = keep;
  }

  private alloc(type: ObjectType): ((size: number) => Buffer) | undefined {
    return this.options.recycleTrees && type === 'tree' ? (n) => this.treeMemory(n) : undefined;
  }

  /** Inflates exactly `size` bytes at `pos`, or throws saying what the stream gave. */
  private inflateExactly(p: Pack, pos: number, size: number, alloc?: (size: number) => Buffer): Buffer {
    const out = this.inflateAt(p, pos, size, alloc);
    if (out.length !== size) throw new Error(`its data inflates to ${out.length} bytes where its header says ${size}`);
    return out;
  }

  private readPackedUncached(p: Pack, offset: number, depth: number): RawObject {
    if (depth > 100) throw new Error('a delta chain longer than 100');
    if (offset < 12 || offset >= p.size - 20) throw new Error(`the index points at offset ${offset}, outside the pack`);
    if (!p.data && ++p.reads > BULK_READS && p.size <= (this.options.bulkMaxBytes ?? BULK_MAX_BYTES)) p.data = readFileSync(p.packPath);
    const head = this.readAt(p, offset, 32);
    let i = 0;
    let b = head[i++];
    const type = (b >> 4) & 7;
    let size = b & 0x0f;
    let shift = 4;
    while (b & 0x80) { b = head[i++]; size += (b & 0x7f) * 2 ** shift; shift += 7; }
    if (type === 6) {
      b = head[i++];
      let back = b & 0x7f;
      while (b & 0x80) { b = head[i++]; back = ((back + 1) * 128) + (b & 0x7f); }
      if (back <= 0 || back > offset) throw new Error(`a delta base offset ${back} before ${offset}, outside the pack`);
      const base = this.readPacked(p, offset - back, depth + 1);
      return { type: base.type, content: applyDelta(base.content, this.inflateExactly(p, offset + i, size), this.alloc(base.type)) };
    }
    if (type === 7) {
      const baseOid = head.subarray(i, i + 20).toString('hex');
      i += 20;
      const base = this.read(baseOid);
      if (!base) throw new RegistryError('MISSING_OBJECT', `Git object ${baseOid}, the delta base of an object in ${p.packPath}, is missing from ${this.directories().join(' and ')}. The pack is thin or an object was deleted: run \`git fsck --full\`, and fetch again (git fetch) or clone again.`, { oid: baseOid, file: p.packPath });
      return { type: base.type, content: applyDelta(base.content, this.inflateExactly(p, offset + i, size), this.alloc(base.type)) };
    }
    const t = TYPES[type];
    if (!t) throw new Error(`an object of unknown type ${type} at offset ${offset}`);
    return { type: t, content: this.inflateExactly(p, offset + i, size, this.alloc(t)) };
  }

  /** A packed object by its index offset; any failure becomes CORRUPT_OBJECT naming it and the pack. */
  private readFromPack(p: Pack, offset: number, oid: string): RawObject {
    try {
      return this.readPacked(p, offset);
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      if (isIoError(e)) throw e;
      throw corruptObject(oid, p.packPath, (e as Error).message, e);
    }
  }

  private readLoose(oid: string): RawObject | undefined {
    for (const dir of this.directories()) {
      const file = join(dir, oid.slice(0, 2), oid.slice(2));
      let bytes: Buffer;
      try { bytes = readFileSync(file); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw e;
      }
      let raw: Buffer;
      try { raw = inflateSync(bytes); } catch (e) { throw corruptObject(oid, file, `it does not inflate (${(e as Error).message})`, e); }
      const sp = raw.indexOf(0x20);
      const nul = sp < 0 ? -1 : raw.indexOf(0, sp);
      const type = sp < 0 ? '' : raw.toString('latin1', 0, sp);
      const size = nul < 0 ? NaN : Number(raw.toString('latin1', sp + 1, nul));
      if (nul < 0 || !LOOSE_TYPES.has(type)) throw corruptObject(oid, file, 'its header is not "<type> <size>"');
      if (size !== raw.length - nul - 1) throw corruptObject(oid, file, `its header says ${size} bytes, it holds ${raw.length - nul - 1}`);
      return { type: type as ObjectType, content: raw.subarray(nul + 1) };
    }
    return undefined;
  }

  /** The object with id `oid`, or undefined when the repository does not have it. */
  read(oid: string): RawObject | undefined {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    let obj: RawObject | undefined;
    // Packs first (a lookup in memory), loose objects next, then packs again in case a gc or
    // fetch repacked meanwhile.
    if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
    const key = Buffer.from(oid, 'hex');
    for (const p of this.loadPacks()) {
      const off = findInPack(p, key);
      if (off !== undefined) { obj = this.readFromPack(p, off, oid); break; }
    }
    obj ??= this.readLoose(oid);
    if (!obj) {
      this.refreshPacks();
      for (const p of this.loadPacks()) {
        const off = findInPack(p, key);
        if (off !== undefined) { obj = this.readFromPack(p, off, oid); break; }
      }
    }
    if (obj && this.pooled.has(obj.content.buffer)) {
      this.exposed.add(obj.content.buffer);
      return obj; // recycled trees stay in the pack's cache only (where their memory is accounted for)
    }
    if (obj && obj.type !== 'blob' && !this.cache.has(oid)) {
      this.cache.set(oid, owned(obj));
      this.cacheBytes += obj.content.length;
      while ((this.cache.size > (this.options.cacheEntries ?? 20_000) || this.cacheBytes > this.cacheBytes_) && this.cache.size > 1) {
        const [k, v] = this.cache.entries().next().value!;
        this.cache.delete(k);
        this.cacheBytes -= v.content.length;
      }
    }
    return obj;
  }

  has(oid: string): boolean {
    if (!/^[0-9a-f]{40}$/.test(oid)) return false;
    for (const dir of this.directories()) if (existsSync(join(dir, oid.slice(0, 2), oid.slice(2)))) return true;
    const key = Buffer.from(oid, 'hex');
    return this.loadPacks().some((p) => findInPack(p, key) !== undefined);
  }

  /** Full ids starting with `prefix` (for abbreviated commit ids). */
  expand(prefix: string): string[] {
    const out = new Set<string>();
    const dir = prefix.slice(0, 2);
    for (const objects of this.directories()) {
      try {
        for (const n of readdirSync(join(objects, dir))) if ((dir + n).startsWith(prefix) && /^[0-9a-f]{38}$/.test(n)) out.add(dir + n);
      } catch { /* none loose */ }
    }
    for (const p of this.loadPacks()) {
      const { shas } = wholeIdx(p);
      for (let i = 0; i < p.count; i++) {
        const sha = shas.toString('hex', i * 20, i * 20 + 20);
        if (sha.startsWith(prefix)) out.add(sha);
      }
    }
    return [...out];
  }

  /**
   * Keeps `obj` as the object `oid` in the memory cache, as if read here: a caller that has a
   * verified copy (storage/tree-file-cache.ts: a large tree by id, checked against its id) spares
   * the next `read` of it a rebuild from its pack's delta chain.
   */
  remember(oid: string, obj: RawObject): void {
    if (this.cache.has(oid)) return;
    this.cache.set(oid, obj);
    this.cacheBytes += obj.content.length;
    while ((this.cache.size > 20_000 || this.cacheBytes > this.cacheBytes_) && this.cache.size > 1) {
      const [k, v] = this.cache.entries().next().value!;
      this.cache.delete(k);
      this.cacheBytes -= v.content.length;
    }
  }

  refreshPacks(): void {
    this.close();
    this.packs = undefined;
    this.dirs = undefined;
  }

  close(): void {
    for (const p of this.packs ?? []) {
      p.data = undefined;
      if (p.fd !== undefined) { closeSync(p.fd); p.fd = undefined; }
      if (p.idxFd !== undefined) { closeSync(p.idxFd); p.idxFd = undefined; }
    }
  }
}
