/**
 * `modelreg watch` against a local HTTP JSON endpoint and a file (issue 14): the baseline
 * condition, onFailure alert, anti-flapping, a deprecated target, a dry run, bad input. The
 * Prometheus provider is tested against a real Prometheus in prometheus.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ADA, cleanup, commitCount, git, gitLog, headCommit, runCli } from '../helpers/repo.js';
import { jsonServer, monitoredRegistry, watchCli } from './helpers.js';

let server: Awaited<ReturnType<typeof jsonServer>>;
beforeAll(async () => { server = await jsonServer(); });
afterAll(async () => { await server.close(); await cleanup(); });

/** "No worse than the previous version": live auc within 0.02 of the baseline's registered auc. */
const baselineMonitor = (extra = '') => `interval: 0s
count: 2
${extra}metrics:
  - name: auc_live
    http: { url: "URL/{{model}}/{{version}}", jsonPath: "$.auc" }
    successCondition: result >= baseline.metrics.auc - 0.02
`;

const stageOf = async (dir: string, version: string) => /^stage: (\w+)$/m.exec(await readFile(join(dir, 'registry/churn/versions', `${version}.yaml`), 'utf8'))?.[1];

describe('watch with the http provider and the baseline', () => {
  it('is healthy when the live value is no worse than the previous version: exit 0, no commit', async () => {
    const dir = await monitoredRegistry(baselineMonitor().replace('URL', server.url));
    server.set({ auc: 0.89 }); // baseline 1.0.0 has 0.90: 0.89 >= 0.88
    const before = commitCount(dir);
    const hits = server.hits;
    const r = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('churn 2.0.0 in Production: analysis successful');
    expect(server.hits - hits).toBe(2);
    expect(commitCount(dir)).toBe(before);
  });

  it('rolls back when it is worse than the previous version: one revert commit with the analysis, exit 1', async () => {
    const dir = await monitoredRegistry(baselineMonitor().replace('URL', server.url));
    server.set({ auc: 0.8 });
    const dry = await watchCli(dir, ['models:/churn/Production', '--once', '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('would roll back to 1.0.0');
    const tip = headCommit(dir);
    const r = await watchCli(dir, ['models:/churn/Production', '--once', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ phase: 'Failed', action: 'rolled-back', version: '2.0.0', baseline: '1.0.0', restored: '1.0.0' });
    expect(headCommit(dir, 'HEAD~1')).toBe(tip);
    const [log] = gitLog(dir);
    expect(log.subject).toBe('Revert "promote churn 2.0.0: None -> Production"');
    const body = git(dir, ['log', '-1', '--format=%B']).stdout;
    expect(body).toContain('Reason: analysis of churn 2.0.0 in Production failed (auc_live)');
    expect(body).toMatch(/- auc_live = 0\.8 at .*successCondition `result >= baseline\.metrics\.auc - 0\.02` does not hold/);
    expect(body).toContain(`Modelreg-Analysis: ${out.file}`);
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD']).stdout.trim().split('\n').sort()).toEqual([out.file, 'registry/churn/versions/1.0.0.yaml', 'registry/churn/versions/2.0.0.yaml']);
    expect(out.file).toMatch(/^analysis\/churn\/2\.0\.0\/\d{8}T\d{9}Z\.yaml$/);
    expect([await stageOf(dir, '1.0.0'), await stageOf(dir, '2.0.0')]).toEqual(['Production', 'None']);
    expect((await runCli(['check'], { cwd: dir })).code).toBe(0);
    const ev = await runCli(['events', '--type', 'analysis.failed'], { cwd: dir });
    const events = ev.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toEqual([expect.objectContaining({
      type: 'dev.modelreg.analysis.failed', subject: 'models/churn/2.0.0', id: `${headCommit(dir)}:${2}`,
      data: expect.objectContaining({ model: 'churn', version: '2.0.0', stage: 'Production', action: 'rolled-back', restored: '1.0.0', analysis: out.file, reason: 'analysis of churn 2.0.0 in Production failed (auc_live)' }),
    })]);
  });

  it('is inconclusive (exit 75, no commit) when the endpoint errors or the path selects nothing', async () => {
    const dir = await monitoredRegistry(baselineMonitor().replace('URL', server.url));
    const before = commitCount(dir);
    server.set({ error: 'down' }, 503);
    const r = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r.code).toBe(75);
    expect(r.stdout).toContain('analysis inconclusive');
    expect(r.stdout).toContain('answered HTTP 503');
    server.set({ other: 1 });
    const r2 = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r2.code).toBe(75);
    expect(r2.stdout).toContain('$.auc selects nothing');
    expect(commitCount(dir)).toBe(before);
  });
});

