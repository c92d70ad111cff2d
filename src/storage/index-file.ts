/**
 * The Git index (`.git/index`, versions 2, 3 and 4), read and rewritten for only the entries a
 * write touched. isomorphic-git's index writer rewrites the file in place without Git's
 * `index.lock`; this one takes `index.lock` exclusively (so native git and modelreg exclude
 * each other) and renames it into place, so a killed process leaves the old index or the new.
 * Optional extensions other than REUC (the cached tree, the untracked cache, fsmonitor) are
 * dropped (Git rebuilds them); split and sparse indexes and unknown required extensions are
 * refused. Version 4 (`feature.manyFiles`) compresses each path against the previous one: it
 * is expanded to the version 3 layout on reading and compressed again on writing.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { faultPoint } from './fault.js';

export interface IndexUpdate {
  path: string;
  /** undefined removes the entry */
  oid?: string;
  stats?: Stats;
  mode?: number;
}

/**
 * A parsed index as offsets into its bytes: no object per entry, so a 100k-entry index
 * (12 MB) is scanned in a few milliseconds and rewritten by copying the unchanged ranges.
 */
interface ParsedIndex {
  buf: Buffer;
  version: number;
  count: number;
  /** start offset of entry i; starts[count] is the end of the last entry */
  starts: Uint32Array;
  pathStart: Uint32Array;
  pathEnd: Uint32Array;
  extensions: Buffer[];
}

function parse(buf: Buffer, file: string): ParsedIndex {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') {
    throw new RegistryError('IO', `${file} is not a Git index. Run \`git reset\` to rebuild it.`, { file });
  }
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3 && version !== 4) {
    throw new RegistryError('UNSUPPORTED', `${file} uses index format v${version}; modelreg reads and writes v2, v3 and v4. Run \`git update-index --index-version 2\`.`, { file, version });
  }
  const count = buf.readUInt32BE(8);
  if (version === 4) buf = expandV4(buf, count, file);
  const starts = new Uint32Array(count + 1);
  const pathStart = new Uint32Array(count);
  const pathEnd = new Uint32Array(count);
  let off = 12;
  // The flags read byte by byte: this loop runs once per entry (10,000 in a big model) in a
  // process too short for V8 to optimise it, where a readUInt16BE call per entry cost most of it.
  const extendedOk = version >= 3;
  for (let i = 0; i < count; i++) {
    starts[i] = off;
    const high = buf[off + 60];
    const ps = off + (extendedOk && (high & 0x40) !== 0 ? 64 : 62);
    const nameLen = ((high & 0x0f) << 8) | buf[off + 61];
    const nul = nameLen < 0xfff ? ps + nameLen : buf.indexOf(0, ps);
    pathStart[i] = ps;
    pathEnd[i] = nul;
    off += (nul - off + 8) & ~7;
  }
  if (off > buf.length - 20) throw new RegistryError('IO', `${file} is truncated (its ${count} entries run past its end). Run \`git reset\` to rebuild it.`, { file });
  starts[count] = off;
  const extensions: Buffer[] = [];
  const end = buf.length - 20;
  while (off < end) {
    const sig = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32BE(off + 4);
    if (sig === 'link' || sig === 'sdir') {
      throw new RegistryError('UNSUPPORTED', `${file} is a ${sig === 'link' ? 'split' : 'sparse'} index, which modelreg does not update. Run \`git update-index --no-split-index\` or disable sparse-index.`, { file });
    }
    if (sig === 'REUC') extensions.push(buf.subarray(off, off + 8 + size));
    else if (!/^[A-Z]/.test(sig)) {
      throw new RegistryError('UNSUPPORTED', `${file} holds the index extension "${sig}", which Git marks as required and modelreg does not know. Let Git rewrite the index (\`git update-index --index-version 2\`) or use git for this write.`, { file, extension: sig });
    }
    off += 8 + size;
  }
  return { buf, version, count, starts, pathStart, pathEnd, extensions };
}

