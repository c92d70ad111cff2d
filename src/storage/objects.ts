/**
 * Git objects, typed and parsed: `ObjectStore` is the ObjectReader the rest of storage reads
 * through, over an ObjectSource (odb.ts: loose objects, packs, alternates). Parsed trees are
 * shared by the stores of one context. Writes are ours too: each loose object is written to a
 * temporary file and renamed into place, so a killed process never leaves a truncated object
 * behind, and a write costs only the objects it needs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { RegistryError } from '../errors/index.js';
import { ObjectDatabase, corruptObject } from './odb.js';
import type { CommitInfo, ObjectReader, ObjectSource, ObjectType, Person, RawObject, TreeEntry } from './object-reader.js';
import { commonDir } from './worktree.js';
import { readGitConfigSync } from './repo.js';

export type { CommitInfo, Person, TreeEntry } from './object-reader.js';

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A handle on a repository's object database with a per-operation cache. */
export class ObjectStore implements ObjectReader {
  readonly odb: ObjectSource;
  /** The zlib level of loose objects, read from Git's config at the first write (`looseCompression`). */
  private level?: number;
  /**
   * `odb` may be shared by the stores of one context, so pack indexes load once. `env` is the
   * environment Git's config is read in (GIT_CONFIG_*, `git -c`), for the compression of writes.
   */
  constructor(readonly gitdir: string, odb?: ObjectSource, private readonly env: NodeJS.ProcessEnv = process.env) {
    this.odb = odb ?? new ObjectDatabase(gitdir);
  }

  has(oid: string): boolean {
    return this.odb.has(oid);
  }

  readObject(oid: string): RawObject {
    const o = this.odb.read(oid);
    if (!o) {
      const objects = join(commonDir(this.gitdir), 'objects');
      throw new RegistryError('MISSING_OBJECT', `Git object ${oid} is missing from ${objects} (and its alternates). The repository is incomplete: run \`git fsck --full\` to see what else is missing, then fetch again (git fetch) or clone again.`, { oid, file: objects });
    }
    return o;
  }

  private object(oid: string, want: ObjectType): Buffer {
    const o = this.readObject(oid);
    if (o.type !== want) throw new RegistryError('BAD_INPUT', `Git object ${oid} is a ${o.type}, not a ${want}.`, { oid, type: o.type });
    return o.content;
  }

  /** Parsed trees live in the (possibly shared) object database, so a 10k-entry folder is parsed once per process. */
  private get trees(): Map<string, TreeEntry[]> {
    return this.odb.parsedTrees as Map<string, TreeEntry[]>;
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    return this.readTreeSync(oid);
  }

  /** A tree's entries without the async hop, for walks over many thousands of folders. */
  readTreeSync(oid: string): TreeEntry[] {
    const hit = this.trees.get(oid);
    if (hit) return hit;
    if (oid === EMPTY_TREE) return [];
    const entries = this.parsed(oid, parseTree, this.object(oid, 'tree'));
    if (this.trees.size >= 20_000) this.trees.delete(this.trees.keys().next().value!);
    this.trees.set(oid, entries);
    return entries;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return this.object(oid, 'blob');
  }

  /** A blob's bytes without the async hop, for loops over many thousands of files. */
  readBlobSync(oid: string): Buffer {
    return this.object(oid, 'blob');
  }

  async readText(oid: string): Promise<string> {
    return this.object(oid, 'blob').toString('utf8');
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    return this.parsed(oid, (b) => parseCommit(oid, b), this.object(oid, 'commit'));
  }

  /** A tree or commit that does not parse is CORRUPT_OBJECT. */
  private parsed<T>(oid: string, parse: (b: Buffer) => T, bytes: Buffer): T {
    try {
      return parse(bytes);
    } catch (e) {
      throw corruptObject(oid, join(commonDir(this.gitdir), 'objects'), (e as Error).message, e);
    }
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

  /**
   * Writes a loose object as Git does: zlib at `core.looseCompression` (else `core.compression`,
   * else 1, best speed), to a temporary file renamed into place. Synchronous: a write makes a
   * handful of objects, and four thread-pool round trips each (stat, mkdir, write, rename) cost
   * more than the work on a loaded machine.
   */
  async writeObject(type: 'blob' | 'tree' | 'commit', content: Buffer): Promise<string> {
    const header = Buffer.from(`${type} ${content.length}\0`);
    const full = Buffer.concat([header, content]);
    const oid = createHash('sha1').update(full).digest('hex');
    const objects = join(commonDir(this.gitdir), 'objects');
    const dir = join(objects, oid.slice(0, 2));
    const file = join(dir, oid.slice(2));
    if (existsSync(file)) return oid; // already present (loose); a packed copy is harmless to duplicate
    this.level ??= looseCompression(readGitConfigSync(this.gitdir, this.env));
    const tmp = join(dir, `tmp_obj_${process.pid}_${randomBytes(6).toString('hex')}`);
    try {
      const bytes = deflateSync(full, { level: this.level });
      try {
        writeFileSync(tmp, bytes, { mode: 0o444 });
      } catch (e) {
        // The fan-out folder is made when missing (a small repository has few), not asked for each time.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dir, { recursive: true });
        writeFileSync(tmp, bytes, { mode: 0o444 });
      }
      renameSync(tmp, file);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* never written */ }
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : 'the repository is read-only or not writable';
      throw new RegistryError('IO', `Cannot write Git objects in ${objects}: ${why} (${code}). Nothing was committed; free space or fix permissions and run the command again.`, { code }, { cause: e });
    }
    return oid;
  }

