/**
 * register's grouped input (artifact, lineage, newModel) and the flat fields of earlier releases
 * write the same files; the grouped field wins when both are given.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry, openRegistry } from '../../src/index.js';
import { ADA, BOB, cleanup, fixedClock, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

async function registry() {
  const dir = join(await tempDir('mrreginput-'), 'reg');
  await initRegistry({ dir }, { identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
  return { dir, reg: await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-02T00:00:00Z').now }) };
}

const read = (dir: string, path: string) => readFile(join(dir, path), 'utf8');

describe('register input', () => {
  it('grouped and flat fields write the same model and version files', async () => {
    const flat = await registry();
    await flat.reg.register({
      model: 'churn', artifact: 's3://m/1', digest: `sha256:${'a'.repeat(64)}`, size: 12, format: 'onnx',
      runId: 'r1', runUri: 'https://mlflow/r1', experiment: 'exp', sourceRepo: 'https://git/x', sourceCommit: 'abc1234',
      datasets: ['events@v2', 'users'], parent: 'models:/old/1.0.0', owners: [BOB.email], modelDescription: 'Churn', policy: 'default',
      metrics: { auc: '0.91' }, noAutomations: true,
    });
    const grouped = await registry();
    await grouped.reg.register({
      model: 'churn', artifact: { uri: 's3://m/1', digest: `sha256:${'a'.repeat(64)}`, size: 12, format: 'onnx' },
      lineage: { run: { id: 'r1', uri: 'https://mlflow/r1', experiment: 'exp' }, code: { repo: 'https://git/x', commit: 'abc1234' }, datasets: ['events@v2', 'users'], parent: 'models:/old/1.0.0' },
      newModel: { owners: [BOB.email], description: 'Churn', policy: 'default' },
      metrics: { auc: 0.91 }, noAutomations: true,
    });
    for (const f of ['registry/churn/model.yaml', 'registry/churn/versions/1.0.0.yaml']) expect(await read(grouped.dir, f)).toBe(await read(flat.dir, f));
    const v = await read(grouped.dir, 'registry/churn/versions/1.0.0.yaml');
    expect(v).toMatch(/run:\n\s+id: r1/);
    expect(v).toMatch(/- name: events\n\s+version: v2/);
  });

  it('a grouped field wins over its flat twin, and a missing artifact URI is BAD_INPUT', async () => {
    const { dir, reg } = await registry();
    await reg.register({ model: 'm', artifact: { uri: 's3://m/1', format: 'onnx' }, format: 'pickle', noAutomations: true });
    expect(await read(dir, 'registry/m/versions/1.0.0.yaml')).toMatch(/format: onnx/);
    await expect(reg.register({ model: 'm', artifact: { uri: '' } })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
