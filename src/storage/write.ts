/**
 * Writing one change as one commit: blobs and only the trees on the changed paths, the commit,
 * a compare-and-swap of the branch, then the working tree files and index entries of the
 * touched paths. The caller holds the repository lock.
 */
import { lstatSync, mkdirSync, type Stats, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { EMPTY_TREE, hashBlob, type ObjectStore, type Person, type TreeEntry } from './objects.js';
import { compareAndSwapRef, currentBranch } from './refs.js';
import { prepareIndex, readIndexOids, type IndexUpdate } from './index-file.js';
import type { RepoPaths } from './repo.js';
import { faultPoint } from './fault.js';
import { findRawEntry, spliceRawTree, treeBytes, treeEntryAt, type RawEdit } from './tree-diff.js';

/** One file to write (content) or delete (null), relative to the repository root. */
export interface FileChange {
  path: string;
  content: string | null;
}

/**
 * The tree `treeOid` with `changes` applied: each changed folder is rewritten from its raw
 * bytes (storage/tree-diff.ts), so the cost of a commit follows the depth of its paths and
 * the bytes of the folders on them, with no entry objects for a folder's other files.
 */
async function applyToTree(store: ObjectStore, treeOid: string | undefined, changes: Array<{ parts: string[]; oid: string | null }>): Promise<string | undefined> {
  const buf = treeBytes(store, treeOid);
  const edits: RawEdit[] = [];
  const sub = new Map<string, Array<{ parts: string[]; oid: string | null }>>();
  for (const c of changes) {
    if (c.parts.length === 1) edits.push({ name: c.parts[0], mode: '100644', oid: c.oid });
    else {
      const list = sub.get(c.parts[0]) ?? [];
      list.push({ parts: c.parts.slice(1), oid: c.oid });
      sub.set(c.parts[0], list);
    }
  }
  for (const [name, list] of sub) {
    const existing = findRawEntry(buf, name);
    const folder = existing && existing.name === name && existing.isTree ? existing.oid : undefined;
    const child = await applyToTree(store, folder, list);
    edits.push({ name, mode: '40000', oid: child ?? null });
  }
  const out = spliceRawTree(buf, edits);
  if (out.length === 0) return undefined;
  return store.writeObject('tree', out);
}

/** Writes the blobs and trees of `changes` on top of `baseTree`; returns the new root tree. */
export async function writeTreeChanges(store: ObjectStore, baseTree: string | undefined, changes: FileChange[]): Promise<string> {
  const items: Array<{ parts: string[]; oid: string | null }> = [];
  for (const c of changes) {
    const oid = c.content === null ? null : await store.writeBlob(c.content);
    items.push({ parts: c.path.split('/'), oid });
  }
  return (await applyToTree(store, baseTree, items)) ?? (await store.writeTree([]).then(() => EMPTY_TREE));
}

/*
 * The working-tree files of a write (a few small files) are read, written and renamed with
 * synchronous calls: each thread-pool round trip was a wait on the event loop, the largest part
 * of a write's wall time after its CPU work on a loaded machine.
 */

/** A path's lstat, or undefined when it cannot be had (missing, or a file on the way). */
function lstatOrUndefined(path: string): Stats | undefined {
  try { return lstatSync(path); } catch { return undefined; }
}

/** Refuses to follow a symbolic link anywhere on the way to a working-tree path. */
async function assertNoSymlink(root: string, path: string): Promise<void> {
  const parts = path.split('/');
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    const s = lstatOrUndefined(cur);
    if (!s) return;
    if (s.isSymbolicLink()) {
      throw new RegistryError('BAD_INPUT', `${path}: ${cur.slice(root.length + 1)} is a symbolic link, which modelreg never follows. Replace it with a regular file or folder.`, { file: path });
    }
  }
}

/** Whether the working tree tracks `ref` (HEAD points at it and there is a working tree). */
export async function worktreeTracks(repo: RepoPaths, ref: string): Promise<boolean> {
  return repo.dir !== undefined && (await currentBranch(repo.gitdir)) === ref;
}

/**
 * Refuses when a file the change touches has uncommitted edits (in the working tree or the
 * index) compared with the tip the change is computed from.
 */
export async function assertClean(repo: RepoPaths, store: ObjectStore, tipTree: string | undefined, paths: string[]): Promise<void> {
  if (!repo.dir) return;
  const indexed = await readIndexOids(repo.gitdir, paths);
  const dirty: string[] = [];
  for (const path of paths) {
    await assertNoSymlink(repo.dir, path);
    const atTip = tipTree ? treeEntryAt(store, tipTree, path)?.oid : undefined;
    let text: Buffer | undefined;
    try { text = readFileSync(join(repo.dir, path)); } catch { text = undefined; }
    const onDisk = text === undefined ? undefined : hashBlob(text);
    const inIndex = indexed?.get(path);
    const stagedDiffers = indexed !== undefined && inIndex !== atTip;
    if (onDisk !== atTip || stagedDiffers) dirty.push(path);
  }
  if (dirty.length) {
    throw new RegistryError('DIRTY', `${dirty.join(', ')} ${dirty.length === 1 ? 'has' : 'have'} uncommitted changes that this command would overwrite. Commit or stash them (git stash), or run \`modelreg doctor\` if a command was interrupted, then try again.`, { files: dirty });
  }
}

