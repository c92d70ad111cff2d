/**
 * The Git index (`.git/index`, versions 2 and 3), read and rewritten for only the entries a
 * write touched. isomorphic-git's index writer rewrites the file in place without Git's
 * `index.lock`; this one takes `index.lock` exclusively (so native git and modelreg exclude
 * each other) and renames it into place, so a killed process leaves the old index or the new.
 * The cached-tree extension is dropped (Git rebuilds it); split and sparse indexes are refused.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { faultPoint } from './fault.js';

interface RawEntry { path: string; stage: number; bytes: Buffer }

export interface IndexUpdate {
  path: string;
  /** undefined removes the entry */
  oid?: string;
  stats?: Stats;
  mode?: number;
}

function parse(buf: Buffer, file: string): { version: number; entries: RawEntry[]; extensions: Buffer[] } {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') {
    throw new RegistryError('IO', `${file} is not a Git index. Run \`git reset\` to rebuild it.`, { file });
  }
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    throw new RegistryError('UNSUPPORTED', `${file} uses index format v${version}; modelreg writes v2 and v3. Run \`git update-index --index-version 2\`.`, { file, version });
  }
  const count = buf.readUInt32BE(8);
  const entries: RawEntry[] = [];
  let off = 12;
  for (let i = 0; i < count; i++) {
    const start = off;
    const flags = buf.readUInt16BE(off + 60);
    const extended = version === 3 && (flags & 0x4000) !== 0;
    const pathStart = off + 62 + (extended ? 2 : 0);
    const nul = buf.indexOf(0, pathStart);
    const path = buf.toString('utf8', pathStart, nul);
    const len = nul - start;
    off = start + ((len + 8) & ~7);
    entries.push({ path, stage: (flags >> 12) & 3, bytes: buf.subarray(start, off) });
  }
  const extensions: Buffer[] = [];
  const end = buf.length - 20;
  while (off < end) {
    const sig = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32BE(off + 4);
    if (sig === 'link' || sig === 'sdir') {
      throw new RegistryError('UNSUPPORTED', `${file} is a ${sig === 'link' ? 'split' : 'sparse'} index, which modelreg does not update. Run \`git update-index --no-split-index\` or disable sparse-index.`, { file });
    }
    if (sig === 'REUC') extensions.push(buf.subarray(off, off + 8 + size));
    off += 8 + size;
  }
  return { version, entries, extensions };
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

function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Applies updates to the index under `index.lock`. Without an index file (a new repository),
 * `fullTree` supplies every entry of the new commit so the index is created complete.
 */
export async function updateIndexEntries(gitdir: string, updates: IndexUpdate[], fullTree?: () => Promise<IndexUpdate[]>): Promise<void> {
  await (await prepareIndex(gitdir, updates, fullTree)).commit();
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
  const file = join(gitdir, 'index');
  const lockPath = `${file}.lock`;
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RegistryError('CONFLICT', `Another git process holds ${lockPath}. Wait for it to finish; if none runs, remove that file and run \`modelreg doctor\`.`, { lock: lockPath });
    }
    throw e;
  }
  try {
    faultPoint('index-locked');
    let buf: Buffer | undefined;
    try {
      buf = await readFile(file);
    } catch {
      buf = undefined;
    }
    if (!buf && !fullTree) {
      await handle.close();
      handle = undefined;
      await unlink(lockPath).catch(() => undefined);
      return { commit: async () => undefined, abort: async () => undefined };
    }
    const { version, entries, extensions } = buf ? parse(buf, file) : { version: 2, entries: [], extensions: [] };
    if (!buf) updates = [...(await fullTree!()), ...updates];
    const byPath = new Map<string, RawEntry[]>();
    for (const e of entries) {
      const list = byPath.get(e.path);
      if (list) list.push(e); else byPath.set(e.path, [e]);
    }
    for (const u of updates) {
      if (u.oid) byPath.set(u.path, [{ path: u.path, stage: 0, bytes: encodeEntry({ path: u.path, oid: u.oid, stats: u.stats, mode: u.mode }) }]);
      else byPath.delete(u.path);
    }
    const paths = [...byPath.keys()].sort(comparePaths);
    const parts: Buffer[] = [];
    const header = Buffer.alloc(12);
    header.write('DIRC', 0, 'latin1');
    header.writeUInt32BE(version, 4);
    let count = 0;
    for (const p of paths) for (const e of byPath.get(p)!.sort((a, b) => a.stage - b.stage)) { parts.push(e.bytes); count++; }
    header.writeUInt32BE(count, 8);
    const body = Buffer.concat([header, ...parts, ...extensions]);
    const sum = createHash('sha1').update(body).digest();
    await handle.writeFile(Buffer.concat([body, sum]));
    await handle.close();
    handle = undefined;
    return {
      commit: () => rename(lockPath, file),
      abort: () => unlink(lockPath).catch(() => undefined),
    };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw e;
  }
}

/** The blob id the index holds for each of `paths` (stage 0), for the dirty check. */
export async function readIndexOids(gitdir: string, paths: string[]): Promise<Map<string, string> | undefined> {
  const out = new Map<string, string>();
  let buf: Buffer;
  try { buf = await readFile(join(gitdir, 'index')); } catch { return undefined; }
  const want = new Set(paths);
  for (const e of parse(buf, join(gitdir, 'index')).entries) {
    if (e.stage === 0 && want.has(e.path)) out.set(e.path, e.bytes.toString('hex', 40, 60));
  }
  return out;
}
