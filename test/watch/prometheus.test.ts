/**
 * `modelreg watch` against a real Prometheus (Debian's `prometheus` package; .ci/run installs
 * it): one Prometheus for the file, on 127.0.0.1 with a free port and a temporary TSDB,
 * scraping every second a tiny exporter the test controls. A degrading metric makes watch roll
 * back, a healthy one does not, a missing series is inconclusive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanup, commitCount, git, gitLog, headCommit, runCli, tempDir } from '../helpers/repo.js';
import { monitoredRegistry, watchCli } from './helpers.js';

/** Skipped only outside CI when Prometheus is not installed; in CI (.ci/run installs it) a missing one fails. */
const HAVE_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0 || !!process.env.CI;

/** What the exporter reports: model_error_ratio{model="churn"}. */
let errorRatio = 0.01;
let exporter: Server;
let prometheus: ChildProcess | undefined;
let address = '';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function promQuery(q: string): Promise<Array<{ value: [number, string] }>> {
  const res = await fetch(`${address}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result;
}

/** Polls Prometheus' HTTP API until `ok` holds (a condition, not a fixed sleep). */
async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ok()) return;
    } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`Prometheus: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sets the exported value and waits until Prometheus has scraped it. */
async function exportValue(v: number): Promise<void> {
  errorRatio = v;
  await until(`model_error_ratio = ${v}`, async () => Number((await promQuery('model_error_ratio{model="churn"}'))[0]?.value[1]) === v);
}

beforeAll(async () => {
  if (!HAVE_PROMETHEUS) return;
  exporter = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(`# TYPE model_error_ratio gauge\nmodel_error_ratio{model="churn"} ${errorRatio}\n`);
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  const dir = await tempDir('mrprom-');
  await writeFile(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: models\n    static_configs:\n      - targets: ["${target}"]\n`);
  const port = await freePort();
  address = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: 'ignore' });
  await until('the exporter target to be up', async () => {
    const res = await fetch(`${address}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: Array<{ health: string }> } };
    return body.data.activeTargets.some((t) => t.health === 'up');
  });
  await exportValue(0.01);
}, 90_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
  await cleanup();
});

const monitor = () => `interval: 1s
count: 2
metrics:
  - name: error_rate
    prometheus: { address: "${address}", query: 'max(model_error_ratio{model="{{model}}"})' }
    successCondition: result < 0.05
`;

describe.skipIf(!HAVE_PROMETHEUS)('watch with a real Prometheus', () => {
  it('healthy: exit 0, no commit', async () => {
    const dir = await monitoredRegistry(monitor());
    await exportValue(0.01);
    const before = commitCount(dir);
    const r = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('error_rate (prometheus): successful — 0.01, 0.01');
    expect(commitCount(dir)).toBe(before);
  }, 60_000);

  it('degrading: rolls back with a real revert commit, the analysis file and the analysis.failed event', async () => {
    const dir = await monitoredRegistry(monitor());
    await exportValue(0.3);
    const tip = headCommit(dir);
    const r = await watchCli(dir, ['models:/churn/Production', '--once', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ phase: 'Failed', action: 'rolled-back', restored: '1.0.0' });
    expect(out.analysis.metrics[0].measurements.map((m: { value: number; phase: string }) => [m.value, m.phase])).toEqual([[0.3, 'Failed'], [0.3, 'Failed']]);
    // git itself shows the revert, with the analysis file in the same commit.
    expect(headCommit(dir, 'HEAD~1')).toBe(tip);
    expect(gitLog(dir)[0].subject).toBe('Revert "promote churn 2.0.0: None -> Production"');
    const body = git(dir, ['log', '-1', '--format=%B']).stdout;
    expect(body).toMatch(/This reverts commit [0-9a-f]{40}\./);
    expect(body).toContain('- error_rate = 0.3 at ');
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD']).stdout).toContain(out.file);
    expect(git(dir, ['cat-file', '-e', `HEAD:${out.file}`]).code).toBe(0);
    const ev = await runCli(['events', '--type', 'analysis.failed'], { cwd: dir });
    expect(JSON.parse(ev.stdout.trim())).toMatchObject({ type: 'dev.modelreg.analysis.failed', subject: 'models/churn/2.0.0', data: { action: 'rolled-back', analysis: out.file } });
  }, 60_000);

  it('a missing series is inconclusive: exit 75, no commit', async () => {
    const dir = await monitoredRegistry(monitor(), ['fraud']); // the exporter knows only churn
    const before = commitCount(dir);
    const r = await watchCli(dir, ['models:/fraud/Production', '--once']);
    expect(r.code).toBe(75);
    expect(r.stdout).toContain('returned no series');
    expect(commitCount(dir)).toBe(before);
  }, 60_000);
});
