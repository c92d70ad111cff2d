/**
 * Registry files as a flat list, from the checked-out working tree (what CI validates) or
 * from a commit. Symbolic links are reported, never followed.
 */
import { lstatSync, readdirSync, readFileSync, type Dirent } from 'node:fs';

// Checked-out files are read synchronously: one awaited lstat and readFile per file left the
// main thread idle most of a full check (22 s of 32 s at 100k files; 1.3 s synchronously).
const lstat = (p: string) => lstatSync(p, { throwIfNoEntry: false });
import { join } from 'node:path';
import type { ObjectStore } from './objects.js';

export interface SourceFile {
  path: string;
  /** undefined for a symbolic link or something that is not a regular file */
  text?: string;
  kind: 'file' | 'symlink' | 'other';
  size?: number;
  /** The bytes are not valid UTF-8. */
  encodingError?: boolean;
  /**
   * Reads the file's text when it is needed: a check of 100k files then holds one text at a
   * time instead of all of them (137 MB of text at 100k versions).
   */
  load?: () => { text?: string; size?: number; encodingError?: boolean };
}

const MAX_READ = 2 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Registry files are UTF-8; a file that is not is reported, never silently "repaired". */
function decode(bytes: Uint8Array): { text: string; encodingError?: boolean } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { text: '', encodingError: true };
  }
}

/** A checked-out file's text; a file gone since it was listed has no text (reported as not a regular file). */
function readChecked(file: string): { text?: string; encodingError?: boolean } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return {};
  }
  return decode(bytes);
}

/**
 * Every entry under the folder `dir` (relative to `root`) that is not a folder, in `out`.
 * Symbolic links are listed, never followed. One readdir with file types per folder: a
 * recursive readdir would do it in one call, but on Node 20 it follows symbolically linked
 * folders without `withFileTypes` (seen on 20.20) and misses entries with it before 20.7
 * (nodejs/node#48858, #49299), both within `engines`.
 */
function listUnder(root: string, dir: string, out: Set<string>): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return; // gone, or not a folder: nothing under it
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) listUnder(root, p, out);
    else out.add(p);
  }
}

export async function readWorktreeFiles(root: string, prefixes: string[], single: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  // A symbolically linked folder on the way to a prefix is reported, not read through.
  const paths = new Set<string>();
  for (const prefix of prefixes) {
    let cur = '';
    let s;
    for (const part of prefix.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      s = lstat(join(root, cur));
      if (!s || s.isSymbolicLink()) break;
    }
    if (s?.isSymbolicLink()) out.push({ path: cur, kind: 'symlink' });
    else if (s?.isDirectory()) listUnder(root, prefix, paths);
    // A prefix that is a file is listed as itself, as readTreeFiles does (globby threw ENOTDIR).
    else if (s) paths.add(prefix);
  }
  for (const p of [...single, ...paths]) {
    const s = lstat(join(root, p));
    if (!s) continue;
    if (s.isSymbolicLink()) out.push({ path: p, kind: 'symlink' });
    else if (!s.isFile()) out.push({ path: p, kind: 'other' });
    else if (s.size > MAX_READ) out.push({ path: p, kind: 'file', size: s.size, text: '' });
    else out.push({ path: p, kind: 'file', size: s.size, load: () => readChecked(join(root, p)) });
  }
  return out;
}

/** A file of a commit's tree as the check lists it: its text is read when the check reaches it. */
export function treeSourceFile(store: ObjectStore, path: string, mode: string, oid: string, type: string): SourceFile {
  if (mode === '120000') return { path, kind: 'symlink' };
  if (type !== 'blob') return { path, kind: 'other' };
  return {
    path, kind: 'file', load: () => {
      const blob = store.readBlobSync(oid);
      return { size: blob.length, ...(blob.length > MAX_READ ? { text: '' } : decode(blob)) };
    },
  };
}

/** Every file under `prefixes` and each of `single` in `tree`; folders in `except` are not walked. */
export async function readTreeFiles(store: ObjectStore, tree: string | undefined, prefixes: string[], single: string[], except?: Set<string>): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  if (!tree) return out;
  const add = (path: string, mode: string, oid: string, type: string) => out.push(treeSourceFile(store, path, mode, oid, type));
  const walk = async (oid: string, prefix: string) => {
    for (const e of await store.readTree(oid)) {
      const p = `${prefix}/${e.path}`;
      if (e.type === 'tree') {
        if (!except?.has(p)) await walk(e.oid, p);
      } else add(p, e.mode, e.oid, e.type);
    }
  };
  for (const s of single) {
    const e = await store.entryAt(tree, s);
    if (e) add(s, e.mode, e.oid, e.type);
  }
  for (const p of prefixes) {
    const e = await store.entryAt(tree, p);
    if (e?.type === 'tree') await walk(e.oid, p);
    else if (e) add(p, e.mode, e.oid, e.type);
  }
  return out;
}
