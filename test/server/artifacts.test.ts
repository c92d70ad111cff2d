/**
 * --serve-artifacts: get-download-uri points at the server; the listing and the download are
 * what MLflow's HttpArtifactRepository asks for; every byte is checked against the recorded
 * digest first (a changed file is an error, never bytes); no request names a file-system path.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import type { RunningServer } from '../../src/server/http.js';
import { ADA, CONFIG_YAML, makeRepo, tempDir } from '../helpers/repo.js';
import { expectError, get, serve } from './helpers.js';

let s: RunningServer;
let plain: RunningServer;
let file: string;
const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));

beforeAll(async () => {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n' });
  file = join(await tempDir('mrserve-art-'), 'model.pkl');
  await writeFile(file, bytes);
  const reg = await openRegistry({ dir, identity: ADA, env: {} });
  await reg.register({ model: 'team/churn', artifact: pathToFileURL(file).href, file });
  await reg.register({ model: 'team/churn', artifact: 's3://elsewhere/model.pkl' });
  await reg.register({ model: 'team/churn', artifact: pathToFileURL(file).href });
  s = await serve(dir, { serveArtifacts: true });
  plain = await serve(dir);
});

const artifactUrl = (server: RunningServer, path: string) => `${server.url}/api/2.0/mlflow-artifacts/artifacts${path}`;

describe('--serve-artifacts', () => {
  it('get-download-uri points file:// artifacts at the server; other artifacts keep their URI; without the flag, the recorded URI', async () => {
    expect((await get(s, 'model-versions/get-download-uri', { name: 'team/churn', version: '1' })).body.artifact_uri).toBe(artifactUrl(s, '/team/churn/1'));
    expect((await get(s, 'model-versions/get-download-uri', { name: 'team/churn', version: '2' })).body.artifact_uri).toBe('s3://elsewhere/model.pkl');
    expect((await get(plain, 'model-versions/get-download-uri', { name: 'team/churn', version: '1' })).body.artifact_uri).toBe(pathToFileURL(file).href);
  });

  it('lists and downloads as MLflow\'s HttpArtifactRepository does; the bytes are the recorded ones', async () => {
    // list_artifacts(): GET <head>/mlflow-artifacts/artifacts?path=<tail>
    const list = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts?path=team/churn/1`);
    expect(await list.json()).toEqual({ files: [{ path: 'model.pkl', is_dir: false, file_size: bytes.length }] });
    // _download_file(): GET <artifact_uri>/<file>
    const r = await fetch(artifactUrl(s, '/team/churn/1/model.pkl'));
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('a version without a recorded digest, an s3:// artifact, a wrong file name, traversal: 4xx, no bytes', async () => {
    for (const path of ['/team/churn/3/model.pkl', '/team/churn/2/model.pkl', '/team/churn/1/other.pkl', '/team/churn/1/../../../etc/passwd', '/team/churn/9/model.pkl', '/nope/1/x']) {
      const r = await fetch(artifactUrl(s, path));
      expect([400, 404], path).toContain(r.status);
      expect((await r.json()).error_code, path).toMatch(/RESOURCE_DOES_NOT_EXIST|INVALID_PARAMETER_VALUE/);
    }
    expect((await fetch(artifactUrl(plain, '/team/churn/1/model.pkl'))).status).toBe(404);
    // A raw path (fetch would normalise the dots away).
    const { request } = await import('node:http');
    const raw = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: '/api/2.0/mlflow-artifacts/artifacts/team/churn/1/../../../../etc/passwd' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject).end();
    });
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body).message).toMatch(/\.\. segment/);
  });

  it('a file changed after registration is an error (DATA_LOSS), never its bytes', async () => {
    await writeFile(file, Buffer.concat([bytes.subarray(0, 100), Buffer.from('tampered')]));
    try {
      const r = await fetch(artifactUrl(s, '/team/churn/1/model.pkl'));
      expect(r.status).toBe(500);
      const body = await r.json();
      expect(body.error_code).toBe('DATA_LOSS');
      expect(body.message).toMatch(/digest .* but the registry records sha256:/);
    } finally {
      await writeFile(file, bytes);
    }
    expectError(await get(s, 'registered-models/get', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
