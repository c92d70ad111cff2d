/**
 * Renaming and deleting a whole model (MLflow's registered-models/rename and /delete; the CLI's
 * `model rename` / `model delete`): one shared operation, one commit with trailers; refused
 * with the reason while a version holds a protected stage (403 / exit 1, nothing written);
 * a missing model is 404 / exit 4; and `check --base` accepts what the operation wrote.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ADA, commitCount, gitLog, gitStatus, headCommit, listTree, runCli } from '../helpers/repo.js';
import { TOKENS, call, expectError, get, seeded, serve, tokenFile } from './helpers.js';

const auth = { Authorization: `Bearer ${TOKENS.ada}` };

describe('registered-models/rename and /delete over HTTP', () => {
  it('model-versions/create for a model that does not exist is 404 RESOURCE_DOES_NOT_EXIST, as MLflow answers, and writes nothing', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const n = commitCount(dir);
    const r = await call(s, 'POST', 'model-versions/create', { name: 'nosuch', source: 's3://x' }, auth);
    expectError(r, 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(r.body.message).toMatch(/nosuch/);
    expect(commitCount(dir)).toBe(n);
    expectError(await get(s, 'registered-models/get', { name: 'nosuch' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('rename: one commit moving the folder, every file names the new model; the old name is gone, numbers and aliases kept', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const before = headCommit(dir);
    const r = await call(s, 'POST', 'registered-models/rename', { name: 'fraud/scorer', new_name: 'risk-scorer' }, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.registered_model).toMatchObject({ name: 'risk-scorer', latest_versions: [{ name: 'risk-scorer', version: '1', current_stage: 'Staging' }] });
    const [c] = gitLog(dir);
    expect(c.parents).toEqual([before]);
    expect(c).toMatchObject({ subject: 'rename model fraud/scorer to risk-scorer', authorEmail: ADA.email });
    expect(c.trailers).toMatchObject({ 'Modelreg-Action': 'rename-model', 'Modelreg-Model': 'fraud/scorer', 'Modelreg-To-Model': 'risk-scorer' });
    expect(gitStatus(dir)).toBe('');
    const files = (await listTree(dir, { skipGit: true })).filter((f) => f.startsWith('registry/'));
    expect(files.filter((f) => /fraud|risk/.test(f) && !f.endsWith('/'))).toEqual(['registry/risk-scorer/model.yaml', 'registry/risk-scorer/versions/1.0.0.yaml']);
    // Out of the namespace: the editor's schema hint is one folder shorter.
    expect((await readFile(join(dir, 'registry/risk-scorer/versions/1.0.0.yaml'), 'utf8')).split('\n')[0]).toBe('# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json');
    expectError(await get(s, 'registered-models/get', { name: 'fraud/scorer' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    // The registry reads back clean: names inside match the folder, the schema hint moved with the file.
    const reg = await openRegistry({ dir, env: {} });
    expect(await reg.show({ model: 'risk-scorer', version: '1.0.0' })).toMatchObject({ model: 'risk-scorer', version: '1.0.0', number: 1, stage: 'Staging' });
    const check = await runCli(['check', '--base', before], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('rename onto an existing name is 400 RESOURCE_ALREADY_EXISTS; a bad new name is 400; a missing model is 404; nothing written', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const n = commitCount(dir);
    expectError(await call(s, 'POST', 'registered-models/rename', { name: 'iris', new_name: 'Churn' }, auth), 400, 'RESOURCE_ALREADY_EXISTS');
    expectError(await call(s, 'POST', 'registered-models/rename', { name: 'iris', new_name: '../etc' }, auth), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'registered-models/rename', { name: 'nosuch', new_name: 'x' }, auth), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call(s, 'DELETE', 'registered-models/delete', { name: 'nosuch' }, auth), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(commitCount(dir)).toBe(n);
  });

  it('a model with a version in a protected stage (Production is exclusive) is neither renamed nor deleted: 403 with the reason, no commit', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const n = commitCount(dir);
    const r = await call(s, 'POST', 'registered-models/rename', { name: 'churn', new_name: 'churn2' }, auth);
    expectError(r, 403, 'PERMISSION_DENIED');
    expect(r.body.message).toMatch(/model churn cannot be renamed to churn2: protected-stage expected no version in a protected stage \(Production\), got 1\.1\.0 is in Production/);
    const d = await call(s, 'DELETE', 'registered-models/delete', { name: 'churn' }, auth);
    expectError(d, 403, 'PERMISSION_DENIED');
    expect(d.body.message).toMatch(/cannot be deleted.*1\.1\.0 is in Production/);
    expect(commitCount(dir)).toBe(n);
    expect(gitStatus(dir)).toBe('');
    expect((await get(s, 'registered-models/get', { name: 'churn' })).status).toBe(200);
  });

  it('delete: one commit removing the folder; the model answers 404 after', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const before = headCommit(dir);
    const r = await call(s, 'DELETE', 'registered-models/delete', { name: 'iris' }, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({});
    const [c] = gitLog(dir);
    expect(c.parents).toEqual([before]);
    expect(c.trailers).toMatchObject({ 'Modelreg-Action': 'delete-model', 'Modelreg-Model': 'iris' });
    expect((await listTree(dir, { skipGit: true })).filter((f) => f.includes('iris'))).toEqual([]);
    expectError(await get(s, 'registered-models/get', { name: 'iris' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const check = await runCli(['check', '--base', before], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});

describe('modelreg model rename / delete (the CLI, the same operation)', () => {
  it('renames and deletes with one commit each; protected → exit 1 and no commit; missing → exit 4', async () => {
    const { dir } = await seeded();
    const n = commitCount(dir);
    const denied = await runCli(['model', 'rename', 'churn', 'churn2'], { cwd: dir });
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stderr).toMatch(/1\.1\.0 is in Production/);
    const gone = await runCli(['model', 'delete', 'nosuch'], { cwd: dir });
    expect(gone.code, gone.stderr).toBe(4);
    expect(commitCount(dir)).toBe(n);
    const ok = await runCli(['model', 'rename', 'iris', 'iris-classifier'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Renamed iris to iris-classifier \(1 version\) in [0-9a-f]{12}/);
    expect(gitLog(dir)[0].trailers).toMatchObject({ 'Modelreg-Action': 'rename-model', 'Modelreg-To-Model': 'iris-classifier' });
    const del = await runCli(['model', 'delete', 'iris-classifier', '--json'], { cwd: dir });
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toMatchObject({ model: 'iris-classifier', versions: 1 });
    expect(commitCount(dir)).toBe(n + 2);
    expect(gitStatus(dir)).toBe('');
  });
});