/**
 * The index a write's dirty check parsed (`readIndexOids`), kept for the same write's
 * `prepareIndex`, which used to read and parse the same file again (1 MB at 10,000 versions).
 * Used only when the file is still the one read: same inode, size, mtime and ctime to the
 * nanosecond, checked once `index.lock` is held. Git replaces the index by renaming a new file
 * over it, so any write in between gives another inode. Taken once: not kept beyond the write.
 */
let lastRead: { file: string; identity: string; ix: ParsedIndex } | undefined;

function identityOf(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** The index file read and parsed, remembered for `prepareIndex`; undefined when there is none. */
function readIndex(file: string): ParsedIndex | undefined {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return undefined; }
  try {
    const identity = identityOf(fstatSync(fd, { bigint: true }));
    const ix = parse(readFileSync(fd), file);
    lastRead = { file, identity, ix };
    return ix;
  } finally {
    closeSync(fd);
  }
}

/** What `readIndex` parsed of `file`, when the file has not changed since (call with index.lock held). */
function takeLastRead(file: string): ParsedIndex | undefined {
  const last = lastRead;
  lastRead = undefined;
  if (!last || last.file !== file) return undefined;
  try {
    return identityOf(statSync(file, { bigint: true })) === last.identity ? last.ix : undefined;
  } catch {
    return undefined;
  }
}

/** Git's offset varint (varint.c): the number of bytes a v4 entry drops from the previous path. */
function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let c = buf[at++];
  let value = c & 127;
  while (c & 128) {
    c = buf[at++];
    value = ((value + 1) * 128) + (c & 127);
  }
  return [value, at];
}

function writeVarint(value: number): Buffer {
  const bytes = [value & 127];
  while ((value = Math.floor(value / 128)) > 0) {
    value -= 1;
    bytes.unshift(128 | (value & 127));
  }
  return Buffer.from(bytes);
}

/** Fixed part of an entry: 62 bytes, 64 with extended flags (v3 and later). */
const fixedSize = (buf: Buffer, off: number) => ((buf.readUInt16BE(off + 60) & 0x4000) !== 0 ? 64 : 62);

/**
 * A v4 index in the v3 layout (full, NUL-padded paths), its extensions and checksum after.
 * Two passes over the entries (sizes, then bytes into one buffer): no object per entry, as a
 * 100k-entry index is expanded on every write.
 */
function expandV4(buf: Buffer, count: number, file: string): Buffer {
  const damaged = (i: number) => new RegistryError('IO', `${file} is a damaged version 4 index (entry ${i}). Run \`git reset\` to rebuild it.`, { file });
  let size = 12;
  let prevLen = 0;
  let off = 12;
  for (let i = 0; i < count; i++) {
    if (off + 62 > buf.length) throw damaged(i);
    const fixed = fixedSize(buf, off);
    const [drop, at] = readVarint(buf, off + fixed);
    const nul = buf.indexOf(0, at);
    if (nul < 0 || drop > prevLen) throw damaged(i);
    prevLen = prevLen - drop + (nul - at);
    size += (fixed + prevLen + 8) & ~7;
    off = nul + 1;
  }
  const entriesEnd = off;
  const out = Buffer.alloc(size + (buf.length - entriesEnd));
  buf.copy(out, 0, 0, 12);
  let o = 12;
  let prevStart = 0;
  prevLen = 0;
  off = 12;
  for (let i = 0; i < count; i++) {
    const fixed = fixedSize(buf, off);
    const [drop, at] = readVarint(buf, off + fixed);
    const nul = buf.indexOf(0, at);
    buf.copy(out, o, off, off + fixed);
    const keep = prevLen - drop;
    out.copy(out, o + fixed, prevStart, prevStart + keep);
    buf.copy(out, o + fixed + keep, at, nul);
    prevStart = o + fixed;
    prevLen = keep + (nul - at);
    o += (fixed + prevLen + 8) & ~7;
    off = nul + 1;
  }
  buf.copy(out, o, entriesEnd);
  return out;
}

