/**
 * The repository lock that serialises modelreg writers (isomorphic-git has none between
 * processes). `.git/modelreg.lock` is created exclusively and holds the owner's pid and host.
 * A lock whose owner is a dead process on this host is stale and is cleared, under a short
 * takeover lock so two waiters never both clear it; a live writer's lock is never removed.
 * We chose pid liveness over mtime staleness (proper-lockfile) because a writer stalled
 * for longer than the stale interval would otherwise lose its lock.
 * The lock lives in the common gitdir, so the writers of every linked worktree of a
 * repository take the same one; it records the holder's own gitdir, whose index.lock a dead
 * holder may have left.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { faultPoint } from './fault.js';
import { commonDir, refDir } from './worktree.js';

interface LockInfo { pid: number; host: string; token: string; ref?: string; at: string; gitdir?: string }

export interface HeldLock {
  path: string;
  /** A dead writer's lock was cleared to take this one: its work may need `doctor`'s repair. */
  recovered: boolean;
  release(): Promise<void>;
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `path` exclusively with `content`. Synchronous, as the other small files of a write
 * are: a thread-pool round trip per step (open, write, close, and the reads of release) cost
 * more than the work on a loaded machine.
 */
async function tryCreate(path: string, content: string): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((e as NodeJS.ErrnoException).code === 'EACCES' || (e as NodeJS.ErrnoException).code === 'EROFS') {
      throw new RegistryError('IO', `Cannot write to ${path}: the repository is read-only. Run modelreg where you may write, or fix the permissions.`, { path }, { cause: e });
    }
    throw e;
  }
  try {
    writeFileSync(fd, content);
  } catch (e) {
    try { closeSync(fd); } catch { /* closed */ }
    try { unlinkSync(path); } catch { /* gone */ }
    throw e;
  }
  closeSync(fd);
  return true;
}

async function readInfo(path: string): Promise<LockInfo | 'unreadable' | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try { return JSON.parse(text) as LockInfo; } catch { return 'unreadable'; }
}

/** Whether the lock at `path` belongs to a dead process (or was left half-written long ago). */
async function isStale(path: string, info: LockInfo | 'unreadable'): Promise<boolean> {
  if (info === 'unreadable') {
    const s = await stat(path).catch(() => undefined);
    return s !== undefined && Date.now() - s.mtimeMs > 5000;
  }
  return info.host === hostname() && !alive(info.pid);
}

/**
 * Whether `file` was made while the dead holder held the lock (or its lock is unreadable): an
 * older index.lock is not the holder's, but a git process's that was there first.
 */
export async function madeSince(file: string, holder: { at?: string } | 'unreadable'): Promise<boolean> {
  const s = await stat(file).catch(() => undefined);
  if (!s) return false;
  const since = holder !== 'unreadable' && holder.at ? Date.parse(holder.at) : Number.NaN;
  return Number.isNaN(since) || s.mtimeMs >= since - 1000;
}

async function clearStale(gitdir: string, path: string, seen: LockInfo | 'unreadable'): Promise<boolean> {
  const takeover = `${path}.takeover`;
  if (!(await tryCreate(takeover, JSON.stringify({ pid: process.pid, host: hostname() })))) {
    const t = await readInfo(takeover);
    if (t && (await isStale(takeover, t))) await unlink(takeover).catch(() => undefined);
    return false;
  }
  try {
    const now = await readInfo(path);
    if (now && JSON.stringify(now) === JSON.stringify(seen)) {
      // The dead owner may have died holding a ref lock too; it was ours to hold.
      // So may its index.lock: one made while it held the lock is taken for its (a native git
      // process could have made one then too; we accept that small risk over leaving every
      // later write stuck); an older one is a git process's and stays.
      const holderGitdir = now !== 'unreadable' && now.gitdir ? now.gitdir : gitdir;
      if (now !== 'unreadable' && now.ref) await unlink(join(refDir(holderGitdir, now.ref), `${now.ref}.lock`)).catch(() => undefined);
      if (await madeSince(join(holderGitdir, 'index.lock'), now)) await unlink(join(holderGitdir, 'index.lock')).catch(() => undefined);
      await unlink(path).catch(() => undefined);
      return true;
    }
    return false;
  } finally {
    await unlink(takeover).catch(() => undefined);
  }
}

/**
 * Takes the repository lock, waiting up to `timeoutMs` for a live holder.
 * @example const lock = await acquireLock(gitdir, { ref: 'refs/heads/main' }); try { … } finally { await lock.release(); }
 */
export async function acquireLock(gitdir: string, opts: { ref?: string; timeoutMs?: number } = {}): Promise<HeldLock> {
  const path = join(commonDir(gitdir), 'modelreg.lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), ref: opts.ref, at: new Date().toISOString(), gitdir };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let delay = 5;
  let recovered = false;
  for (;;) {
    if (await tryCreate(path, JSON.stringify(info))) { faultPoint('lock-acquired'); break; }
    const holder = await readInfo(path);
    if (holder && (await isStale(path, holder))) {
      if (await clearStale(gitdir, path, holder)) recovered = true;
      continue;
    }
    if (Date.now() > deadline) {
      const who = holder && holder !== 'unreadable' ? ` by process ${holder.pid} on ${holder.host} since ${holder.at}` : '';
      throw new RegistryError('LOCKED', `The registry is locked${who} (${path}). Wait for that command to finish and try again; if that process no longer runs, remove the file.`, { path });
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
  let released = false;
  return {
    path,
    recovered,
    async release() {
      if (released) return;
      released = true;
      const now = await readInfo(path);
      if (now && now !== 'unreadable' && now.token === info.token) {
        try { unlinkSync(path); } catch { /* removed by hand */ }
      }
    },
  };
}
