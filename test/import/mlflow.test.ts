/**
 * `import mlflow` and `export mlflow` against a local server answering MLflow's documented
 * REST responses: paging, one commit per version in registration order, stages and aliases
 * under the registry's policy, reruns that add only what is new, and MLflow's errors.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { commitCount, gitLog, gitStatus, runCli } from '../helpers/repo.js';
import { startMlflow, type FakeMlflow, type FakeModel, type FakeVersion } from './mlflow-server.js';
import { prodRegistry } from './fixtures.js';
import { policyYaml } from '../policy/fixtures.js';

/** The default stages, and every move a migration makes allowed (a team's migration policy). */
const MIGRATION_POLICY = policyYaml({ rules: [{ from: '*', to: '*' }] });

const T0 = 1_704_067_200_000;
const v = (name: string, n: number, stage: string, extra: Partial<FakeVersion> = {}): FakeVersion => ({
  name, version: String(n), creation_timestamp: T0 + n * 60_000, current_stage: stage, source: `s3://mlflow/${name}/${n}/model`,
  run_id: `run${n}${name}`, status: 'READY', user_id: 'ada@example.com', ...extra,
});

function registry(): { models: FakeModel[]; versions: FakeVersion[] } {
  return {
    models: [
      { name: 'churn', creation_timestamp: T0, description: 'Churn classifier', tags: [{ key: 'team', value: 'growth' }], aliases: [{ alias: 'champion', version: '2' }] },
      { name: 'iris', creation_timestamp: T0 },
      { name: 'fraud detector', creation_timestamp: T0 },
    ],
    versions: [
      v('iris', 2, 'Staging'), v('churn', 3, 'None', { description: 'retrained on March data' }), v('churn', 1, 'Archived'),
      v('churn', 2, 'Production', { tags: [{ key: 'dataset', value: 'feb' }, { key: 'bad key!', value: 'x' }] }), v('iris', 1, 'None'),
    ],
  };
}

let server: FakeMlflow | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

const versionFile = async (dir: string, model: string, ver: string) => parse(await readFile(join(dir, 'registry', model, 'versions', `${ver}.yaml`), 'utf8'));

describe('import mlflow', () => {
  it('migrates every model and version in registration order, one commit per version, following every page', async () => {
    const r0 = registry();
    server = await startMlflow(r0.models, r0.versions, 2);
    const prod = await prodRegistry(MIGRATION_POLICY);
    const before = commitCount(prod);
    const r = await runCli(['--json', 'import', 'mlflow', '--registry-uri', server.url], { cwd: prod });
    const out = JSON.parse(r.stdout);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1); // "fraud detector" is not a valid name here: reported, the rest imported
    expect(out.models.find((m: { model: string }) => m.model === 'fraud detector').error).toMatch(/not a valid modelreg name/);
    // Paging: two pages of models (cap 2), two of churn's three versions.
    expect(server.requests.filter((q) => q.path === 'registered-models/search').map((q) => q.query.page_token ?? '')).toHaveLength(2);
    expect(server.requests.filter((q) => q.path === 'model-versions/search' && q.query.filter === "name='churn'")).toHaveLength(2);
    const registers = gitLog(prod).filter((c) => c.trailers['Modelreg-Action'] === 'register').map((c) => c.subject).reverse();
    expect(registers).toEqual(['register churn 1.0.0', 'register churn 2.0.0', 'register churn 3.0.0', 'register iris 1.0.0', 'register iris 2.0.0']);
    const churn2 = await versionFile(prod, 'churn', '2.0.0');
    expect(churn2).toMatchObject({ stage: 'Production', artifact: { uri: 's3://mlflow/churn/2/model' }, lineage: { run: { id: 'run2churn' } } });
    expect(churn2.tags).toEqual({ 'mlflow.version': '2', 'mlflow.created': '2024-01-01T00:02:00.000Z', 'mlflow.user_id': 'ada@example.com', dataset: 'feb', 'mlflow.tag.bad_key_': 'x' });
    expect((await versionFile(prod, 'churn', '1.0.0')).stage).toBe('Archived');
    expect((await versionFile(prod, 'churn', '3.0.0')).description).toBe('retrained on March data');
    expect((await versionFile(prod, 'iris', '2.0.0')).stage).toBe('Staging');
    const model = parse(await readFile(join(prod, 'registry/churn/model.yaml'), 'utf8'));
    expect(model).toMatchObject({ description: 'Churn classifier', tags: { team: 'growth' }, aliases: { champion: '2.0.0' } });
    // 5 registrations + churn tags + 3 stage moves + 1 alias.
    expect(commitCount(prod)).toBe(before + 10);
    expect(gitStatus(prod)).toBe('');
    expect((await runCli(['check'], { cwd: prod })).code).toBe(0);
  });

  it('is idempotent and resumable: a rerun adds only what is new', async () => {
    const r0 = registry();
    server = await startMlflow(r0.models.slice(0, 2), r0.versions);
    const prod = await prodRegistry(MIGRATION_POLICY);
    expect((await runCli(['import', 'mlflow', '--registry-uri', server.url], { cwd: prod })).code).toBe(0);
    const n = commitCount(prod);
    const again = await runCli(['import', 'mlflow', '--registry-uri', server.url], { cwd: prod });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/churn: 0 version\(s\) imported, 3 already here/);
    expect(commitCount(prod)).toBe(n);
    server.versions.push(v('churn', 4, 'Staging'));
    const more = await runCli(['import', 'mlflow', '--registry-uri', server.url, '--model', 'churn'], { cwd: prod });
    expect(more.code).toBe(0);
    expect(commitCount(prod)).toBe(n + 2); // register 4.0.0, then None -> Staging
    expect((await versionFile(prod, 'churn', '4.0.0')).stage).toBe('Staging');
  });

  it('under a policy that refuses a stage, reports the move as not applied (exit 1) and keeps the versions', async () => {
    const r0 = registry();
    server = await startMlflow(r0.models.slice(0, 1), r0.versions);
    const prod = await prodRegistry(); // default policy: None -> Production has no rule
    const r = await runCli(['import', 'mlflow', '--registry-uri', server.url], { cwd: prod });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/churn 2\.0\.0 -> Production not applied: .*None/);
    expect((await versionFile(prod, 'churn', '2.0.0')).stage).toBe('None');
    expect((await versionFile(prod, 'churn', '1.0.0')).stage).toBe('Archived');
  });

  it('a version number already taken by a version not from MLflow is a conflict (exit 3)', async () => {
    const r0 = registry();
    server = await startMlflow(r0.models.slice(1, 2), r0.versions);
    const prod = await prodRegistry(MIGRATION_POLICY);
    expect((await runCli(['register', 'iris', '--artifact', 's3://other', '--version', '1.0.0'], { cwd: prod })).code).toBe(0);
    const r = await runCli(['import', 'mlflow', '--registry-uri', server.url], { cwd: prod });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/iris 1\.0\.0 is already registered here but was not imported from MLflow version 1/);
  });

  it('turns MLflow errors into named ones: permission denied (1), missing model (4), a failing server (2), no server (2)', async () => {
    server = await startMlflow(registry().models, registry().versions);
    const prod = await prodRegistry(MIGRATION_POLICY);
    server.fail = { path: 'registered-models/search', status: 403, error_code: 'PERMISSION_DENIED', message: 'User ada lacks READ on registered models' };
    const denied = await runCli(['import', 'mlflow', '--registry-uri', server.url], { cwd: prod, env: { MLFLOW_TRACKING_TOKEN: 'secret-token-123' } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/HTTP 403 PERMISSION_DENIED: User ada lacks READ.*MLFLOW_TRACKING_TOKEN/);
    expect(denied.stderr).not.toContain('secret-token-123');
    expect(server.requests.at(-1)).toBeDefined();
    server.fail = undefined;
    const missing = await runCli(['import', 'mlflow', '--registry-uri', server.url, '--model', 'nope'], { cwd: prod });
    expect(missing.code).toBe(4);
    server.fail = { path: 'model-versions/search', status: 500, error_code: 'INTERNAL_ERROR', message: 'database is locked' };
    const broken = await runCli(['import', 'mlflow', '--registry-uri', server.url, '--model', 'iris'], { cwd: prod });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/database is locked/);
    const none = await runCli(['import', 'mlflow', '--registry-uri', 'http://127.0.0.1:9'], { cwd: prod });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Could not reach MLflow/);
    expect((await runCli(['import', 'mlflow', '--registry-uri', 'ftp://x'], { cwd: prod })).code).toBe(2);
  });
});

