/**
 * Reading Git objects directly: loose objects and packfiles (idx v2, OFS/REF deltas), with a
 * positional read of only the bytes an object needs. isomorphic-git loads a whole packfile
 * into memory to read one object (hundreds of MB and most of a second for a 100k-version
 * registry); a point lookup here reads a few kilobytes.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inflatePrefix } from './inflate.js';
import { commonDir } from './worktree.js';
import { inflateSync } from 'node:zlib';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export interface RawObject { type: ObjectType; content: Buffer }

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

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
  fanout: Uint32Array;
  count: number;
  shas: Buffer;
  offsets: Buffer;
  large: Buffer;
}

function loadIdx(idxPath: string, packPath: string): Pack | undefined {
  const buf = readFileSync(idxPath);
  if (buf.readUInt32BE(0) !== 0xff744f63 || buf.readUInt32BE(4) !== 2) return undefined; // only idx v2
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i++) fanout[i] = buf.readUInt32BE(8 + i * 4);
  const count = fanout[255];
  const shaStart = 8 + 1024;
  const crcStart = shaStart + count * 20;
  const offStart = crcStart + count * 4;
  const largeStart = offStart + count * 4;
  return {
    idxPath, packPath, size: statSync(packPath).size, reads: 0, bases: new Map(), fanout, count,
    shas: buf.subarray(shaStart, crcStart), offsets: buf.subarray(offStart, largeStart), large: buf.subarray(largeStart, buf.length - 40),
  };
}

function findInPack(p: Pack, oid: Buffer): number | undefined {
  const first = oid[0];
  let lo = first === 0 ? 0 : p.fanout[first - 1];
  let hi = p.fanout[first];
  const shas = p.shas;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Byte by byte: Buffer#compare's argument checks cost more than the few bytes it compares
    // (ids differ within the first bytes), and a listing looks up every object it reads.
    // From byte 0 although the fan-out bucket fixes it: a damaged index must not match.
    const at = mid * 20;
    let c = 0;
    for (let k = 0; k < 20; k++) {
      const d = shas[at + k] - oid[k];
      if (d !== 0) { c = d; break; }
    }
    if (c === 0) {
      const off = p.offsets.readUInt32BE(mid * 4);
      if (off & 0x80000000) {
        const i = off & 0x7fffffff;
        return Number(p.large.readBigUInt64BE(i * 8));
      }
      return off;
    }
    if (c > 0) hi = mid; // oid sorts before shas[mid]
    else lo = mid + 1;
  }
  return undefined;
}

function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    let b;
    do { b = delta[i++]; n += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return n;
  };
  varint(); // source size
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++];
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off |= delta[i++] << (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) len |= delta[i++] << (8 * b);
      if (len === 0) len = 0x10000;
      base.copy(out, o, off >>> 0, (off >>> 0) + len);
      o += len;
    } else if (op) {
      delta.copy(out, o, i, i + op);
      o += op;
      i += op;
    } else throw new Error('corrupt delta');
  }
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
const BULK_MAX_BYTES = 256 * 1024 * 1024;

export class ObjectDatabase {
  private packs?: Pack[];
  private cache = new Map<string, RawObject>();
  /** Parsed tree entries by tree id, filled by ObjectStore (the parse is the cost of a large folder). */
  readonly parsedTrees = new Map<string, unknown>();
  /** The objects folder, shared by every worktree. */
  private readonly objects: string;
  constructor(readonly gitdir: string) {
    this.objects = join(commonDir(gitdir), 'objects');
  }

  private loadPacks(): Pack[] {
    if (this.packs) return this.packs;
    const dir = join(this.objects, 'pack');
    let names: string[] = [];
    try { names = readdirSync(dir); } catch { /* no packs */ }
    this.packs = names.filter((n) => n.endsWith('.idx')).map((n) => loadIdx(join(dir, n), join(dir, n.replace(/\.idx$/, '.pack')))).filter((p): p is Pack => !!p);
    return this.packs;
  }

  private readAt(p: Pack, pos: number, len: number): Buffer {
    if (p.data) return p.data.subarray(pos, Math.min(pos + len, p.data.length));
    p.fd ??= openSync(p.packPath, 'r');
    const n = Math.min(len, p.size - pos);
    const buf = Buffer.allocUnsafe(Math.max(n, 0));
    let got = 0;
    while (got < n) {
      const r = readSync(p.fd, buf, got, n - got, pos + got);
      if (r <= 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  private inflateAt(p: Pack, pos: number, size: number): Buffer {
    let want = Math.max(256, Math.ceil(size * 1.1) + 64);
    for (;;) {
      const chunk = this.readAt(p, pos, want);
      // One reused zlib handle (storage/inflate.ts): a whole-registry read inflates tens of
      // thousands of small objects, and a new inflater per object was most of their cost.
      const out = inflatePrefix(chunk, size);
      if (out.length >= size || pos + want >= p.size) return out;
      want *= 2;
    }
  }

  private readPacked(p: Pack, offset: number, depth = 0): RawObject {
    const hit = p.bases.get(offset);
    if (hit) return hit;
    const obj = this.readPackedUncached(p, offset, depth);
    if (depth > 0 || obj.type !== 'blob') {
      if (p.bases.size > 512) p.bases.delete(p.bases.keys().next().value!);
      p.bases.set(offset, obj);
    }
    return obj;
  }

  private readPackedUncached(p: Pack, offset: number, depth: number): RawObject {
    if (depth > 100) throw new Error('delta chain too deep');
    if (!p.data && ++p.reads > BULK_READS && p.size <= BULK_MAX_BYTES) p.data = readFileSync(p.packPath);
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
      const base = this.readPacked(p, offset - back, depth + 1);
      return { type: base.type, content: applyDelta(base.content, this.inflateAt(p, offset + i, size)) };
    }
    if (type === 7) {
      const baseOid = head.subarray(i, i + 20).toString('hex');
      i += 20;
      const base = this.read(baseOid);
      if (!base) throw new Error(`missing delta base ${baseOid}`);
      return { type: base.type, content: applyDelta(base.content, this.inflateAt(p, offset + i, size)) };
    }
    const t = TYPES[type];
    if (!t) throw new Error(`unknown object type ${type} in ${p.packPath}`);
    return { type: t, content: this.inflateAt(p, offset + i, size) };
  }

  /** The object with id `oid`, or undefined when the repository does not have it. */
  read(oid: string): RawObject | undefined {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    let obj: RawObject | undefined;
    // Packs first (a lookup in memory), loose objects next, then packs again in case a gc or
    // fetch repacked meanwhile.
    const key = Buffer.from(oid, 'hex');
    for (const p of this.loadPacks()) {
      const off = findInPack(p, key);
      if (off !== undefined) { obj = this.readPacked(p, off); break; }
    }
    if (!obj) try {
      const raw = inflateSync(readFileSync(join(this.objects, oid.slice(0, 2), oid.slice(2))));
      const sp = raw.indexOf(0x20);
      const nul = raw.indexOf(0, sp);
      obj = { type: raw.toString('latin1', 0, sp) as ObjectType, content: raw.subarray(nul + 1) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!obj) {
      this.refreshPacks();
      for (const p of this.loadPacks()) {
        const off = findInPack(p, key);
        if (off !== undefined) { obj = this.readPacked(p, off); break; }
      }
    }
    if (obj && obj.type !== 'blob') {
      if (this.cache.size >= 20_000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(oid, obj);
    }
    return obj;
  }

  has(oid: string): boolean {
    try { statSync(join(this.objects, oid.slice(0, 2), oid.slice(2))); return true; } catch { /* packed? */ }
    const key = Buffer.from(oid, 'hex');
    return this.loadPacks().some((p) => findInPack(p, key) !== undefined);
  }

  /** Full ids starting with `prefix` (for abbreviated commit ids). */
  expand(prefix: string): string[] {
    const out = new Set<string>();
    const dir = prefix.slice(0, 2);
    try {
      for (const n of readdirSync(join(this.objects, dir))) if ((dir + n).startsWith(prefix)) out.add(dir + n);
    } catch { /* none loose */ }
    for (const p of this.loadPacks()) {
      for (let i = 0; i < p.count; i++) {
        const sha = p.shas.toString('hex', i * 20, i * 20 + 20);
        if (sha.startsWith(prefix)) out.add(sha);
      }
    }
    return [...out];
  }

  refreshPacks(): void {
    this.close();
    this.packs = undefined;
  }

  close(): void {
    for (const p of this.packs ?? []) {
      p.data = undefined;
      if (p.fd !== undefined) { closeSync(p.fd); p.fd = undefined; }
    }
  }
}
