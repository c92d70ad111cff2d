/**
 * Refs. A branch moves only by compare-and-swap, as Git does it: create `<ref>.lock`
 * exclusively, check the ref still points where the caller read it, write the new id,
 * rename the lock over the ref. Native git and other modelreg processes respect the lock.
 */
import * as fs from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { RegistryError } from '../errors/index.js';
import type { Person } from './objects.js';
import { faultPoint } from './fault.js';

/** The object id a ref points at, or undefined when it does not exist. */
export async function readRef(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs, gitdir, ref });
  } catch {
    return undefined;
  }
}

/** The branch HEAD points at (`refs/heads/main`), or undefined when HEAD is detached. */
export async function currentBranch(gitdir: string): Promise<string | undefined> {
  try {
    const head = (await readFile(join(gitdir, 'HEAD'), 'utf8')).trim();
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
  const refPath = join(gitdir, ref);
  const lockPath = `${refPath}.lock`;
  await mkdir(dirname(refPath), { recursive: true });
  let handle;
  try {
    handle = await open(lockPath, 'wx');
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
    await handle.writeFile(`${next}\n`);
    await handle.close();
    handle = undefined;
    await rename(lockPath, refPath);
    faultPoint('ref-updated');
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw e;
  }
  const w = reflog.who;
  const tz = -w.timezoneOffset;
  const tzs = `${tz < 0 ? '-' : '+'}${String(Math.floor(Math.abs(tz) / 60)).padStart(2, '0')}${String(Math.abs(tz) % 60).padStart(2, '0')}`;
  const line = `${expected ?? ZERO} ${next} ${w.name} <${w.email}> ${w.timestamp} ${tzs}\t${reflog.message.split('\n')[0]}\n`;
  const logPath = join(gitdir, 'logs', ref);
  await mkdir(dirname(logPath), { recursive: true }).catch(() => undefined);
  await appendFile(logPath, line).catch(() => undefined);
  const head = await currentBranch(gitdir);
  if (head === ref) await appendFile(join(gitdir, 'logs', 'HEAD'), line).catch(() => undefined);
}