describe('export mlflow', () => {
  it('mirrors models, versions, stages and aliases, and a rerun adds only what is new', async () => {
    server = await startMlflow([], [], 1);
    const prod = await prodRegistry(MIGRATION_POLICY);
    const cli = (args: string[]) => runCli(args, { cwd: prod });
    expect((await cli(['register', 'churn', '--artifact', 's3://m/churn/1', '--run-id', 'r1', '--description', 'first'])).code).toBe(0);
    expect((await cli(['register', 'churn', '--artifact', 's3://m/churn/2'])).code).toBe(0);
    expect((await cli(['promote', 'churn', '1.1.0', '--to', 'Production'])).code).toBe(0);
    expect((await cli(['alias', 'set', 'churn', 'champion', '1.1.0'])).code).toBe(0);
    const r = await cli(['--json', 'export', 'mlflow', '--registry-uri', server.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).models[0]).toMatchObject({ model: 'churn', created: true, exported: { '1.0.0': '1', '1.1.0': '2' } });
    expect(server.versions.map((x) => [x.version, x.source, x.current_stage, x.tags?.find((t) => t.key === 'modelreg.version')?.value])).toEqual([['1', 's3://m/churn/1', 'None', '1.0.0'], ['2', 's3://m/churn/2', 'Production', '1.1.0']]);
    expect(server.versions[0]).toMatchObject({ run_id: 'r1', description: 'first' });
    expect(server.models[0].aliases).toEqual([{ alias: 'champion', version: '2' }]);
    const posts = server.requests.filter((q) => q.method === 'POST').length;
    const again = await cli(['--json', 'export', 'mlflow', '--registry-uri', server.url]);
    expect(JSON.parse(again.stdout).models[0]).toMatchObject({ created: false, exported: {}, skipped: ['1.0.0', '1.1.0'] });
    expect(server.requests.filter((q) => q.method === 'POST').length).toBe(posts);
    expect((await cli(['register', 'churn', '--artifact', 's3://m/churn/3'])).code).toBe(0);
    const more = await cli(['--json', 'export', 'mlflow', '--registry-uri', server.url]);
    expect(JSON.parse(more.stdout).models[0].exported).toEqual({ '1.2.0': '3' });
  });
});
