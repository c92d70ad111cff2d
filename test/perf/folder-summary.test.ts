/**
 * The versions/ folder summary (.git/modelreg/cache/folders-v1, storage/folder-summary.ts) never
 * changes an answer: the next version of a registration, its MLflow number, the release it is
 * compared with and `check --base`'s version order agree with the files through registrations,
 * hand edits (pre-releases, a higher version, a deletion), and a summary that is missing,
 * corrupt or names versions its tree does not have.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, ROOT, cleanup, commitFiles, fixedClock, git, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const CACHE = (dir: string) => join(dir, '.git', 'modelreg', 'cache', 'folders-v1');

describe('folder summary', () => {
  it('registrations and check --base agree with the files through hand edits and a damaged summary', async () => {
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/m/model.yaml': modelYaml('m') };
    for (const v of ['1.0.0', '1.1.0', '1.2.0-rc.1']) files[`registry/m/versions/${v}.yaml`] = versionYaml('m', v);
    const dir = await makeRepo(files);
    const reg = () => openRegistry({ dir, identity: ADA, now: fixedClock('2026-02-01T00:00:00Z').now });
    const register = async (extra: Record<string, unknown> = {}) => (await reg()).register({ model: 'm', artifact: 's3://b/x', metrics: { auc: 0.9 }, ...extra });

    // The highest is the pre-release 1.2.0-rc.1: a minor bump releases it (semver's inc), 1.2.0.
    const a = await register();
    expect(a.version).toBe('1.2.0');
    expect(readdirSync(CACHE(dir)).length).toBeGreaterThan(0);
    // The summary of the committed folder came from the one before plus 1.2.0: the next is 1.3.0, numbered after 4 versions.
    const b = await register();
    expect(b.version).toBe('1.3.0');
    const numberOf = (v: string) => Number(/^number: (\d+)$/m.exec(git(dir, ['show', `HEAD:registry/m/versions/${v}.yaml`]).stdout)?.[1]);
    expect(numberOf('1.3.0')).toBe(5);

    // A hand edit adds a higher version and deletes one: the next folder is summarised from its files.
    await commitFiles(dir, { 'registry/m/versions/2.5.0.yaml': versionYaml('m', '2.5.0'), 'registry/m/versions/1.0.0.yaml': null }, 'by hand');
    expect((await register()).version).toBe('2.6.0');

    // Damaged summaries: one naming a version its tree lacks, a foreign format, a truncated file.
    const tampered = (s: string) => { for (const f of readdirSync(CACHE(dir))) writeFileSync(join(CACHE(dir), f), s.replace('TREE', f.replace(/\.json$/, ''))); };
    tampered('{"format":"modelreg-folder-summary","tree":"TREE","count":3,"highest":"9.9.9","highestRelease":"9.9.9"}');
    expect((await register()).version).toBe('2.7.0');
    tampered('{"format":"other","tree":"TREE","count":1}');
    expect((await register()).version).toBe('2.8.0');
    tampered('{"format":"modelreg-fol');
    expect((await register({ version: '3.0.0' })).version).toBe('3.0.0');
    await expect(register({ version: '2.9.0' })).rejects.toMatchObject({ code: 'INVALID_VERSION' });
    rmSync(CACHE(dir), { recursive: true });
    expect((await register({ bump: 'patch' })).version).toBe('3.0.1');
    expect(git(dir, ['ls-tree', '--name-only', 'HEAD', 'registry/m/versions/']).stdout.trim().split('\n')).toHaveLength(10);

    // check --base: a version registered by hand below the highest is refused, with or without a summary of base.
    const base = git(dir, ['rev-parse', 'HEAD']).stdout.trim();
    await commitFiles(dir, { 'registry/m/versions/2.0.1.yaml': versionYaml('m', '2.0.1') }, 'lower, by hand');
    for (let i = 0; i < 2; i++) {
      const r = await (await reg()).check({ base });
      expect(r.problems.map((x) => x.rule)).toContain('version-order');
    }
  }, 60_000);
});