  writeBlob(content: string | Uint8Array): Promise<string> {
    return this.writeObject('blob', Buffer.from(content as Uint8Array));
  }

  async writeTree(entries: TreeEntry[]): Promise<string> {
    // Each name's sort key built once: a comparator that built two per comparison cost most of
    // a write to a folder of 10,000 versions.
    const sorted = entries.map((e) => ({ e, key: Buffer.from(e.type === 'tree' ? `${e.path}/` : e.path) })).sort((a, b) => Buffer.compare(a.key, b.key)).map((x) => x.e);
    const parts: Buffer[] = [];
    for (const e of sorted) {
      const mode = e.type === 'tree' ? '40000' : e.mode.replace(/^0+/, '');
      parts.push(Buffer.from(`${mode} ${e.path}\0`), Buffer.from(e.oid, 'hex'));
    }
    const oid = await this.writeObject('tree', Buffer.concat(parts));
    if (this.trees.size >= 20_000) this.trees.delete(this.trees.keys().next().value!);
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

/**
 * The zlib level Git writes loose objects at (config.c): `core.looseCompression`, else
 * `core.compression`, else 1 (Z_BEST_SPEED); -1 is zlib's default (6). A level Git refuses
 * (outside -1..9, or not a number) is refused here too, before anything is written.
 * @example looseCompression(new Map([['core.compression', '9']])) // 9
 */
export function looseCompression(config: Map<string, string>): number {
  // Git parses both keys whatever it then uses, and stops at a bad one.
  const levels = ['core.loosecompression', 'core.compression'].map((key) => {
    const text = config.get(key);
    if (text === undefined) return undefined;
    const level = gitConfigInt(text);
    if (level === undefined || level < -1 || level > 9) {
      throw new RegistryError('BAD_INPUT', `Git's config sets ${key} = ${text}, which is not a zlib compression level (Git refuses it too: "bad zlib compression level"). Set it to a number from -1 to 9 (git config ${key} 1), or unset it.`, { key, value: text });
    }
    return level === -1 ? 6 : level;
  });
  return levels[0] ?? levels[1] ?? 1;
}

/** A number as Git's config reads one (git_parse_signed): decimal, 0x hex or 0 octal, with an optional k, m or g factor. */
function gitConfigInt(text: string): number | undefined {
  const m = /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)([kmg]?)$/i.exec(text);
  if (!m) return undefined;
  const digits = m[2].toLowerCase();
  const n = digits.startsWith('0x') ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[3].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return (m[1] === '-' ? -1 : 1) * n * factor;
}

/** isomorphic-git's convention: timezoneOffset is minutes *behind* UTC (as Date#getTimezoneOffset). */
function formatTz(offset: number): string {
  const minutes = -offset;
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/* Git sorts tree entries by name, comparing a tree's name as if it ended in '/' (writeTree). */

export function hashBlob(content: Uint8Array | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

export function parseTree(buf: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : buf.indexOf(0, sp);
    if (nul < 0 || nul + 21 > buf.length) throw new Error(`tree entry at byte ${i} is not "<mode> <name>\\0<20-byte id>"`);
    const rawMode = buf.toString('latin1', i, sp);
    const oid = buf.toString('hex', nul + 1, nul + 21);
    const type = rawMode === '40000' ? 'tree' : rawMode === '160000' ? 'commit' : 'blob';
    out.push({ mode: type === 'tree' ? '040000' : rawMode, path: buf.toString('utf8', sp + 1, nul), oid, type });
    i = nul + 21;
  }
  return out;
}

function parsePerson(line: string): Person {
  const m = /^(.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(line);
  if (!m) return { name: line, email: '', timestamp: 0, timezoneOffset: 0 };
  const minutes = Number(m[5]) * 60 + Number(m[6]);
  return { name: m[1], email: m[2], timestamp: Number(m[3]), timezoneOffset: m[4] === '-' ? minutes : -minutes };
}

export function parseCommit(oid: string, buf: Buffer): CommitInfo {
  const text = buf.toString('utf8');
  const end = text.indexOf('\n\n');
  const header = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  let tree = '';
  const parents: string[] = [];
  let author: Person | undefined;
  let committer: Person | undefined;
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) author = parsePerson(line.slice(7));
    else if (line.startsWith('committer ')) committer = parsePerson(line.slice(10));
  }
  if (!/^[0-9a-f]{40}$/.test(tree)) throw new Error('the commit has no "tree <id>" line');
  const nobody = { name: '', email: '', timestamp: 0, timezoneOffset: 0 };
  return { oid, tree, parents, message, author: author ?? nobody, committer: committer ?? author ?? nobody };
}
