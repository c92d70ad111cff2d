/**
 * Git objects. Reads go through isomorphic-git (loose and packed objects alike) with one
 * shared cache per operation; writes are ours: each loose object is written to a temporary
 * file and renamed into place, so a killed process never leaves a truncated object behind
 * (isomorphic-git writes objects in place), and a write costs only the objects it needs.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, rename, stat, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
}

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A handle on a repository's object database with a per-operation cache. */
export class ObjectStore {
  readonly cache: object = {};
  private trees = new Map<string, TreeEntry[]>();
  constructor(readonly gitdir: string) {}

  async readTree(oid: string): Promise<TreeEntry[]> {
    const hit = this.trees.get(oid);
    if (hit) return hit;
    if (oid === EMPTY_TREE) return [];
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    const entries = tree as TreeEntry[];
    this.trees.set(oid, entries);
    return entries;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return blob;
  }

  async readText(oid: string): Promise<string> {
    return Buffer.from(await this.readBlob(oid)).toString('utf8');
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return { oid, tree: commit.tree, parents: commit.parent, message: commit.message, author: commit.author, committer: commit.committer };
  }

  /** The entry at a slash-separated path under a tree, walking only the trees on that path. */
  async entryAt(treeOid: string, path: string): Promise<TreeEntry | undefined> {
    if (path === '') return { mode: '040000', path: '', oid: treeOid, type: 'tree' };
    let cur = treeOid;
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const entries = await this.readTree(cur);
      const e = entries.find((x) => x.path === parts[i]);
      if (!e) return undefined;
      if (i === parts.length - 1) return e;
      if (e.type !== 'tree') return undefined;
      cur = e.oid;
    }
    return undefined;
  }

  async writeObject(type: 'blob' | 'tree' | 'commit', content: Buffer): Promise<string> {
    const header = Buffer.from(`${type} ${content.length}\0`);
    const full = Buffer.concat([header, content]);
    const oid = createHash('sha1').update(full).digest('hex');
    const dir = join(this.gitdir, 'objects', oid.slice(0, 2));
    const file = join(dir, oid.slice(2));
    try {
      await stat(file);
      return oid; // already present (loose); a packed copy is harmless to duplicate
    } catch { /* write it */ }
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `tmp_obj_${process.pid}_${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(tmp, deflateSync(full, { level: 1 }), { mode: 0o444 });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    return oid;
  }

  writeBlob(content: string | Uint8Array): Promise<string> {
    return this.writeObject('blob', Buffer.from(content as Uint8Array));
  }

  async writeTree(entries: TreeEntry[]): Promise<string> {
    const sorted = [...entries].sort((a, b) => compareTreeNames(a, b));
    const parts: Buffer[] = [];
    for (const e of sorted) {
      const mode = e.type === 'tree' ? '40000' : e.mode.replace(/^0+/, '');
      parts.push(Buffer.from(`${mode} ${e.path}\0`), Buffer.from(e.oid, 'hex'));
    }
    const oid = await this.writeObject('tree', Buffer.concat(parts));
    this.trees.set(oid, sorted.map((e) => ({ ...e, mode: e.type === 'tree' ? '040000' : e.mode })));
    return oid;
  }

  writeCommit(c: { tree: string; parents: string[]; author: Person; committer: Person; message: string }): Promise<string> {
    const who = (p: Person) => `${p.name} <${p.email}> ${p.timestamp} ${formatTz(p.timezoneOffset)}`;
    let text = `tree ${c.tree}\n`;
    for (const p of c.parents) text += `parent ${p}\n`;
    text += `author ${who(c.author)}\ncommitter ${who(c.committer)}\n\n${c.message}`;
    return this.writeObject('commit', Buffer.from(text, 'utf8'));
  }
}

/** isomorphic-git's convention: timezoneOffset is minutes *behind* UTC (as Date#getTimezoneOffset). */
function formatTz(offset: number): string {
  const minutes = -offset;
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** Git sorts tree entries by name, comparing a tree's name as if it ended in '/'. */
function compareTreeNames(a: TreeEntry, b: TreeEntry): number {
  const an = Buffer.from(a.type === 'tree' ? `${a.path}/` : a.path);
  const bn = Buffer.from(b.type === 'tree' ? `${b.path}/` : b.path);
  return Buffer.compare(an, bn);
}

export function hashBlob(content: Uint8Array | string): string {
  const buf = Buffer.from(content as Uint8Array);
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}
