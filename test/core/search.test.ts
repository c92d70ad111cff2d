/**
 * search, compare and best: questions over versions, on a real repository built from an inline
 * file tree, through the library and the CLI. Exact answers, errors by code and message.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../src/index.js';
import { ADA, CONFIG_YAML, commitFiles, headCommit, makeRepo, modelYaml, runCli } from '../helpers/repo.js';

function version(model: string, v: string, stage: string, at: string, extra = ''): string {
  return `model: ${model}
version: ${v}
stage: ${stage}
artifact:
  uri: s3://models/${model}/${v}
${extra}created:
  at: ${at}
  by: ada@example.com
`;
}

let dir: string;
let reg: Registry;
let before: string;

beforeAll(async () => {
  dir = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'registry/churn/model.yaml': modelYaml('churn', 'tags:\n  team: growth\n'),
    'registry/churn/versions/1.0.0.yaml': version('churn', '1.0.0', 'Archived', '2024-01-01T00:00:00Z', 'metrics:\n  auc: 0.88\n  f1: 0.7\n'),
    'registry/churn/versions/1.1.0.yaml': version('churn', '1.1.0', 'Production', '2024-02-01T00:00:00Z', 'metrics:\n  auc: 0.93\n  f1: 0.78\nparams:\n  depth: 6\n'),
    'registry/churn/versions/1.2.0.yaml': version('churn', '1.2.0', 'Staging', '2024-03-01T00:00:00Z', 'metrics:\n  auc: 0.95\n  f1: 0.74\nparams:\n  depth: 8\n'),
    'registry/iris/model.yaml': modelYaml('iris', 'tags:\n  team: research\n'),
    'registry/iris/versions/1.0.0.yaml': version('iris', '1.0.0', 'Production', '2024-01-15T00:00:00Z', 'metrics:\n  auc: 0.91\n'),
    'registry/iris/versions/2.0.0.yaml': version('iris', '2.0.0', 'None', '2024-02-15T00:00:00Z'),
    'registry/team/fraud/model.yaml': modelYaml('team/fraud'),
    'registry/team/fraud/versions/1.0.0.yaml': version('team/fraud', '1.0.0', 'Production', '2024-01-20T00:00:00Z', 'metrics:\n  auc: 0.97\n'),
  });
  before = headCommit(dir);
  // A later commit archives iris 1.0.0 by hand.
  await commitFiles(dir, { 'registry/iris/versions/1.0.0.yaml': version('iris', '1.0.0', 'Archived', '2024-01-15T00:00:00Z', 'metrics:\n  auc: 0.91\n') }, 'archive iris 1.0.0');
  reg = await openRegistry({ dir, identity: ADA, env: {} });
});

const ids = (r: { versions: Array<{ model: string; version: string }> }) => r.versions.map((v) => `${v.model}@${v.version}`);

describe('search', () => {
  it('lists every version, oldest first by default', async () => {
    const r = await reg.search();
    expect(ids(r)).toEqual(['churn@1.0.0', 'iris@1.0.0', 'team/fraud@1.0.0', 'churn@1.1.0', 'iris@2.0.0', 'churn@1.2.0']);
    expect(r.total).toBe(6);
  });

  it('filters with CEL over the version and its model', async () => {
    expect(ids(await reg.search({ filter: 'version.stage == "Production" && version.metrics.auc > 0.9' }))).toEqual(['team/fraud@1.0.0', 'churn@1.1.0']);
    expect(ids(await reg.search({ filter: 'model.tags.team == "growth" && version.params.depth >= 7' }))).toEqual(['churn@1.2.0']);
    expect(ids(await reg.search({ filter: 'version.model.startsWith("team/")' }))).toEqual(['team/fraud@1.0.0']);
  });

  it('orders by a field either way, puts versions without it last, and limits after counting', async () => {
    const r = await reg.search({ orderBy: 'metrics.auc', desc: true, limit: 3 });
    expect(ids(r)).toEqual(['team/fraud@1.0.0', 'churn@1.2.0', 'churn@1.1.0']);
    expect(r.total).toBe(6);
    expect(ids(await reg.search({ orderBy: 'metrics.auc' }))).toEqual(['churn@1.0.0', 'iris@1.0.0', 'churn@1.1.0', 'churn@1.2.0', 'team/fraud@1.0.0', 'iris@2.0.0']);
    expect(ids(await reg.search({ orderBy: 'metrics.auc', desc: true })).at(-1)).toBe('iris@2.0.0');
    expect(ids(await reg.search({ orderBy: 'version', desc: true, filter: 'version.model == "iris"' }))).toEqual(['iris@2.0.0', 'iris@1.0.0']);
  });

  it('answers as of an earlier commit', async () => {
    expect(ids(await reg.search({ filter: 'version.stage == "Production"' }))).toEqual(['team/fraud@1.0.0', 'churn@1.1.0']);
    expect(ids(await reg.search({ filter: 'version.stage == "Production"', at: before }))).toEqual(['iris@1.0.0', 'team/fraud@1.0.0', 'churn@1.1.0']);
  });

  it('refuses a filter that does not compile and a limit that is not a positive integer', async () => {
    await expect(reg.search({ filter: 'version.stage ==' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^Invalid filter: .+Filters are CEL over version and model, e\.g\. version\.metrics\.auc > 0\.9\.$/s) });
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(reg.search({ limit })).rejects.toMatchObject({ code: 'BAD_INPUT', message: '--limit must be a positive integer.' });
    }
  });

  it('through the CLI: JSON on stdout, exit 2 for a bad filter', async () => {
    const r = await runCli(['search', 'version.metrics.auc >= 0.95', '--order-by', 'metrics.auc', '--desc', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.total).toBe(2);
    expect(out.versions.map((v: { model: string; version: string; metrics: { auc: number } }) => [v.model, v.version, v.metrics.auc])).toEqual([['team/fraud', '1.0.0', 0.97], ['churn', '1.2.0', 0.95]]);
    const bad = await runCli(['search', 'version.stage =='], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^modelreg: Invalid filter: /);
    expect(bad.stdout).toBe('');
  });
});

describe('compare and best', () => {
  it('compares two versions: metrics with deltas, params, stage, artifact', async () => {
    const c = await reg.compare({ model: 'churn', a: '1.1.0', b: '1.2.0' });
    expect(c.rows.filter((r) => r.section === 'metrics')).toEqual([
      { section: 'metrics', key: 'auc', a: 0.93, b: 0.95, delta: 0.02, same: false },
      { section: 'metrics', key: 'f1', a: 0.78, b: 0.74, delta: -0.04, same: false },
    ]);
    expect(c.rows.find((r) => r.key === 'depth')).toEqual({ section: 'params', key: 'depth', a: 6, b: 8, delta: 2, same: false });
    expect(c.rows.find((r) => r.section === 'stage')).toEqual({ section: 'stage', key: 'stage', a: 'Production', b: 'Staging', same: false });
    expect(c.rows.find((r) => r.section === 'artifact')).toMatchObject({ a: 's3://models/churn/1.1.0', b: 's3://models/churn/1.2.0', same: false });
    await expect(reg.compare({ model: 'churn', a: '1.1.0', b: '9.9.9' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds the best version by a metric, highest or lowest, within a stage', async () => {
    expect(await reg.best({ model: 'churn', metric: 'auc' })).toMatchObject({ version: { version: '1.2.0' }, value: 0.95, candidates: 3 });
    expect(await reg.best({ model: 'churn', metric: 'auc', min: true })).toMatchObject({ version: { version: '1.0.0' }, value: 0.88 });
    expect(await reg.best({ model: 'churn', metric: 'f1', stage: 'production' })).toMatchObject({ version: { version: '1.1.0' }, value: 0.78, candidates: 1 });
    await expect(reg.best({ model: 'iris', metric: 'f1' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'No version of iris records metric f1.' });
    const r = await runCli(['best', 'churn', '--metric', 'auc', '--stage', 'Staging'], { cwd: dir });
    expect(r.stdout).toBe('churn 1.2.0 (Staging): auc=0.95 (best of 1)\n');
  });
});

describe('search over a registry too large to keep in memory (more than 2,000 versions)', () => {
  it('answers exactly, keeping only part of it, and the same again in the process and from the on-disk cache', async () => {
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML };
    const expected: string[] = [];
    for (let k = 0; k < 260; k++) {
      const name = `m${String(k).padStart(4, '0')}`;
      files[`registry/${name}/model.yaml`] = modelYaml(name);
      for (let v = 0; v < 10; v++) {
        const stage = (k + v) % 7 === 0 ? 'Production' : 'None';
        const auc = (k * 10 + v) / 10000;
        files[`registry/${name}/versions/1.${v}.0.yaml`] = version(name, `1.${v}.0`, stage, '2024-01-01T00:00:00Z', `metrics:\n  auc: ${auc}\n`);
        if (stage === 'Production' && auc > 0.1) expected.push(`${name}@1.${v}.0`);
      }
    }
    const big = await makeRepo(files);
    const query = { filter: 'version.stage == "Production" && version.metrics.auc > 0.1', orderBy: 'metrics.auc' };
    const first = await openRegistry({ dir: big, identity: ADA, env: {} });
    expect(ids(await first.search(query))).toEqual(expected);
    expect(ids(await first.search(query))).toEqual(expected);
    // Every folder is in the on-disk cache now; a new process answers from it.
    const models = join(big, '.git', 'modelreg', 'cache', 'models-v1');
    const cached = readdirSync(models).filter((d) => /^[0-9a-f]{2}$/.test(d)).reduce((n, d) => n + readdirSync(join(models, d)).length, 0);
    expect(cached).toBe(260);
    const later = await openRegistry({ dir: big, identity: ADA, env: {} });
    const r = await later.search({ ...query, desc: true, limit: 2 });
    expect(ids(r)).toEqual(expected.slice(-2).reverse());
    expect(r.total).toBe(expected.length);
  }, 120_000);
});
