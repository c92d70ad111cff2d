/**
 * Listing checked-out registry files (storage/files.ts readWorktreeFiles, what `check` reads in
 * CI): every file under the prefixes, each once; symbolic links reported and never followed;
 * anything else that is not a file reported as such; a prefix that is a file listed as itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorktreeFiles } from '../../src/storage/files.js';
import { tempDir } from '../helpers/repo.js';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await tempDir('mrfiles-');
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), text);
  }
  return root;
}

const listing = (files: Awaited<ReturnType<typeof readWorktreeFiles>>) => files.map((f) => `${f.path} ${f.kind}`).sort();

describe('readWorktreeFiles', () => {
  it('lists files (dotfiles too) under each prefix once, and the single files asked for', async () => {
    const root = await tree({
      'modelreg.yaml': 'a', 'registry/a/model.yaml': 'b', 'registry/a/versions/1.0.0.yaml': 'c', 'registry/.hidden/x.yaml': 'd',
      'registry/policies/p.yaml': 'e', 'policies/default.yaml': 'f', 'elsewhere/z.yaml': 'g',
    });
    await mkdir(join(root, 'registry/empty/deeper'), { recursive: true });
    const files = await readWorktreeFiles(root, ['registry', 'registry/policies', 'policies', 'missing'], ['modelreg.yaml']);
    expect(listing(files)).toEqual([
      'modelreg.yaml file', 'policies/default.yaml file', 'registry/.hidden/x.yaml file', 'registry/a/model.yaml file',
      'registry/a/versions/1.0.0.yaml file', 'registry/policies/p.yaml file',
    ]);
    const model = files.find((f) => f.path === 'registry/a/model.yaml')!;
    expect(model.size).toBe(1);
    expect(model.load?.()).toEqual({ text: 'b' });
  });

  it('reports symbolic links (to files, folders, nowhere, a parent) and never reads through them', async () => {
    const root = await tree({ 'registry/a/model.yaml': 'm', 'outside/secret.yaml': 's' });
    await symlink('../../outside', join(root, 'registry/a/linked'));
    await symlink('../outside/secret.yaml', join(root, 'registry/file.yaml'));
    await symlink('/nonexistent', join(root, 'registry/broken'));
    await symlink('..', join(root, 'registry/loop'));
    await symlink('outside', join(root, 'policies'));
    expect(listing(await readWorktreeFiles(root, ['registry', 'policies'], []))).toEqual([
      'policies symlink', 'registry/a/linked symlink', 'registry/a/model.yaml file', 'registry/broken symlink', 'registry/file.yaml symlink', 'registry/loop symlink',
    ]);
  });

  it('reports a FIFO as other, and lists a prefix that is a file as itself', async () => {
    const root = await tree({ 'registry/a/model.yaml': 'm', 'policies': 'not a folder' });
    execFileSync('mkfifo', [join(root, 'registry/a/fifo')]);
    expect(listing(await readWorktreeFiles(root, ['registry', 'policies'], []))).toEqual(['policies file', 'registry/a/fifo other', 'registry/a/model.yaml file']);
  });
});
