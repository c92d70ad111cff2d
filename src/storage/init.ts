import * as fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import git from 'isomorphic-git';

/** Creates an empty Git repository with `branch` checked out (no commits yet). */
export async function initRepository(dir: string, branch = 'main'): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git.init({ fs, dir, defaultBranch: branch });
}
