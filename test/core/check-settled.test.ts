/**
 * `check --base` does not look at the version files a change left alone when modelreg.yaml, the
 * policies and the model's model.yaml are as at base (ops/check.ts, `settledVersions`): these
 * tests show that the cross-file rules still see the unchanged versions then, and that a bad
 * unchanged file is still caught when the policy or the model file did change.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, ROOT, cleanup, commitFiles, fixedClock, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
/** The default policy with one more stage, Canary. */
const WITH_CANARY = POLICY.replace('  - name: Archived\n', '  - name: Archived\n  - name: Canary\n');

async function registry(policy: string, model = modelYaml('m')) {
  const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': policy, 'registry/m/model.yaml': model };
  for (let i = 0; i < 20; i++) files[`registry/m/versions/1.${i}.0.yaml`] = versionYaml('m', `1.${i}.0`, i === 0 ? 'Canary' : i === 1 ? 'Production' : 'None');
  const dir = await makeRepo(files);
  return { dir, reg: await openRegistry({ dir, identity: ADA, now: fixedClock('2026-02-01T00:00:00Z').now }) };
}

const found = (r: { problems: Array<{ rule: string; file: string }> }) => r.problems.map((p) => `${p.rule} ${p.file}`);

describe('check --base on a change that leaves the settings alone', () => {
  it('still sees the unchanged versions: totals, exclusive stages, alias targets', async () => {
    const { dir, reg } = await registry(WITH_CANARY, modelYaml('m', 'aliases:\n  champion: 1.5.0\n'));
    expect((await reg.check({ base: 'HEAD' })).problems).toEqual([]);
    // A second Production holder next to the unchanged 1.1.0, and the alias's target deleted.
    await commitFiles(dir, { 'registry/m/versions/1.20.0.yaml': versionYaml('m', '1.20.0', 'Production'), 'registry/m/versions/1.5.0.yaml': null }, 'by hand');
    const r = await reg.check({ base: 'HEAD~1' });
    expect(found(r)).toEqual(expect.arrayContaining(['exclusive-stage registry/m/model.yaml', 'alias-target registry/m/model.yaml']));
    expect(r.problems.find((p) => p.rule === 'exclusive-stage')?.message).toContain('1.1.0, 1.20.0');
    expect(r).toMatchObject({ models: 1, versions: 20 });
    // Unchanged files that are fine under unchanged settings are not reported.
    expect(found(r).filter((p) => p.includes('/versions/1.0.0.yaml'))).toEqual([]);
  });

  it('catches a bad unchanged version file when the policy changed in the same change', async () => {
    const { dir, reg } = await registry(WITH_CANARY);
    // The policy drops Canary, which the unchanged 1.0.0 is in; a version is registered beside it.
    await commitFiles(dir, { 'policies/default.yaml': POLICY, 'registry/m/versions/1.20.0.yaml': versionYaml('m', '1.20.0') }, 'policy and a version');
    expect(found(await reg.check({ base: 'HEAD~1' }))).toContain('unknown-stage registry/m/versions/1.0.0.yaml');
  });

  it('catches a bad unchanged version file when the model file changed in the same change', async () => {
    const { dir, reg } = await registry(WITH_CANARY);
    // model.yaml now says 1.3.0 was deleted, but its file is still there, unchanged.
    await commitFiles(dir, { 'registry/m/model.yaml': modelYaml('m', 'deletedVersions:\n  - 1.3.0\n'), 'registry/m/versions/1.20.0.yaml': versionYaml('m', '1.20.0') }, 'model file and a version');
    expect(found(await reg.check({ base: 'HEAD~1' }))).toContain('version-reused registry/m/versions/1.3.0.yaml');
  });
});
