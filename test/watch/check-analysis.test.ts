/**
 * `check` validates the analysis files `modelreg watch` records (analysis/<model>/<version>/<time>.yaml):
 * a damaged or misplaced one gives no `analysis.failed` event, so check is where it shows, with
 * file, line and field; `check --base` checks the ones a pull request adds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry, openRegistry } from '../../src/index.js';
import { ADA, cleanup, fixedClock, git, headCommit, runCli, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

const clock = fixedClock('2026-03-01T09:00:00Z');

const analysis = (over: Record<string, string> = {}) => {
  const f = { model: 'churn', version: '1.0.0', phase: 'Failed', ...over };
  return `apiVersion: modelreg/v1
kind: Analysis
model: ${f.model}
version: ${f.version}
stage: Production
phase: ${f.phase}
startedAt: 2026-03-01T10:00:00Z
finishedAt: 2026-03-01T10:00:03Z
onFailure: alert
action: alerted
metrics:
  - name: error_rate
    provider: http
    phase: Failed
    measurements:
      - at: 2026-03-01T10:00:01Z
        phase: Failed
        value: 0.2
`;
};

async function registry(prefix: string): Promise<string> {
  const d = join(await tempDir(prefix), 'reg');
  await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
  const r = await openRegistry({ dir: d, identity: ADA, now: clock.now });
  await r.register({ model: 'churn', artifact: 's3://m/churn' });
  return d;
}

async function put(d: string, path: string, text: string): Promise<void> {
  await mkdir(join(d, path, '..'), { recursive: true });
  await writeFile(join(d, path), text);
}

describe('check validates analysis files', () => {
  it('passes a valid one; reports schema errors, a misplaced file and an unknown model with file, line and field', async () => {
    const d = await registry('mranalysis-check-');
    await put(d, 'analysis/churn/1.0.0/20260301T100003Z.yaml', analysis());
    expect((await runCli(['check'], { cwd: d })).code).toBe(0);
    await put(d, 'analysis/churn/1.0.0/20260301T110000Z.yaml', analysis({ phase: 'Broken' }));
    await put(d, 'analysis/churn/2.0.0/20260301T120000Z.yaml', analysis());
    await put(d, 'analysis/iris/1.0.0/20260301T130000Z.yaml', analysis({ model: 'iris' }));
    await put(d, 'analysis/churn/notes.txt', 'hello');
    const c = await runCli(['--json', 'check'], { cwd: d });
    expect(c.code).toBe(1);
    const problems = JSON.parse(c.stdout).problems.map((p: { file: string; line?: number; field?: string; rule: string; severity: string }) => `${p.file}:${p.line ?? '-'} ${p.field ?? '-'} ${p.rule} ${p.severity}`);
    expect(problems.sort()).toEqual([
      'analysis/churn/1.0.0/20260301T110000Z.yaml:6 phase schema error',
      'analysis/churn/2.0.0/20260301T120000Z.yaml:4 version analysis-path error',
      'analysis/churn/notes.txt:1 - unexpected-file warning',
      'analysis/iris/1.0.0/20260301T130000Z.yaml:3 model analysis-model warning',
    ].sort());
    const text = await runCli(['check'], { cwd: d });
    expect(text.stdout).toContain("analysis/churn/2.0.0/20260301T120000Z.yaml:4:10: version: version '1.0.0' does not match its folder '2.0.0'");
  });

  it('check --base checks the analysis files a pull request adds, and nothing is written', async () => {
    const d = await registry('mranalysis-pr-');
    const base = headCommit(d);
    git(d, ['switch', '-q', '-c', 'pr']);
    await put(d, 'analysis/churn/1.0.0/20260301T100003Z.yaml', analysis());
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'record an analysis by hand']);
    expect((await runCli(['check', '--base', base], { cwd: d })).code).toBe(0);
    await put(d, 'analysis/churn/1.0.0/20260301T110000Z.yaml', analysis({ version: '1.0' }));
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'a damaged analysis']);
    const head = headCommit(d);
    const bad = await runCli(['check', '--base', base], { cwd: d });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/analysis\/churn\/1\.0\.0\/20260301T110000Z\.yaml:4:\d+: version: .*\[schema\]/);
    expect(headCommit(d)).toBe(head);
  });
});
