/**
 * Refs. A branch moves only by compare-and-swap, as Git does it: create `<ref>.lock`
 * exclusively, check the ref still points where the caller read it, write the new id,
 * rename the lock over the ref. Native git and other modelreg processes respect the lock.
 * `gitdir` is a worktree's own gitdir; shared refs are read and written in the common one.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** Small files (refs, HEAD) are read synchronously: a thread-pool round trip costs more than the read. */
function readSmall(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}
import { dirname, join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import type { Person } from './objects.js';
import { faultPoint } from './fault.js';
import { commonDir, refDir } from './worktree.js';

async function packedRefs(gitdir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const text = readSmall(join(commonDir(gitdir), 'packed-refs')) ?? '';
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{40}) (.+)$/.exec(line);
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

async function readFullRef(gitdir: string, ref: string, depth = 0): Promise<string | undefined> {
  if (depth > 5) return undefined;
  const text = readSmall(join(refDir(gitdir, ref), ref));
  if (text !== undefined) {
    const t = text.trim();
    if (t.startsWith('ref: ')) return readFullRef(gitdir, t.slice(5), depth + 1);
    return /^[0-9a-f]{40}$/.test(t) ? t : undefined;
  }
  return (await packedRefs(gitdir)).get(ref);
}

/**
 * The object id a ref points at (HEAD, a full ref, or a short name resolved in Git's order:
 * refs/, refs/tags/, refs/heads/, refs/remotes/), or undefined when it does not exist.
 */
export async function readRef(gitdir: string, ref: string): Promise<string | undefined> {
  if (ref.includes('..') || ref.startsWith('/') || ref.includes('\\')) return undefined;
  if (ref === 'HEAD' || ref.startsWith('refs/')) return readFullRef(gitdir, ref);
  for (const full of [`refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/${ref}`, `refs/remotes/${ref}/HEAD`]) {
    const oid = await readFullRef(gitdir, full);
    if (oid) return oid;
  }
  return undefined;
}

/**
 * Every ref under `prefix` (`refs/heads/modelreg/`), loose and packed, with the object it names.
 * @example await listRefs(gitdir, 'refs/heads/modelreg/') // Map { 'refs/heads/modelreg/promote-x' => '3f2a…' }
 */
export async function listRefs(gitdir: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [ref, oid] of await packedRefs(gitdir)) if (ref.startsWith(prefix)) out.set(ref, oid);
  const walk = async (ref: string): Promise<void> => {
    let names: string[];
    try { names = await readdir(join(refDir(gitdir, ref), ref)); } catch { return; }
    for (const n of names) {
      if (n.endsWith('.lock')) continue;
      const child = `${ref}${n}`;
      const oid = await readFullRef(gitdir, child);
      if (oid) out.set(child, oid);
      else await walk(`${child}/`);
    }
  };
  await walk(prefix.endsWith('/') ? prefix : `${prefix}/`);
  return out;
}

/** The branch HEAD points at (`refs/heads/main`), or undefined when HEAD is detached. */
export async function currentBranch(gitdir: string): Promise<string | undefined> {
  try {
    const head = (readSmall(join(gitdir, 'HEAD')) ?? '').trim();
    return head.startsWith('ref: ') ? head.slice(5) : undefined;
  } catch {
    return undefined;
  }
}

export function fullBranchRef(name: string): string {
  return name.startsWith('refs/') ? name : `refs/heads/${name}`;
}

const ZERO = '0'.repeat(40);

/**
 * Moves `ref` from `expected` (undefined: the ref must not exist) to `next`.
 * Throws CONFLICT when the ref moved meanwhile or another process holds `<ref>.lock`.
 */
export async function compareAndSwapRef(gitdir: string, ref: string, expected: string | undefined, next: string, reflog: { who: Person; message: string }): Promise<void> {
  // Synchronous file steps: a dozen thread-pool round trips (lock, check, write, rename, two
  // reflogs) cost more than the work on a loaded machine, and nothing else runs meanwhile.
  const refPath = join(refDir(gitdir, ref), ref);
  const lockPath = `${refPath}.lock`;
  mkdirSync(dirname(refPath), { recursive: true });
  let fd: number | undefined;
  try {
    fd = openSync(lockPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RegistryError('CONFLICT', `Another process is updating ${ref} (${lockPath} exists). Try again; if no git or modelreg process is running, remove that file.`, { ref, lock: lockPath });
    }
    throw e;
  }
  try {
    faultPoint('ref-locked');
    const current = await readRef(gitdir, ref);
    if (current !== expected) {
      throw new RegistryError('CONFLICT', `${ref} moved from ${expected?.slice(0, 12) ?? '(none)'} to ${current?.slice(0, 12) ?? '(none)'} while this change was prepared. Run the command again.`, { ref, expected, current });
    }
    writeFileSync(fd, `${next}\n`);
    closeSync(fd);
    fd = undefined;
    renameSync(lockPath, refPath);
    faultPoint('ref-updated');
  } catch (e) {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* closed */ } }
    try { unlinkSync(lockPath); } catch { /* gone */ }
    throw e;
  }
  const w = reflog.who;
  const tz = -w.timezoneOffset;
  const tzs = `${tz < 0 ? '-' : '+'}${String(Math.floor(Math.abs(tz) / 60)).padStart(2, '0')}${String(Math.abs(tz) % 60).padStart(2, '0')}`;
  const line = `${expected ?? ZERO} ${next} ${w.name} <${w.email}> ${w.timestamp} ${tzs}\t${reflog.message.split('\n')[0]}\n`;
  const logPath = join(refDir(gitdir, ref), 'logs', ref);
  // A reflog that cannot be written is not a failed commit (the ref has moved).
  try { mkdirSync(dirname(logPath), { recursive: true }); appendFileSync(logPath, line); } catch { /* no reflog */ }
  const head = await currentBranch(gitdir);
  if (head === ref) { try { appendFileSync(join(gitdir, 'logs', 'HEAD'), line); } catch { /* no reflog */ } }
}