async function removeEmptyDirs(root: string, path: string): Promise<void> {
  let dir = dirname(join(root, path));
  while (dir.length > root.length) {
    let left: string[];
    try { left = readdirSync(dir); } catch { return; }
    if (left.length > 0) return;
    try { rmdirSync(dir); } catch { /* another writer's file arrived, or not ours to remove */ }
    dir = dirname(dir);
  }
}

export interface PreparedWorktree {
  /** Renames the prepared files and index into place (no disk space needed). */
  finalize(): Promise<void>;
  /** Removes what was prepared; the working tree and index stay as they were. */
  abort(): Promise<void>;
}

/**
 * Writes the new contents of the touched files beside them and the new index to index.lock,
 * without changing anything visible: a full disk or a read-only tree fails here, before the
 * branch moves. `finalize` then only renames.
 */
export async function prepareWorktree(repo: RepoPaths, changes: Array<FileChange & { oid: string | null }>, store?: ObjectStore, tree?: string): Promise<PreparedWorktree> {
  if (!repo.dir) return { finalize: async () => undefined, abort: async () => undefined };
  const root = repo.dir;
  const updates: IndexUpdate[] = [];
  const staged: Array<{ tmp?: string; full: string; path: string }> = [];
  const abortFiles = async () => { for (const s of staged) if (s.tmp) { try { unlinkSync(s.tmp); } catch { /* gone */ } } };
  try {
    for (const c of changes) {
      await assertNoSymlink(root, c.path);
      const full = join(root, c.path);
      if (c.content === null) {
        staged.push({ full, path: c.path });
        updates.push({ path: c.path });
      } else {
        mkdirSync(dirname(full), { recursive: true });
        const tmp = `${full}.modelreg-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
        staged.push({ tmp, full, path: c.path });
        writeFileSync(tmp, c.content);
        updates.push({ path: c.path, oid: c.oid!, stats: lstatSync(tmp) });
      }
    }
    const fullTree = store && tree ? async () => {
      const all: IndexUpdate[] = [];
      const walk = async (oid: string, prefix: string): Promise<void> => {
        for (const e of await store.readTree(oid)) {
          const p = prefix ? `${prefix}/${e.path}` : e.path;
          if (e.type === 'tree') await walk(e.oid, p);
          else if (e.type === 'blob') all.push({ path: p, oid: e.oid, mode: parseInt(e.mode, 8), stats: lstatOrUndefined(join(root, p)) });
        }
      };
      await walk(tree, '');
      return all;
    } : undefined;
    const index = await prepareIndex(repo.gitdir, updates, fullTree);
    return {
      async finalize() {
        for (const s of staged) {
          if (s.tmp) {
            renameSync(s.tmp, s.full);
            faultPoint('worktree-partial');
          } else {
            try { unlinkSync(s.full); } catch { /* already gone */ }
            await removeEmptyDirs(root, s.path);
          }
        }
        await index.commit();
      },
      async abort() {
        await abortFiles();
        await index.abort();
      },
    };
  } catch (e) {
    await abortFiles();
    throw e;
  }
}

/** Brings the working tree files and index entries of `changes` in line with the new commit. */
export async function syncWorktree(repo: RepoPaths, changes: Array<FileChange & { oid: string | null }>, store?: ObjectStore, tree?: string): Promise<void> {
  await (await prepareWorktree(repo, changes, store, tree)).finalize();
}

export interface CommitRequest {
  ref: string;
  parent: string | undefined;
  /** What `ref` must point at now (undefined: it must not exist yet). */
  expectedRef: string | undefined;
  baseTree: string | undefined;
  changes: FileChange[];
  message: string;
  author: Person;
  committer: Person;
}

/**
 * Writes the objects and the commit, prepares the working tree and index (when `worktree`),
 * moves `ref` by compare-and-swap — the commit point — and then renames the prepared files
 * into place. Every step that can run out of space happens before the commit point.
 */
export async function writeCommit(repo: RepoPaths, store: ObjectStore, req: CommitRequest & { worktree?: boolean }): Promise<{ commit: string; tree: string }> {
  const tree = await writeTreeChanges(store, req.baseTree, req.changes);
  faultPoint('objects-written');
  const commit = await store.writeCommit({ tree, parents: req.parent ? [req.parent] : [], author: req.author, committer: req.committer, message: req.message });
  const changes = req.changes.map((c) => ({ ...c, oid: c.content === null ? null : hashBlob(c.content) }));
  const prepared = req.worktree ? await prepareWorktree(repo, changes, store, tree) : undefined;
  try {
    await compareAndSwapRef(repo.gitdir, req.ref, req.expectedRef, commit, { who: req.committer, message: `modelreg: ${req.message.split('\n')[0]}` });
  } catch (e) {
    await prepared?.abort();
    throw e;
  }
  await prepared?.finalize();
  return { commit, tree };
}
