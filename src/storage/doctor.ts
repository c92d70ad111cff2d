/**
 * Repairs after an interrupted write: stale locks of dead processes, leftover temporary files,
 * and working-tree files and index entries of registry paths left behind the branch tip.
 * A file a person edited is reported, never overwritten.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { hashBlob, type ObjectStore } from './objects.js';
import { readIndexOids } from './index-file.js';
import { syncWorktree } from './write.js';
import { firstParentLog } from './history.js';
import type { RepoPaths } from './repo.js';
import { alive, madeSince } from './lock.js';
import { commonDir, refDir } from './worktree.js';

export interface DoctorReport {
  removedLocks: string[];
  removedTempFiles: number;
  repaired: string[];
  userEdits: string[];
  looseObjects: number;
}

export async function clearStaleLocks(repo: RepoPaths, ref: string | undefined): Promise<string[]> {
  const removed: string[] = [];
  const lock = join(commonDir(repo.gitdir), 'modelreg.lock');
  const text = await readFile(lock, 'utf8').catch(() => undefined);
  let ownerDead = false;
  let holder: { gitdir?: string; ref?: string; at?: string } = {};
  if (text !== undefined) {
    try {
      const info = JSON.parse(text) as { pid: number; host: string; gitdir?: string; ref?: string };
      ownerDead = info.host === hostname() && !alive(info.pid);
      holder = info;
    } catch {
      ownerDead = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now()) > 5000;
    }
    if (ownerDead) { await unlink(lock).catch(() => undefined); removed.push(lock); }
  }
  // Git's own lock files are left alone unless they are old, or modelreg's lock was stale and
  // they are the ones its owner held: the ref it was moving and the index of its own checkout
  // (the lock is shared by every worktree of the repository, and records both).
  const old = (p: string) => ({ path: p, ifOld: true });
  const held = (p: string) => ({ path: p, ifOld: false });
  const candidates = [...(ref ? [old(join(refDir(repo.gitdir, ref), `${ref}.lock`))] : []), old(join(repo.gitdir, 'index.lock'))];
  if (ownerDead) {
    const gitdir = holder.gitdir ?? repo.gitdir;
    const heldRef = holder.ref ?? ref;
    if (heldRef) candidates.push(held(join(refDir(gitdir, heldRef), `${heldRef}.lock`)));
    if (await madeSince(join(gitdir, 'index.lock'), holder)) candidates.push(held(join(gitdir, 'index.lock')));
  }
  for (const c of candidates) {
    if (removed.includes(c.path)) continue;
    const s = await stat(c.path).catch(() => undefined);
    if (s && (!c.ifOld || Date.now() - s.mtimeMs > 10 * 60_000)) { await unlink(c.path).catch(() => undefined); removed.push(c.path); }
  }
  return removed;
}

async function tempFiles(dir: string, pattern: RegExp, depth = 3): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory() && depth > 0 && e.name !== '.git') n += await tempFiles(p, pattern, depth - 1);
    else if (e.isFile() && pattern.test(e.name)) { await unlink(p).catch(() => undefined); n++; }
  }
  return n;
}

/** Repairs under the repository lock (the caller holds it). */
export async function repair(repo: RepoPaths, store: ObjectStore, tip: string | undefined, prefixes: string[], removedLocks: string[]): Promise<DoctorReport> {
  let removedTempFiles = await tempFiles(join(commonDir(repo.gitdir), 'objects'), /^tmp_obj_/, 1);
  if (repo.dir) removedTempFiles += await tempFiles(repo.dir, /\.modelreg-\d+-[0-9a-f]+\.tmp$/, 6);
  const repaired: string[] = [];
  const userEdits: string[] = [];
  if (repo.dir && tip) {
    const tipTree = (await store.readCommit(tip)).tree;
    // Blobs of the last few commits: a file holding one of these was left behind by an interrupted write.
    const recent = new Map<string, Set<string>>();
    let n = 0;
    for await (const c of firstParentLog(store, tip)) {
      if (++n > 20) break;
      for (const prefix of prefixes) {
        const walk = async (path: string): Promise<void> => {
          const e = await store.entryAt(c.tree, path);
          if (!e) return;
          if (e.type === 'tree') { for (const x of await store.readTree(e.oid)) await walk(`${path}/${x.path}`); return; }
          if (!recent.has(path)) recent.set(path, new Set());
          recent.get(path)!.add(e.oid);
        };
        await walk(prefix);
      }
    }
    const paths = [...recent.keys()];
    const indexed = await readIndexOids(repo.gitdir, paths);
    const fixes = [];
    for (const path of paths) {
      const atTip = (await store.entryAt(tipTree, path))?.oid;
      const text = await readFile(join(repo.dir, path)).catch(() => undefined);
      const onDisk = text === undefined ? undefined : hashBlob(text);
      const inIndex = indexed?.get(path);
      if (onDisk === atTip && (indexed === undefined || inIndex === atTip)) continue;
      const leftover = onDisk === undefined || recent.get(path)!.has(onDisk);
      if (!leftover) { userEdits.push(path); continue; }
      fixes.push({ path, content: atTip ? await store.readText(atTip) : null, oid: atTip ?? null });
      repaired.push(path);
    }
    if (fixes.length) await syncWorktree(repo, fixes, store, tipTree);
  }
  let looseObjects = 0;
  const objects = join(commonDir(repo.gitdir), 'objects');
  for (const d of await readdir(objects).catch(() => [])) {
    if (/^[0-9a-f]{2}$/.test(d)) looseObjects += (await readdir(join(objects, d)).catch(() => [])).length;
  }
  return { removedLocks, removedTempFiles, repaired, userEdits, looseObjects };
}
