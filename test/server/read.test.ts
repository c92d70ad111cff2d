/**
 * `modelreg serve`, reads: every read endpoint of MLflow's Model Registry REST API against the
 * shapes of model_registry.proto, paging, errors, ETags, and a replay of the calls MLflow's
 * Python client makes to resolve models:/ URIs (mlflow/store/artifact/utils/models.py).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/http.js';
import { headCommit } from '../helpers/repo.js';
import { call, expectError, get, seeded, serve } from './helpers.js';

let s: RunningServer;
let dir: string;
beforeAll(async () => {
  ({ dir } = await seeded());
  s = await serve(dir);
});

describe('registered models', () => {
  it('get: MLflow\'s RegisteredModel with latest versions per stage, tags and aliases', async () => {
    const r = await get(s, 'registered-models/get', { name: 'churn' });
    expect(r.status).toBe(200);
    const m = r.body.registered_model;
    expect(m).toMatchObject({ name: 'churn', user_id: 'ada@example.com', tags: [], aliases: [{ alias: 'champion', version: '2' }] });
    expect(typeof m.creation_timestamp).toBe('number');
    expect(m.last_updated_timestamp).toBeGreaterThanOrEqual(m.creation_timestamp);
    expect(m.latest_versions.map((v: any) => [v.version, v.current_stage])).toEqual([['1', 'Archived'], ['2', 'Production'], ['3', 'Staging'], ['4', 'None']]);
  });

  it('get: a model name matches case-insensitively; an unknown one is RESOURCE_DOES_NOT_EXIST (404); a bad one 400', async () => {
    expect((await get(s, 'registered-models/get', { name: 'CHURN' })).body.registered_model.name).toBe('churn');
    expectError(await get(s, 'registered-models/get', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get(s, 'registered-models/get', { name: '../etc' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(s, 'registered-models/get', {}), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('search: filter on name with =, LIKE, ILIKE; order_by; max_results and page_token', async () => {
    const names = async (q: Record<string, string | string[]>) => (await get(s, 'registered-models/search', q)).body.registered_models?.map((m: any) => m.name) ?? [];
    expect(await names({})).toEqual(['churn', 'fraud/scorer', 'iris']);
    expect(await names({ filter: "name = 'iris'" })).toEqual(['iris']);
    expect(await names({ filter: "name LIKE '%r%'" })).toEqual(['churn', 'fraud/scorer', 'iris']);
    expect(await names({ filter: "name LIKE 'C%'" })).toEqual([]);
    expect(await names({ filter: "name ILIKE 'C%'" })).toEqual(['churn']);
    expect(await names({ order_by: 'name DESC' })).toEqual(['iris', 'fraud/scorer', 'churn']);
    const p1 = await get(s, 'registered-models/search', { max_results: '2' });
    expect(p1.body.registered_models.map((m: any) => m.name)).toEqual(['churn', 'fraud/scorer']);
    expect(typeof p1.body.next_page_token).toBe('string');
    const p2 = await get(s, 'registered-models/search', { max_results: '2', page_token: p1.body.next_page_token });
    expect(p2.body.registered_models.map((m: any) => m.name)).toEqual(['iris']);
    expect(p2.body.next_page_token).toBeUndefined();
    expectError(await get(s, 'registered-models/search', { filter: "name ~ 'x'" }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(s, 'registered-models/search', { page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(s, 'registered-models/search', { max_results: '0' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(s, 'registered-models/search', { order_by: 'colour' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('get-latest-versions answers POST (JSON body) and GET (repeated stages), the highest number per stage', async () => {
    const post = await call(s, 'POST', 'registered-models/get-latest-versions', { name: 'churn', stages: ['Production', 'staging'] });
    expect(post.body.model_versions.map((v: any) => v.version)).toEqual(['2', '3']);
    const viaGet = await get(s, 'registered-models/get-latest-versions', { name: 'churn', stages: ['Production', 'Staging'] });
    expect(viaGet.body).toEqual(post.body);
    const all = await call(s, 'POST', 'registered-models/get-latest-versions', { name: 'churn' });
    expect(all.body.model_versions.map((v: any) => v.version)).toEqual(['1', '2', '3', '4']);
    expect((await call(s, 'POST', 'registered-models/get-latest-versions', { name: 'churn', stages: ['Nope'] })).body).toEqual({ model_versions: [] });
  });

  it('a "stage" that is a semantic version names that version (models:/churn/1.2.0)', async () => {
    const r = await call(s, 'POST', 'registered-models/get-latest-versions', { name: 'churn', stages: ['1.2.0'] });
    expect(r.body.model_versions.map((v: any) => [v.version, v.tags])).toEqual([['3', [{ key: 'team', value: 'growth' }, { key: 'modelreg.version', value: '1.2.0' }]]]);
  });

  it('alias GET: the version an alias names; an unknown alias is 404', async () => {
    const r = await get(s, 'registered-models/alias', { name: 'churn', alias: 'champion' });
    expect(r.body.model_version).toMatchObject({ name: 'churn', version: '2', current_stage: 'Production', aliases: ['champion'], source: 's3://models/churn/1.1.0', run_id: 'run-1.1.0', status: 'READY' });
    expectError(await get(s, 'registered-models/alias', { name: 'churn', alias: 'challenger' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('model versions', () => {
  it('get by number or by semantic version; download URI', async () => {
    const a = await get(s, 'model-versions/get', { name: 'churn', version: '3' });
    const b = await get(s, 'model-versions/get', { name: 'churn', version: '1.2.0' });
    expect(a.body).toEqual(b.body);
    expect(a.body.model_version).toMatchObject({ name: 'churn', version: '3', current_stage: 'Staging', source: 's3://models/churn/1.2.0', status: 'READY' });
    expect((await get(s, 'model-versions/get-download-uri', { name: 'churn', version: '4' })).body).toEqual({ artifact_uri: 's3://models/churn/2.0.0' });
    expectError(await get(s, 'model-versions/get', { name: 'churn', version: '9' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get(s, 'model-versions/get', { name: 'churn', version: 'x' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('search: by name, run_id, tags; ordered and paged', async () => {
    const vs = async (q: Record<string, string | string[]>) => (await get(s, 'model-versions/search', q)).body.model_versions?.map((v: any) => `${v.name}#${v.version}`) ?? [];
    expect(await vs({ filter: "name='churn'", order_by: ['version_number DESC'] })).toEqual(['churn#4', 'churn#3', 'churn#2', 'churn#1']);
    expect(await vs({ filter: "run_id = 'run-1.2.0'" })).toEqual(['churn#3']);
    expect(await vs({ filter: "tags.team = 'research'" })).toEqual(['iris#1']);
    expect(await vs({ filter: "name = 'churn' AND tags.`modelreg.version` LIKE '1.%'", order_by: ['version_number'] })).toEqual(['churn#1', 'churn#2', 'churn#3']);
    expect(await vs({ filter: "run_id IN ('run-1.0.0', 'run-1.1.0')", order_by: ['version_number'] })).toEqual(['churn#1', 'churn#2']);
    const p = await get(s, 'model-versions/search', { filter: "name='churn'", order_by: ['version_number'], max_results: '3' });
    expect(p.body.model_versions).toHaveLength(3);
    const p2 = await get(s, 'model-versions/search', { filter: "name='churn'", order_by: ['version_number'], max_results: '3', page_token: p.body.next_page_token });
    expect(p2.body.model_versions.map((v: any) => v.version)).toEqual(['4']);
  });
});

describe('protocol', () => {
  it('the same routes answer under /ajax-api/2.0/mlflow/', async () => {
    const r = await fetch(`${s.url}/ajax-api/2.0/mlflow/registered-models/get?name=iris`);
    expect((await r.json()).registered_model.name).toBe('iris');
  });

  it('an unknown endpoint, or a known path with another method, is ENDPOINT_NOT_FOUND (404): what makes MLflow\'s client fall back from POST to GET', async () => {
    expectError(await call(s, 'POST', 'registered-models/no-such', {}), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await call(s, 'POST', 'registered-models/get', { name: 'churn' }), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await call(s, 'GET', '../../../etc/passwd'), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('every answer names its commit; If-None-Match with the ETag is a 304', async () => {
    const r = await get(s, 'registered-models/get', { name: 'churn' });
    expect(r.headers.get('x-modelreg-commit')).toBe(headCommit(dir));
    const etag = r.headers.get('etag')!;
    expect(etag).toContain(headCommit(dir));
    const again = await fetch(`${s.url}/api/2.0/mlflow/registered-models/get?name=churn`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    const other = await fetch(`${s.url}/api/2.0/mlflow/registered-models/get?name=iris`, { headers: { 'If-None-Match': '"stale"' } });
    expect(other.status).toBe(200);
  });
});

/**
 * What MLflow's Python client does for load_model(uri): models.py parses the URI (an integer
 * suffix is a version, `latest` the highest of get_latest_versions(name, None), anything else
 * a stage: the highest int(version) of get_latest_versions(name, [stage]); `@alias` asks
 * registered-models/alias), then models_artifact_repo.py asks model-versions/get-download-uri.
 * get_latest_versions tries POST, then GET on ENDPOINT_NOT_FOUND.
 */