/** Entries in the v3 layout, compressed to v4: each path as the bytes to drop from the previous one and a new suffix. */
function compressV4(entries: Buffer[]): Buffer[] {
  let bound = 0;
  for (const chunk of entries) bound += chunk.length * 2;
  const out = Buffer.alloc(bound);
  let o = 0;
  let prev: Buffer = out;
  let prevStart = 0;
  let prevLen = 0;
  for (const chunk of entries) {
    for (let off = 0; off < chunk.length;) {
      const fixed = fixedSize(chunk, off);
      const start = off + fixed;
      const nul = chunk.indexOf(0, start);
      const len = nul - start;
      let common = 0;
      const max = Math.min(prevLen, len);
      while (common < max && prev[prevStart + common] === chunk[start + common]) common++;
      o += chunk.copy(out, o, off, start);
      const drop = prevLen - common;
      if (drop < 128) out[o++] = drop;
      else o += writeVarint(drop).copy(out, o);
      o += chunk.copy(out, o, start + common, nul);
      out[o++] = 0;
      prev = chunk;
      prevStart = start;
      prevLen = len;
      off += (nul - off + 8) & ~7;
    }
  }
  return [out.subarray(0, o)];
}

/** First entry whose path is >= `path` (entries are sorted by path bytes, then stage). */
function lowerBound(ix: ParsedIndex, path: Buffer): number {
  let lo = 0;
  let hi = ix.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ix.buf.compare(path, 0, path.length, ix.pathStart[mid], ix.pathEnd[mid]) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [first, end) of the entries (all stages) of `path`. */
function entriesOf(ix: ParsedIndex, path: Buffer): [number, number] {
  const first = lowerBound(ix, path);
  let end = first;
  while (end < ix.count && ix.buf.compare(path, 0, path.length, ix.pathStart[end], ix.pathEnd[end]) === 0) end++;
  return [first, end];
}

function encodeEntry(u: Required<Pick<IndexUpdate, 'path' | 'oid'>> & { stats?: Stats; mode?: number }): Buffer {
  const pathBuf = Buffer.from(u.path, 'utf8');
  const len = 62 + pathBuf.length;
  const buf = Buffer.alloc((len + 8) & ~7);
  const s = u.stats;
  const sec = (ms: number) => Math.floor(ms / 1000) >>> 0;
  const nsec = (ms: number) => Math.floor((ms % 1000) * 1e6) >>> 0;
  if (s) {
    buf.writeUInt32BE(sec(s.ctimeMs), 0); buf.writeUInt32BE(nsec(s.ctimeMs), 4);
    buf.writeUInt32BE(sec(s.mtimeMs), 8); buf.writeUInt32BE(nsec(s.mtimeMs), 12);
    buf.writeUInt32BE(s.dev >>> 0, 16); buf.writeUInt32BE(s.ino >>> 0, 20);
    buf.writeUInt32BE(s.uid >>> 0, 28); buf.writeUInt32BE(s.gid >>> 0, 32);
    buf.writeUInt32BE(s.size >>> 0, 36);
  }
  buf.writeUInt32BE(u.mode ?? 0o100644, 24);
  Buffer.from(u.oid, 'hex').copy(buf, 40);
  buf.writeUInt16BE(Math.min(pathBuf.length, 0xfff), 60);
  pathBuf.copy(buf, 62);
  return buf;
}


export interface PreparedIndex {
  /** Renames index.lock over the index. */
  commit(): Promise<void>;
  /** Removes index.lock, leaving the index as it was. */
  abort(): Promise<void>;
}

/**
 * Writes the updated index to `index.lock` and keeps the lock: the caller commits (a rename,
 * which needs no disk space) or aborts. A full disk fails here, before anything is visible.
 */
export async function prepareIndex(gitdir: string, updates: IndexUpdate[], fullTree?: () => Promise<IndexUpdate[]>): Promise<PreparedIndex> {
  // Synchronous I/O on purpose: the index of a large registry is megabytes, and reading it
  // through the thread pool in chunks cost more than the work itself.
  const file = join(gitdir, 'index');
  const lockPath = `${file}.lock`;
  let fd: number | undefined;
  try {
    fd = openSync(lockPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RegistryError('CONFLICT', `Another git process holds ${lockPath}. Wait for it to finish; if none runs, remove that file and run \`modelreg doctor\`.`, { lock: lockPath });
    }
    throw e;
  }
  const dropLock = () => {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* closed */ } fd = undefined; }
    try { unlinkSync(lockPath); } catch { /* gone */ }
  };
  try {
    faultPoint('index-locked');
    const read = takeLastRead(file) ?? readIndex(file);
    lastRead = undefined;
    if (!read && !fullTree) {
      dropLock();
      return { commit: async () => undefined, abort: async () => undefined };
    }
    const empty = Buffer.alloc(32);
    empty.write('DIRC', 0, 'latin1');
    empty.writeUInt32BE(2, 4);
    const ix = read ?? parse(empty, file);
    if (!read) updates = [...(await fullTree!()), ...updates];
    // The last update of a path wins; replacements and removals cut ranges out of the old entries.
    const byPath = new Map<string, IndexUpdate>();
    for (const u of updates) byPath.set(u.path, u);
    const edits = [...byPath.values()].map((u) => {
      const key = Buffer.from(u.path, 'utf8');
      const [from, to] = entriesOf(ix, key);
      return { key, from, to, bytes: u.oid ? encodeEntry({ path: u.path, oid: u.oid, stats: u.stats, mode: u.mode }) : undefined };
    }).sort((a, b) => a.from - b.from || Buffer.compare(a.key, b.key));
    const parts: Buffer[] = [];
    let count = 0;
    let cursor = 0;
    for (const e of edits) {
      if (e.from > cursor) {
        parts.push(ix.buf.subarray(ix.starts[cursor], ix.starts[e.from]));
        count += e.from - cursor;
      }
      if (e.bytes) { parts.push(e.bytes); count++; }
      cursor = Math.max(cursor, e.to);
    }
    if (cursor < ix.count) {
      parts.push(ix.buf.subarray(ix.starts[cursor], ix.starts[ix.count]));
      count += ix.count - cursor;
    }
    const header = Buffer.alloc(12);
    header.write('DIRC', 0, 'latin1');
    header.writeUInt32BE(ix.version, 4);
    header.writeUInt32BE(count, 8);
    // Written in pieces, the checksum taken over them: no copy of the whole index (1 MB at
    // 10,000 versions) into one buffer, and none again to append its checksum.
    const pieces = [header, ...(ix.version === 4 ? compressV4(parts) : parts), ...ix.extensions];
    const hash = createHash('sha1');
    for (const p of pieces) hash.update(p);
    pieces.push(hash.digest());
    writeAll(fd, pieces);
    closeSync(fd);
    fd = undefined;
    return {
      commit: async () => renameSync(lockPath, file),
      abort: async () => dropLock(),
    };
  } catch (e) {
    dropLock();
    throw e;
  }
}

/** Writes `pieces` in order to `fd`, with as few system calls as writev allows. */
function writeAll(fd: number, pieces: Buffer[]): void {
  let rest = pieces.filter((p) => p.length > 0);
  while (rest.length) {
    let n = writevSync(fd, rest.slice(0, 1024));
    while (rest.length && n >= rest[0].length) n -= rest.shift()!.length;
    if (n > 0) rest[0] = rest[0].subarray(n);
  }
}

/** The blob id the index holds for each of `paths` (stage 0), for the dirty check. */
export async function readIndexOids(gitdir: string, paths: string[]): Promise<Map<string, string> | undefined> {
  const out = new Map<string, string>();
  const ix = readIndex(join(gitdir, 'index'));
  if (!ix) return undefined;
  for (const p of paths) {
    const [from, to] = entriesOf(ix, Buffer.from(p, 'utf8'));
    for (let i = from; i < to; i++) {
      if (((ix.buf.readUInt16BE(ix.starts[i] + 60) >> 12) & 3) === 0) out.set(p, ix.buf.toString('hex', ix.starts[i] + 40, ix.starts[i] + 60));
    }
  }
  return out;
}