describe('watch: alert, anti-flapping, deprecated targets, bad input', () => {
  const fileMonitor = (extra = '') => `interval: 0s
${extra}metrics:
  - name: error_rate
    file: { path: live.json, jsonPath: "$.errors" }
    failureCondition: result > 0.1
`;

  it('onFailure: alert records the analysis and its event, and rolls nothing back', async () => {
    const dir = await monitoredRegistry(fileMonitor('onFailure: alert\n'));
    await writeFile(join(dir, 'live.json'), '{"errors": 0.5}');
    const r = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('record the analysis (onFailure: alert)');
    expect(gitLog(dir)[0].subject).toBe('analysis failed: churn 2.0.0 in Production (alert)');
    const files = git(dir, ['show', '--name-only', '--format=', 'HEAD']).stdout.trim().split('\n');
    expect(files).toEqual([expect.stringMatching(/^analysis\/churn\/2\.0\.0\//)]);
    expect(await stageOf(dir, '2.0.0')).toBe('Production');
    const analysis = await readFile(join(dir, files[0]), 'utf8');
    expect(analysis).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/\.\.\/\.modelreg\/schemas\/analysis\.schema\.json\n/);
    expect(analysis).toContain('action: alerted');
    const ev = await runCli(['events', '--type', 'analysis.*'], { cwd: dir });
    expect(JSON.parse(ev.stdout.trim()).data).toMatchObject({ action: 'alerted', version: '2.0.0' });
  });

  it('refuses more automatic rollbacks than maxRollbacks in the window, and records the analysis', async () => {
    const dir = await monitoredRegistry(fileMonitor('maxRollbacks: { count: 1, window: 1h }\n'));
    await writeFile(join(dir, 'live.json'), '{"errors": 0.5}');
    expect((await watchCli(dir, ['models:/churn/Production', '--once'])).code).toBe(1);
    const first = headCommit(dir);
    // 1.0.0 is back; someone promotes 2.0.0 again, and it degrades again.
    const reg = await openRegistry({ dir, identity: ADA });
    await reg.transition({ model: 'churn', version: '2.0.0', stage: 'Production' });
    const r = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`rollback refused: churn was rolled back automatically 1 time in the last 1h (${first.slice(0, 12)}), the most monitor.maxRollbacks allows`);
    expect(gitLog(dir)[0].subject).toBe('analysis failed: churn 2.0.0 in Production (rollback refused)');
    expect(await stageOf(dir, '2.0.0')).toBe('Production');
  });

  it('never rolls back onto a deprecated version', async () => {
    const dir = await monitoredRegistry(fileMonitor());
    const reg = await openRegistry({ dir, identity: ADA });
    await reg.deprecate({ model: 'churn', version: '1.0.0', reason: 'leaks PII' });
    await writeFile(join(dir, 'live.json'), '{"errors": 0.5}');
    const r = await watchCli(dir, ['models:/churn/Production', '--once', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ action: 'refused' });
    expect(out.refusal).toContain('churn 1.0.0 back in Production, and that version is deprecated (leaks PII)');
    expect(await stageOf(dir, '2.0.0')).toBe('Production');
    expect(await stageOf(dir, '1.0.0')).toBe('Archived');
  });

  it('refuses bad input with exit 2 or 4 and writes nothing', async () => {
    const dir = await monitoredRegistry(fileMonitor());
    const before = commitCount(dir);
    const noMonitor = await watchCli(dir, ['models:/churn/Staging', '--once']);
    expect(noMonitor.code).toBe(2);
    expect(noMonitor.stderr).toContain('Stage Staging of policy \'default\' (policies/default.yaml) has no monitor: section');
    expect((await watchCli(dir, ['models:/churn/2.0.0', '--once'])).code).toBe(2);
    expect((await watchCli(dir, ['models:/nope/Production', '--once'])).code).toBe(4);
    // A policy whose condition does not compile: file, line and field, exit 2.
    const policy = join(dir, 'policies/default.yaml');
    await writeFile(policy, (await readFile(policy, 'utf8')).replace('result > 0.1', 'result >'));
    git(dir, ['commit', '-qam', 'broken condition']);
    const bad = await watchCli(dir, ['models:/churn/Production', '--once']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/policies\/default\.yaml:\d+:\d+.*stages\[2\]\.monitor\.metrics\[0\]\.failureCondition/);
    expect(commitCount(dir)).toBe(before + 1);
  });
});
