/**
 * Registry files as a flat list, from the checked-out working tree (what CI validates) or
 * from a commit. Symbolic links are reported, never followed.
 */
import { lstatSync, readFileSync } from 'node:fs';

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

export async function readWorktreeFiles(root: string, prefixes: string[], single: string[]): Promise<SourceFile[]> {
  const { globby } = await import('globby');
  const out: SourceFile[] = [];
  // globby descends into a symbolically linked base folder even with followSymbolicLinks off:
  // check every folder on the way to each prefix ourselves, and report a link instead.
  const safe: string[] = [];
  for (const prefix of prefixes) {
    let cur = '';
    let linked = false;
    for (const part of prefix.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      const s = lstat(join(root, cur));
      if (s?.isSymbolicLink()) { out.push({ path: cur, kind: 'symlink' }); linked = true; break; }
      if (!s) break;
    }
    if (!linked) safe.push(prefix);
  }
  const patterns = safe.map((p) => `${p}/**`);
  const paths = await globby(patterns, { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, markDirectories: true, gitignore: false });
  for (const p of [...single, ...paths.filter((x) => !x.endsWith('/'))]) {
    const s = lstat(join(root, p));
    if (!s) continue;
    if (s.isSymbolicLink()) out.push({ path: p, kind: 'symlink' });
    else if (!s.isFile()) out.push({ path: p, kind: 'other' });
    else if (s.size > MAX_READ) out.push({ path: p, kind: 'file', size: s.size, text: '' });
    else out.push({ path: p, kind: 'file', size: s.size, load: () => readChecked(join(root, p)) });
  }
  return out;
}

export async function readTreeFiles(store: ObjectStore, tree: string | undefined, prefixes: string[], single: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  if (!tree) return out;
  const add = (path: string, mode: string, oid: string, type: string) => {
    if (mode === '120000') out.push({ path, kind: 'symlink' });
    else if (type !== 'blob') out.push({ path, kind: 'other' });
    else {
      out.push({
        path, kind: 'file', load: () => {
          const blob = store.readBlobSync(oid);
          return { size: blob.length, ...(blob.length > MAX_READ ? { text: '' } : decode(blob)) };
        },
      });
    }
  };
  const walk = async (oid: string, prefix: string) => {
    for (const e of await store.readTree(oid)) {
      const p = `${prefix}/${e.path}`;
      if (e.type === 'tree') await walk(e.oid, p);
      else add(p, e.mode, e.oid, e.type);
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
