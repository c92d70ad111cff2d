/**
 * The large-tree cache (.git/modelreg/cache/trees-v1, storage/tree-file-cache.ts) never changes
 * an answer: reads and writes in a model whose versions/ tree is large and packed give what Git
 * has, with the cache missing, damaged, left from another commit, and after `git gc` repacks
 * the objects under it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ObjectStore } from '../../src/storage/objects.js';
import { cachedTreeBytes, MIN_BYTES } from '../../src/storage/tree-file-cache.js';
import { ADA, CONFIG_YAML, ROOT, cleanup, commitFiles, fixedClock, git, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const CACHE = (dir: string) => join(dir, '.git', 'modelreg', 'cache', 'trees-v1');
/** Enough versions for a versions/ tree over MIN_BYTES (an entry is 28 bytes and its name). */
const N = Math.ceil(MIN_BYTES / 36) + 50;

describe('large-tree cache', () => {
  it('reads, resolves and writes as Git has it: cache missing, damaged, from another commit, after git gc', async () => {
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/m/model.yaml': modelYaml('m') };
    for (let i = 0; i < N; i++) files[`registry/m/versions/1.${i}.0.yaml`] = versionYaml('m', `1.${i}.0`, 'None');
    const dir = await makeRepo(files);
    git(dir, ['gc', '-q']);
    const versionsTree = () => git(dir, ['rev-parse', 'HEAD:registry/m/versions']).stdout.trim();
    const gitBytes = (oid: string) => spawnSync('git', ['cat-file', 'tree', oid], { cwd: dir, maxBuffer: 64 << 20 }).stdout;

    // Packed and large: stored once, then read from the file with the same bytes as Git's.
    const t1 = versionsTree();
    expect(cachedTreeBytes(new ObjectStore(join(dir, '.git')), t1).equals(gitBytes(t1))).toBe(true);
    expect(readdirSync(CACHE(dir))).toEqual([t1]);
    expect(cachedTreeBytes(new ObjectStore(join(dir, '.git')), t1).equals(gitBytes(t1))).toBe(true);

    const reg = () => openRegistry({ dir, identity: ADA, now: fixedClock('2026-02-01T00:00:00Z').now });
    const top = `1.${N - 1}.0`;
    expect((await (await reg()).resolve({ uri: `models:/m/${top}` })).version).toBe(top);

    // A damaged file (same id, other bytes) is not trusted: the answer is Git's and the file goes.
    const bytes = readFileSync(join(CACHE(dir), t1));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(CACHE(dir), t1), bytes);
    expect(cachedTreeBytes(new ObjectStore(join(dir, '.git')), t1).equals(gitBytes(t1))).toBe(true);
    expect((await (await reg()).resolve({ uri: `models:/m/${top}` })).version).toBe(top);

    // A truncated file too.
    writeFileSync(join(CACHE(dir), t1), bytes.subarray(0, 100));
    await (await reg()).transition({ model: 'm', version: top, stage: 'Staging' });
    expect(git(dir, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
    expect(git(dir, ['show', `HEAD:registry/m/versions/${top}.yaml`]).stdout).toContain('stage: Staging');
    expect(git(dir, ['ls-tree', 'HEAD', 'registry/m/versions/']).stdout.trim().split('\n')).toHaveLength(N);

    // The cache holds the tree of the commit before; a hand edit and git gc move the tip on.
    await commitFiles(dir, { [`registry/m/versions/1.0.0.yaml`]: versionYaml('m', '1.0.0', 'Archived') }, 'by hand');
    git(dir, ['gc', '-q', '--aggressive']);
    const t2 = versionsTree();
    expect(t2).not.toBe(t1);
    const r = await reg();
    expect((await r.show({ model: 'm', version: '1.0.0' })).stage).toBe('Archived');
    await r.transition({ model: 'm', version: '1.1.0', stage: 'Staging' });
    expect(git(dir, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
    expect(git(dir, ['diff', '--name-only', 'HEAD~1', 'HEAD']).stdout.trim()).toBe('registry/m/versions/1.1.0.yaml');
    expect(git(dir, ['status', '--porcelain']).stdout.trim()).toBe('');

    // Deleted: the same answers.
    rmSync(CACHE(dir), { recursive: true });
    expect((await (await reg()).show({ model: 'm', version: '1.1.0' })).stage).toBe('Staging');
    expect(existsSync(CACHE(dir))).toBe(false); // the tip's tree is loose since the last write: not stored
  }, 120_000);

  it('finds a model in a large registry folder by its bytes, in any case, and doctor keeps that tree', async () => {
    // Enough model folders for a registry/ tree over MIN_BYTES (an entry is 28 bytes and its name).
    const M = Math.ceil(MIN_BYTES / 33) + 50;
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY };
    for (let i = 0; i < M; i++) files[`registry/m${String(i).padStart(5, '0')}/model.yaml`] = modelYaml(`m${String(i).padStart(5, '0')}`);
    files['registry/m01234/versions/1.0.0.yaml'] = versionYaml('m01234', '1.0.0', 'Staging');
    const dir = await makeRepo(files);
    git(dir, ['gc', '-q']);
    const registryTree = git(dir, ['rev-parse', 'HEAD:registry']).stdout.trim();
    const reg = () => openRegistry({ dir, identity: ADA, now: fixedClock('2026-02-01T00:00:00Z').now });
    expect((await (await reg()).resolve({ uri: 'models:/m01234/Staging' })).version).toBe('1.0.0');
    expect(readdirSync(CACHE(dir))).toContain(registryTree);
    // Another case finds the same folder; a name that is not there is NOT_FOUND.
    expect((await (await reg()).resolve({ uri: 'models:/M01234/1.0.0' })).model).toBe('m01234');
    await expect((await reg()).resolve({ uri: 'models:/m99999/1.0.0' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // doctor prunes the trees no tip holds, and keeps the registry folder's.
    writeFileSync(join(CACHE(dir), 'f'.repeat(40)), 'stale');
    await (await reg()).doctor();
    expect(readdirSync(CACHE(dir))).toEqual([registryTree]);
  }, 120_000);
});
