/**
 * The repository format gate (storage/format.ts): a repository modelreg cannot read correctly
 * (SHA-256 objects, reftable refs, a partial clone, an unknown extension, a format version
 * above 1) is refused before anything is read or written, with exit 2 and a message that says
 * what was found and what to do. Repositories Git reads the same as ordinary ones are not.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRepositoryFormat } from '../../src/storage/format.js';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, git, listTree, makeRepo, modelYaml, runCli, tempDir, versionYaml } from '../helpers/repo.js';

const REGISTRY = {
  'modelreg.yaml': CONFIG_YAML,
  'registry/churn/model.yaml': modelYaml('churn'),
  'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0'),
};

/** Sets config lines by hand (git 2.39 refuses to touch a repository with an extension it does not know). */
async function appendConfig(dir: string, text: string): Promise<void> {
  const file = join(dir, '.git', 'config');
  await writeFile(file, (await readFile(file, 'utf8')) + text);
}

/** Runs a write and a read in `dir`: both refused with exit 2, one line naming `expected`, nothing written. */
async function expectRefused(dir: string, expected: RegExp): Promise<void> {
  const before = await listTree(dir);
  for (const args of [['register', 'churn', '--artifact', 's3://m/2', '--version', '2.0.0'], ['list']]) {
    const r = await runCli(args, { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/bug|\n\s+at /);
  }
  const json = await runCli(['list', '--json'], { cwd: dir });
  expect(JSON.parse(json.stdout).error.code).toBe('UNSUPPORTED_REPOSITORY');
  expect(await listTree(dir)).toEqual(before);
  await expect(openRegistry({ dir, identity: ADA, env: {} })).rejects.toMatchObject({ code: 'UNSUPPORTED_REPOSITORY' });
}

describe('the repository format gate', () => {
  it('refuses a SHA-256 repository made by git init --object-format=sha256', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'repo');
    git(parent, ['init', '-q', '--object-format=sha256', '-b', 'main', dir]);
    expect(git(dir, ['rev-parse', '--show-object-format']).stdout.trim()).toBe('sha256');
    await expectRefused(dir, /extensions\.objectFormat is sha256; modelreg reads SHA-1 repositories only/);
    // init adopts no such repository, and makes no repository inside one
    const before = await listTree(dir);
    const here = await runCli(['init'], { cwd: dir });
    expect(here.code, here.stderr).toBe(2);
    expect(here.stderr).toMatch(/SHA-1 repositories only/);
    const inside = await runCli(['init', 'sub'], { cwd: dir });
    expect(inside.code, inside.stderr).toBe(2);
    expect(inside.stderr).toMatch(/is inside the Git repository/);
    expect(await listTree(dir)).toEqual(before);
  });

  it('refuses reftable refs and says how to convert them', async () => {
    const dir = await makeRepo(REGISTRY);
    git(dir, ['config', 'core.repositoryformatversion', '1']);
    await appendConfig(dir, '[extensions]\n\trefStorage = reftable\n');
    await expectRefused(dir, /extensions\.refStorage is reftable.*git refs migrate --ref-format=files/);
  });

  it('refuses a partial clone (git clone --filter=blob:none) and says to clone without --filter', async () => {
    const src = await makeRepo(REGISTRY);
    git(src, ['config', 'uploadpack.allowFilter', 'true']);
    const parent = await tempDir();
    const dir = join(parent, 'repo');
    git(parent, ['clone', '-q', '--filter=blob:none', `file://${src}`, dir]);
    // git 2.39 marks the remote a promisor and the pack a promisor pack (older ones set extensions.partialClone)
    expect(git(dir, ['config', 'remote.origin.promisor']).stdout.trim()).toBe('true');
    await expectRefused(dir, /partial clone.*without --filter/);
    git(dir, ['config', '--unset', 'remote.origin.promisor']);
    await expectRefused(dir, /a promisor pack, so this is a partial clone/);
    git(dir, ['config', 'core.repositoryformatversion', '1']);
    git(dir, ['config', 'extensions.partialClone', 'origin']);
    await expectRefused(dir, /extensions\.partialClone is origin, so this is a partial clone/);
  });

  it('refuses a promisor pack or promisor remote without the extension', async () => {
    const dir = await makeRepo(REGISTRY);
    git(dir, ['config', 'remote.origin.promisor', 'true']);
    expect(() => checkRepositoryFormat(join(dir, '.git'))).toThrow(/remote\.origin\.promisor is true, so this is a partial clone/);
    git(dir, ['config', '--unset', 'remote.origin.promisor']);
    git(dir, ['gc', '-q']);
    const pack = git(dir, ['rev-parse', '--git-path', 'objects/pack']).stdout.trim();
    const idx = (await import('node:fs')).readdirSync(join(dir, pack)).find((n) => n.endsWith('.idx'))!;
    await writeFile(join(dir, pack, idx.replace(/\.idx$/, '.promisor')), '');
    await expectRefused(dir, /a promisor pack, so this is a partial clone/);
  });

  it('refuses an unknown extension in version 1 and a format version above 1, as Git does', async () => {
    const dir = await makeRepo(REGISTRY);
    git(dir, ['config', 'core.repositoryformatversion', '1']);
    git(dir, ['config', 'extensions.futureThing', 'yes']);
    expect(git(dir, ['status'], { allowFail: true }).stderr).toMatch(/unknown repository extension/);
    await expectRefused(dir, /extensions\.futurething \(= yes\), which modelreg does not know/);
    git(dir, ['config', '--unset', 'extensions.futureThing'], { allowFail: true });
    await writeFile(join(dir, '.git', 'config'), '[core]\n\trepositoryformatversion = 2\n');
    await expectRefused(dir, /core\.repositoryformatversion is 2/);
  });

  it('reads repositories whose extensions change nothing it reads, and v0 repositories whose v1-only extensions Git ignores', async () => {
    const dir = await makeRepo(REGISTRY);
    git(dir, ['config', 'core.repositoryformatversion', '1']);
    git(dir, ['config', 'extensions.worktreeConfig', 'true']);
    git(dir, ['config', 'extensions.preciousObjects', 'true']);
    git(dir, ['config', 'extensions.objectFormat', 'sha1']);
    let r = await runCli(['list'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/churn/);
    await writeFile(join(dir, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n[extensions]\n\tfutureThing = yes\n');
    expect(git(dir, ['status'], { allowFail: true }).code).toBe(0);
    r = await runCli(['list'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });
});
