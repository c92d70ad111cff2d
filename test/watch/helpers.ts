/** Shared set-up of the watch tests: a registry whose Production stage has a `monitor:`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry, openRegistry } from '../../src/index.js';
import { ADA, fixedClock, git, runCli, tempDir } from '../helpers/repo.js';

/** Stages None, Staging, Production (exclusive, with `monitor`), Archived; any move; free rollbacks. */
export function monitoredPolicy(monitor: string): string {
  return `apiVersion: modelreg/v1
kind: Policy
name: default
stages:
  - name: None
  - name: Staging
  - name: Production
    exclusive: true
    monitor:
${monitor.replace(/^/gm, '      ').trimEnd()}
  - name: Archived
initialStage: None
transitions:
  - from: "*"
    to: "*"
rollback:
  approvals: { min: 0 }
`;
}

/**
 * A registry with churn 1.0.0 (auc 0.90) promoted to Production, then 2.0.0 (auc 0.93)
 * promoted over it (1.0.0 archived): 2.0.0 is the holder, 1.0.0 the baseline.
 */
export async function monitoredRegistry(monitor: string, models = ['churn']): Promise<string> {
  const dir = join(await tempDir('mrwatch-'), 'reg');
  const clock = fixedClock('2026-03-01T09:00:00Z');
  await initRegistry({ dir }, { identity: ADA, now: clock.now });
  await writeFile(join(dir, 'policies', 'default.yaml'), monitoredPolicy(monitor));
  git(dir, ['commit', '-qam', 'policy with a monitor']);
  const reg = await openRegistry({ dir, identity: ADA, now: () => { clock.advance(60_000); return clock.now(); } });
  for (const model of models) {
    await reg.register({ model, artifact: `s3://m/${model}/1`, metrics: { auc: 0.9 } });
    await reg.register({ model, version: '2.0.0', artifact: `s3://m/${model}/2`, metrics: { auc: 0.93 } });
    await reg.transition({ model, version: '1.0.0', stage: 'Production' });
    await reg.transition({ model, version: '2.0.0', stage: 'Production' });
  }
  return dir;
}

export const watchCli = (dir: string, args: string[]) => runCli(['watch', ...args], { cwd: dir, date: `@${Math.floor(Date.now() / 1000)} +0000` });

/** A local HTTP server answering JSON the test sets. */
export async function jsonServer(): Promise<{ url: string; set(body: unknown, status?: number): void; hits: number; close(): Promise<void> }> {
  let body: unknown = {};
  let status = 200;
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set(b, s = 200) { body = b; status = s; },
    get hits() { return state.hits; },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
