/** Helpers of the serve tests: a registry with a few versions, a server on a free port, a tiny MLflow-like client. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/http.js';
import { ADA, CONFIG_YAML, fixedClock, makeRepo, tempDir, type Person } from '../helpers/repo.js';
import { policyYaml } from '../policy/fixtures.js';

const servers: RunningServer[] = [];
afterAll(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

export const TOKENS = {
  ada: 'ada-token-0123456789abcdef',
  bob: 'bob-token-0123456789abcdef',
};

export async function tokenFile(): Promise<string> {
  const file = join(await tempDir('mrserve-tokens-'), 'tokens.yaml');
  await writeFile(file, `tokens:
  - { token: ${TOKENS.ada}, name: Ada Lovelace, email: ada@example.com, groups: [ml-leads] }
  - { token: ${TOKENS.bob}, name: Bob Builder, email: bob@example.com }
`);
  return file;
}

/**
 * churn: 1.0.0 (#1, Archived), 1.1.0 (#2, Production, @champion), 1.2.0 (#3, Staging), 2.0.0 (#4, None);
 * iris: 1.0.0 (#1, None); fraud/scorer 1.0.0 (#1, Staging).
 */
export async function seeded(who: Person = ADA) {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '# Registry\n', 'policies/default.yaml': OPEN_POLICY });
  const clock = fixedClock('2024-03-01T09:00:00Z');
  const reg = await openRegistry({ dir, identity: who, now: clock.now, env: {} });
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) { clock.advance(60_000); await reg.register({ model: 'churn', artifact: `s3://models/churn/${v}`, version: v, runId: `run-${v}`, tags: { team: 'growth' } }); }
  clock.advance(60_000);
  await reg.register({ model: 'churn', artifact: 's3://models/churn/2.0.0', version: '2.0.0' });
  await reg.register({ model: 'iris', artifact: 's3://models/iris/1.0.0', tags: { team: 'research' } });
  await reg.register({ model: 'fraud/scorer', artifact: 's3://models/fraud/1.0.0' });
  for (const [m, v, s] of [['churn', '1.0.0', 'Staging'], ['churn', '1.0.0', 'Production'], ['churn', '1.1.0', 'Staging'], ['churn', '1.1.0', 'Production'], ['churn', '1.2.0', 'Staging'], ['fraud/scorer', '1.0.0', 'Staging']]) {
    clock.advance(60_000);
    await reg.transition({ model: m, version: v, stage: s });
  }
  await reg.alias({ model: 'churn', alias: 'champion', version: '1.1.0' });
  return { dir, reg, clock };
}

/** A policy without approvals, so the seeding needs no second person; Production is exclusive; leaving Production for None is not allowed. */
export const OPEN_POLICY = policyYaml({ rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', when: 'has(version.tags.team)' }, { from: '*', to: 'Archived' }] });

export async function serve(dir: string, opts: ServeOptions = {}): Promise<RunningServer> {
  const s = await startServer({ dir, port: 0, env: {}, onLog: () => undefined, ...opts });
  servers.push(s);
  return s;
}

export interface Reply { status: number; body: any; headers: Headers }

export async function call(s: RunningServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const url = `${s.url}/api/2.0/mlflow/${path}`;
  const init: RequestInit = { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

export const get = (s: RunningServer, path: string, query: Record<string, string | string[]> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return call(s, 'GET', `${path}${q.size ? `?${q}` : ''}`);
};

export function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.body?.error_code }, JSON.stringify(r.body)).toEqual({ status, code });
  expect(typeof r.body.message).toBe('string');
}
