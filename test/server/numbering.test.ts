/**
 * Integer version numbers: assigned at registration in registration order per model, never
 * reused after a delete, recorded in the version file; `renumber` numbers an existing
 * registry in commit order in one commit; `check --base` refuses a changed number.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { nextNumber, numberUnnumbered } from '../../src/domain/numbering.js';
import { openRegistry } from '../../src/index.js';
import { Context } from '../../src/ops/context.js';
import { renumber } from '../../src/ops/renumber.js';
import { ADA, CONFIG_YAML, changedFiles, commitFiles, fixedClock, gitLog, gitStatus, makeRepo, modelYaml, runCli, versionYaml } from '../helpers/repo.js';

const V = (m: string, v: string) => `registry/${m}/versions/${v}.yaml`;
const numberIn = async (dir: string, file: string) => YAML.parse(await readFile(join(dir, file), 'utf8')).number;
const rec = (version: string, number?: number) => ({ model: 'm', version, stage: 'None', artifact: { uri: 's3://x' }, created: { at: '2024-01-01T00:00:00Z', by: 'a@x' }, ...(number ? { number } : {}) });

describe('numbering (pure)', () => {
  it('the next number is past every number present and every version ever registered', () => {
    expect(nextNumber(undefined, [])).toBe(1);
    expect(nextNumber(undefined, [rec('1.0.0', 1), rec('1.1.0', 2)])).toBe(3);
    // 1.1.0 (#2) was deleted: 2 present-or-deleted versions, highest present 1.
    expect(nextNumber({ name: 'm', created: { at: 'x', by: 'y' }, deletedVersions: ['1.1.0'] }, [rec('1.0.0', 1)])).toBe(3);
    // A hand-numbered gap is respected.
    expect(nextNumber(undefined, [rec('1.0.0', 7)])).toBe(8);
  });

  it('unnumbered versions get numbers after those taken, in the order given', () => {
    expect([...numberUnnumbered([rec('1.0.0', 1), rec('1.1.0'), rec('2.0.0', 2), rec('2.1.0')])]).toEqual([['1.1.0', 3], ['2.1.0', 4]]);
  });
});

describe('at registration', () => {
  it('numbers follow registration order, whatever the semver, and a deleted version\'s number is never reused', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n' });
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2024-03-01T09:00:00Z').now, env: {} });
    await reg.register({ model: 'm', artifact: 's3://1', version: '1.0.0' });
    await reg.register({ model: 'm', artifact: 's3://2', version: '2.0.0' });
    await reg.register({ model: 'm', artifact: 's3://3', version: '2.0.1-rc.1' });
    expect([await numberIn(dir, V('m', '1.0.0')), await numberIn(dir, V('m', '2.0.0')), await numberIn(dir, V('m', '2.0.1-rc.1'))]).toEqual([1, 2, 3]);
    await reg.deleteVersion({ model: 'm', version: '2.0.1-rc.1' });
    const r = await reg.register({ model: 'm', artifact: 's3://4' });
    expect(changedFiles(dir)).toEqual([V('m', r.version)]);
    expect(await numberIn(dir, V('m', r.version))).toBe(4);
    // Another model counts on its own.
    await reg.register({ model: 'other', artifact: 's3://o' });
    expect(await numberIn(dir, V('other', '1.0.0'))).toBe(1);
  });
});

describe('the first registration of a clone (no cache of numbers)', () => {
  // Each way a version file may spell its number, as the one that holds the highest: the next
  // number must be past it. The line scan reads plain ones; what it cannot vouch for is parsed.
  const spellings: Record<string, (n: number) => string> = {
    plain: (n) => versionYaml('m', '1.4.0', 'None', `number: ${n}\n`),
    'with a comment': (n) => versionYaml('m', '1.4.0', 'None', `number: ${n}   # from MLflow\n`),
    'quoted key': (n) => versionYaml('m', '1.4.0', 'None', `"number": ${n}\n`),
    'escaped key': (n) => versionYaml('m', '1.4.0', 'None', `"\\u006Eumber": ${n}\n`),
    'flow mapping': (n) => `{model: m, version: 1.4.0, stage: None, number: ${n}, artifact: {uri: "s3://x"}, created: {at: "2024-01-01T00:00:00Z", by: ada@example.com}}\n`,
    // Lines that look like a number but are text (a scan that took them would answer 100).
    'after a block scalar': (n) => versionYaml('m', '1.4.0', 'None', `description: |\n  number: 99\nnumber: ${n}\n`),
    'after a quoted text of two lines': (n) => versionYaml('m', '1.4.0', 'None', `description: "retrained,\n number: 99"\nnumber: ${n}\n`),
  };
  for (const [how, file] of Object.entries(spellings)) {
    it(`finds the highest number where the file spells it as: ${how}`, async () => {
      const dir = await makeRepo({
        'modelreg.yaml': CONFIG_YAML,
        'registry/m/model.yaml': modelYaml('m'),
        [V('m', '1.0.0')]: versionYaml('m', '1.0.0', 'None', 'number: 2\n'),
        [V('m', '1.1.0')]: versionYaml('m', '1.1.0', 'None', 'description: the number of trees is 900\n'),
        [V('m', '1.2.0')]: versionYaml('m', '1.2.0'),
        [V('m', '1.3.0')]: versionYaml('m', '1.3.0', 'None', 'number: 5\n'),
        [V('m', '1.4.0')]: file(40),
      });
      expect(YAML.parse(file(40))).toMatchObject({ number: 40, version: '1.4.0' });
      // An uncommitted edit in the checkout is not the registry: its number is not counted.
      await writeFile(join(dir, V('m', '1.0.0')), versionYaml('m', '1.0.0', 'None', 'number: 900\n'));
      const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2024-03-01T09:00:00Z').now, env: {} });
      const r = await reg.register({ model: 'm', artifact: 's3://next' });
      expect(await numberIn(dir, V('m', r.version))).toBe(41);
    });
  }
});

describe('renumber', () => {
  it('numbers an existing registry in commit order in one commit; numbered versions keep theirs; a second run changes nothing', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/m/model.yaml': modelYaml('m'), [V('m', '2.0.0')]: versionYaml('m', '2.0.0') });
    await commitFiles(dir, { [V('m', '1.0.0')]: versionYaml('m', '1.0.0') }, 'a hotfix line registered later');
    await commitFiles(dir, { [V('m', '3.0.0')]: versionYaml('m', '3.0.0', 'None', 'number: 9\n') }, 'numbered by hand');
    await commitFiles(dir, { 'registry/n/model.yaml': modelYaml('n'), [V('n', '1.0.0')]: versionYaml('n', '1.0.0'), [V('n', '1.1.0')]: versionYaml('n', '1.1.0') }, 'n');
    const before = gitLog(dir)[0].commit;
    const ctx = await Context.open({ dir, identity: ADA, env: {} });
    const r = await renumber(ctx, {});
    expect(r.numbered).toEqual({ m: { '2.0.0': 10, '1.0.0': 11 }, n: { '1.0.0': 1, '1.1.0': 2 } });
    const log = gitLog(dir);
    expect(log[0].parents).toEqual([before]);
    expect(log[0].trailers).toEqual({ 'Modelreg-Action': 'renumber' });
    expect(changedFiles(dir)).toEqual([V('m', '1.0.0'), V('m', '2.0.0'), V('n', '1.0.0'), V('n', '1.1.0')]);
    expect(await numberIn(dir, V('m', '3.0.0'))).toBe(9);
    // Written next to version:, the rest of the file as it was.
    expect((await readFile(join(dir, V('m', '2.0.0')), 'utf8'))).toBe(versionYaml('m', '2.0.0').replace('version: 2.0.0\n', 'version: 2.0.0\nnumber: 10\n'));
    expect(gitStatus(dir)).toBe('');
    const again = await renumber(ctx, {});
    expect(again.commit).toBeUndefined();
    expect(gitLog(dir)[0].commit).toBe(log[0].commit);
    // The renumbered registry passes check, and check --base accepts numbers being added.
    expect((await runCli(['check'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['check', '--base', before], { cwd: dir })).code).toBe(0);
  });

  it('check --base refuses a changed number', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/m/model.yaml': modelYaml('m'), [V('m', '1.0.0')]: versionYaml('m', '1.0.0', 'None', 'number: 1\n') });
    const base = gitLog(dir)[0].commit;
    await commitFiles(dir, { [V('m', '1.0.0')]: versionYaml('m', '1.0.0', 'None', 'number: 2\n') }, 'renumber by hand');
    const r = await runCli(['check', '--base', base], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/number of m 1\.0\.0 changed/);
  });

  it('the CLI: `modelreg renumber` says what it did', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/m/model.yaml': modelYaml('m'), [V('m', '1.0.0')]: versionYaml('m', '1.0.0') });
    const r = await runCli(['renumber'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^numbered 1 version in [0-9a-f]{12}\n$/);
    expect((await runCli(['renumber'], { cwd: dir })).stdout).toBe('every version has a number already\n');
  });
});

describe('insertNumber and the Document fallback', () => {
  it('puts number: on the line after version:, agreeing with the YAML Document insert; declines anything it cannot do plainly', async () => {
    const { insertNumber } = await import('../../src/domain/numbering.js');
    const { insertTopLevelAfter } = await import('../../src/domain/yaml-file.js');
    const text = versionYaml('m', '1.0.0', 'None', 'tags:\n  a: "1"\n# trailing comment\n');
    const quick = insertNumber(text, 3)!;
    expect(quick.split('\n').slice(1, 4)).toEqual(['model: m', 'version: 1.0.0', 'number: 3']);
    expect(quick).toBe(insertTopLevelAfter(text, 'version', 'number', 3));
    expect(YAML.parse(quick)).toEqual({ ...YAML.parse(text), number: 3 });
    expect(insertNumber('{model: m}\n', 1)).toBeUndefined();
    expect(insertNumber(`${text}---\nx: 1\n`, 1)).toBeUndefined();
    expect(insertNumber(`${text}number: 2\n`, 1)).toBeUndefined();
    expect(insertNumber('model: m', 1)).toBeUndefined();
    expect(insertNumber('model: m\n- a\n', 1)).toBeUndefined();
    expect(insertNumber('model: m\nversion: "1.0.0"\n', 1)).toBeUndefined();
  });

  it('the Document insert keeps comments and order in a file the quick path declines', async () => {
    const { insertTopLevelAfter } = await import('../../src/domain/yaml-file.js');
    const text = '# header\nmodel: m   # the model\nversion: "1.0.0"  # quoted, with a comment\nstage: None\nartifact: {uri: s3://x}\n';
    expect(insertTopLevelAfter(text, 'version', 'number', 4)).toBe('# header\nmodel: m   # the model\nversion: "1.0.0"  # quoted, with a comment\nnumber: 4\nstage: None\nartifact: {uri: s3://x}\n');
  });
});

describe('check: one number, one version', () => {
  it('two versions of one model with the same number: an error naming the file, line and field, and what to do', async () => {
    const dir = await makeRepo({
      'modelreg.yaml': CONFIG_YAML, 'registry/m/model.yaml': modelYaml('m'),
      [V('m', '1.0.0')]: versionYaml('m', '1.0.0', 'None', 'number: 1\n'), [V('m', '1.1.0')]: versionYaml('m', '1.1.0', 'None', 'number: 1\n'),
      'registry/n/model.yaml': modelYaml('n'), [V('n', '1.0.0')]: versionYaml('n', '1.0.0', 'None', 'number: 1\n'),
    });
    const r = await runCli(['check', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const problems = JSON.parse(r.stdout).problems.filter((p: any) => p.rule === 'number-duplicate');
    expect(problems).toEqual([expect.objectContaining({ file: V('m', '1.1.0'), line: 7, field: 'number', message: expect.stringMatching(/^number 1 of m 1\.1\.0 is also the number of registry\/m\/versions\/1\.0\.0\.yaml; .*run modelreg renumber/) })]);
  });
});

describe('import mlflow keeps MLflow\'s numbers', () => {
  it('version N is number N (gaps from deletions in MLflow kept); the next registration continues past them; models:/name/N serves the same version', async () => {
    const { startMlflow } = await import('../import/mlflow-server.js');
    const { prodRegistry } = await import('../import/fixtures.js');
    const { policyYaml } = await import('../policy/fixtures.js');
    const { serve, get } = await import('./helpers.js');
    const at = 1_704_067_200_000;
    const mv = (n: number) => ({ name: 'churn', version: String(n), creation_timestamp: at + n * 60_000, current_stage: 'None', source: `s3://mlflow/churn/${n}`, status: 'READY' });
    // Versions 3 and 4 were deleted in MLflow.
    const mlflow = await startMlflow([{ name: 'churn', creation_timestamp: at }], [mv(1), mv(2), mv(5)]);
    try {
      const prod = await prodRegistry(policyYaml({ rules: [{ from: '*', to: '*' }] }));
      const r = await runCli(['import', 'mlflow', '--registry-uri', mlflow.url], { cwd: prod });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect([await numberIn(prod, V('churn', '1.0.0')), await numberIn(prod, V('churn', '2.0.0')), await numberIn(prod, V('churn', '5.0.0'))]).toEqual([1, 2, 5]);
      const next = await runCli(['register', 'churn', '--artifact', 's3://new', '--json'], { cwd: prod });
      expect(next.code, next.stderr).toBe(0);
      expect(await numberIn(prod, V('churn', JSON.parse(next.stdout).version))).toBe(6);
      expect((await runCli(['check'], { cwd: prod })).code).toBe(0);
      const s = await serve(prod);
      expect((await get(s, 'model-versions/get', { name: 'churn', version: '5' })).body.model_version.tags).toContainEqual({ key: 'modelreg.version', value: '5.0.0' });
    } finally {
      await mlflow.stop();
    }
  });
});
