/**
 * Registry files as a flat list, from the checked-out working tree (what CI validates) or
 * from a commit. Symbolic links are reported, never followed.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from './objects.js';

export interface SourceFile {
  path: string;
  /** undefined for a symbolic link or something that is not a regular file */
  text?: string;
  kind: 'file' | 'symlink' | 'other';
  size?: number;
}

const MAX_READ = 2 * 1024 * 1024;

export async function readWorktreeFiles(root: string, prefixes: string[], single: string[]): Promise<SourceFile[]> {
  const { globby } = await import('globby');
  const out: SourceFile[] = [];
  const patterns = prefixes.map((p) => `${p}/**`);
  const paths = await globby(patterns, { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, markDirectories: true, gitignore: false });
  for (const p of [...single, ...paths.filter((x) => !x.endsWith('/'))]) {
    const s = await lstat(join(root, p)).catch(() => undefined);
    if (!s) continue;
    if (s.isSymbolicLink()) out.push({ path: p, kind: 'symlink' });
    else if (!s.isFile()) out.push({ path: p, kind: 'other' });
    else if (s.size > MAX_READ) out.push({ path: p, kind: 'file', size: s.size, text: '' });
    else out.push({ path: p, kind: 'file', size: s.size, text: await readFile(join(root, p), 'utf8') });
  }
  return out;
}

export async function readTreeFiles(store: ObjectStore, tree: string | undefined, prefixes: string[], single: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  if (!tree) return out;
  const add = async (path: string, mode: string, oid: string, type: string) => {
    if (mode === '120000') out.push({ path, kind: 'symlink' });
    else if (type !== 'blob') out.push({ path, kind: 'other' });
    else {
      const blob = await store.readBlob(oid);
      out.push({ path, kind: 'file', size: blob.length, text: blob.length > MAX_READ ? '' : Buffer.from(blob).toString('utf8') });
    }
  };
  const walk = async (oid: string, prefix: string) => {
    for (const e of await store.readTree(oid)) {
      const p = `${prefix}/${e.path}`;
      if (e.type === 'tree') await walk(e.oid, p);
      else await add(p, e.mode, e.oid, e.type);
    }
  };
  for (const s of single) {
    const e = await store.entryAt(tree, s);
    if (e) await add(s, e.mode, e.oid, e.type);
  }
  for (const p of prefixes) {
    const e = await store.entryAt(tree, p);
    if (e?.type === 'tree') await walk(e.oid, p);
    else if (e) await add(p, e.mode, e.oid, e.type);
  }
  return out;
}