async function mlflowResolve(server: RunningServer, uri: string): Promise<string> {
  const m = /^models:\/([^@]+?)(?:@([^/]+)|\/([^/]+))$/.exec(uri)!;
  const [, name, alias, suffix] = m;
  const latest = async (stages: string[] | null): Promise<string> => {
    let r = await call(server, 'POST', 'registered-models/get-latest-versions', { name, ...(stages ? { stages } : {}) });
    if (r.status === 404 && r.body.error_code === 'ENDPOINT_NOT_FOUND') r = await get(server, 'registered-models/get-latest-versions', { name, ...(stages ? { stages } : {}) });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    if (!r.body.model_versions?.length) throw new Error(`No versions of model with name '${name}' found`);
    return String(Math.max(...r.body.model_versions.map((v: any) => parseInt(v.version, 10))));
  };
  let version: string;
  if (alias) version = (await get(server, 'registered-models/alias', { name, alias })).body.model_version.version;
  else if (/^\d+$/.test(suffix)) version = suffix;
  else if (suffix.toLowerCase() === 'latest') version = await latest(null);
  else version = await latest([suffix]);
  const d = await get(server, 'model-versions/get-download-uri', { name, version });
  if (d.status !== 200) throw new Error(JSON.stringify(d.body));
  return d.body.artifact_uri;
}

describe('replay of MLflow\'s client resolving models:/ URIs', () => {
  it.each([
    ['models:/churn@champion', 's3://models/churn/1.1.0'],
    ['models:/churn/Production', 's3://models/churn/1.1.0'],
    ['models:/churn/production', 's3://models/churn/1.1.0'],
    ['models:/churn/latest', 's3://models/churn/2.0.0'],
    ['models:/churn/3', 's3://models/churn/1.2.0'],
    ['models:/churn/1.0.0', 's3://models/churn/1.0.0'],
    ['models:/fraud/scorer/Staging', 's3://models/fraud/1.0.0'],
  ])('%s -> %s', async (uri, artifact) => {
    expect(await mlflowResolve(s, uri)).toBe(artifact);
  });

  it('a stage with no version fails as MLflow\'s client fails', async () => {
    await expect(mlflowResolve(s, 'models:/iris/Production')).rejects.toThrow(/No versions of model with name 'iris' found/);
  });
});
