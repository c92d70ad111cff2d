/**
 * Large tree objects by id under `.git/modelreg/cache/trees-v1/<id>`: the raw bytes of a model's
 * versions/ folder as Git stores them in the object. In a pack, the folder of a model of 10,000
 * versions (a 450 kB tree) is the end of a delta chain of up to 50 steps, each of which copies the
 * whole tree: about 25 ms of a `resolve` or a write, against well under 2 ms to read this file and
 * check it.
 *
 * Never stale and never trusted: an object id names its content, and a file is used only when
 * its SHA-1 as a Git tree object is that id (anything else is removed and the object read from
 * Git again), so a damaged, truncated or foreign file costs a read, not a wrong answer; a `git gc`
 * that repacks the objects changes nothing here. Only trees of at least MIN_BYTES read from a
 * pack are stored (a loose object is one inflate away already), one file per folder version a
 * command read; files are written to a temporary name and renamed; the folder is safe to delete,
 * and `modelreg doctor` prunes the trees no longer at the tip.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore } from './objects.js';
import { treeBytes } from './tree-diff.js';
import { commonDir } from './worktree.js';
import { writeCacheFile } from './cache-file.js';

/** Trees smaller than this are read from Git (a short delta chain of a small tree costs less than a file). */
export const MIN_BYTES = 64 * 1024;
export const TREE_CACHE_DIR = 'trees-v1';

function cacheDir(gitdir: string): string {
  return join(commonDir(gitdir), 'modelreg', 'cache', TREE_CACHE_DIR);
}

/**
 * The folder of `store`'s trees and the names in it, listed once per store: a `check --base`
 * asks at every tree it compares, most of them small and never stored, and each failed open
 * (an exception) and each lookup of the common gitdir cost tens of microseconds.
 */
const listings = new WeakMap<ObjectStore, { dir: string; names: Set<string> }>();
function listing(store: ObjectStore): { dir: string; names: Set<string> } {
  let l = listings.get(store);
  if (!l) {
    const dir = cacheDir(store.gitdir);
    let names: string[] = [];
    try { names = readdirSync(dir); } catch { /* none stored yet */ }
    listings.set(store, (l = { dir, names: new Set(names) }));
  }
  return l;
}

/** Whether `content` is the tree object `oid`. */
function isTree(oid: string, content: Buffer): boolean {
  return createHash('sha1').update(`tree ${content.length}\0`).update(content).digest('hex') === oid;
}

/**
 * The last few trees read from a file here, by file: `check --base` reads the same two versions/
 * trees in five to seven places (its diff, the events, the stage cache, the rules); a second read
 * was a 450 kB read and SHA-1 again, and a new Buffer, so the raw diff's entry boundaries
 * (tree-diff.ts, remembered by Buffer) were found again by a walk over the entries. Bounded, so a
 * walk down a model's history does not keep every tree it saw.
 */
const recent = new Map<string, Buffer>();
const RECENT = 4;

/**
 * The raw bytes of tree `oid` (empty for undefined), from this cache when it holds a file that
 * checks out, else from Git (and then stored when large and packed). A hit is also handed to the
 * object database, so later reads of the same tree in this process (the write path's splice)
 * do not rebuild it. `keep: false`: store nothing (a write, which must leave nothing behind when it fails).
 */
export function cachedTreeBytes(store: ObjectStore, oid: string | undefined, keep = true): Buffer {
  if (!oid || !/^[0-9a-f]{40}$/.test(oid)) return treeBytes(store, oid);
  const stored = listing(store);
  const file = join(stored.dir, oid);
  const seen = recent.get(file);
  if (seen) return seen;
  let hit: Buffer | undefined;
  if (stored.names.has(oid)) try { hit = readFileSync(file); } catch { /* removed since */ }
  if (hit) {
    if (isTree(oid, hit)) {
      (store.odb as { remember?: (oid: string, obj: { type: 'tree'; content: Buffer }) => void }).remember?.(oid, { type: 'tree', content: hit });
      recent.set(file, hit);
      if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
      return hit;
    }
    try { unlinkSync(file); } catch { /* another process removed it */ }
  }
  const content = treeBytes(store, oid);
  if (keep && content.length >= MIN_BYTES && !existsSync(join(commonDir(store.gitdir), 'objects', oid.slice(0, 2), oid.slice(2)))) {
    writeCacheFile(file, content);
    stored.names.add(oid);
  }
  return content;
}

/** Removes the stored trees not in `keep` (and temporary files a killed writer left); returns how many. */
export function pruneTreeFiles(gitdir: string, keep: Set<string>): number {
  let removed = 0;
  let names: string[] = [];
  try { names = readdirSync(cacheDir(gitdir)); } catch { return 0; }
  for (const n of names) {
    if (/^[0-9a-f]{40}$/.test(n) && keep.has(n)) continue;
    try { unlinkSync(join(cacheDir(gitdir), n)); removed++; } catch { /* gone */ }
  }
  return removed;
}
