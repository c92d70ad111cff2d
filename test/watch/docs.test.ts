/**
 * docs/watch.md's examples hold: the Argo Rollouts AnalysisTemplate's `modelreg watch` line runs
 * (in a clone, pushing its rollback to the remote), the Kargo Stage refers to that template
 * with the arguments it needs, and the exit codes are the ones the CLI uses.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WATCH_EXIT_CODES } from '../../src/cli/errors.js';
import { cleanup, git, ROOT, runCli, tempDir } from '../helpers/repo.js';
import { startGitServer } from '../helpers/git-server.js';
import { monitoredRegistry } from './helpers.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => { for (const s of stops) await s(); await cleanup(); });

const doc = readFileSync(join(ROOT, 'docs/watch.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]));
const template = yamlBlocks.find((b) => b.kind === 'AnalysisTemplate');
const stage = yamlBlocks.find((b) => b.kind === 'Stage');

const gitAsync = (cwd: string, args: string[]) => promisify(execFile)('git', args, { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });

/** Words of a shell line: double-quoted strings kept whole. */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

describe('docs/watch.md', () => {
  it("the AnalysisTemplate's watch line rolls back and pushes, from a clone of the registry", async () => {
    const script: string = template.spec.metrics[0].provider.job.spec.template.spec.containers[0].args[0];
    const line = script.split('\n').find((l) => l.includes('npx --yes modelreg watch'))!;
    const values: Record<string, string> = { model: 'churn' };
    for (const a of template.spec.args) if (a.value !== undefined) values[a.name] ??= a.value;
    const argv = words(line.replace(/\{\{args\.(\w+)\}\}/g, (_m, k) => values[k]));
    expect(argv.slice(0, 4)).toEqual(['npx', '--yes', 'modelreg', 'watch']);
    const dir = await monitoredRegistry('interval: 0s\nmetrics:\n  - name: error_rate\n    file: { path: live.json, jsonPath: "$.errors" }\n    successCondition: result < 0.05\n');
    const server = await startGitServer();
    stops.push(() => server.stop());
    const url = await server.createBare('registry');
    // Async: the Git server runs in this process, so a blocking git would wait on itself.
    await gitAsync(dir, ['push', '-q', url, 'main']);
    const remote = join(server.root, 'registry.git');
    const clone = join(await tempDir('mrwatch-clone-'), 'registry');
    await gitAsync(dir, ['clone', '-q', url, clone]);
    await writeFile(join(clone, 'live.json'), '{"errors": 0.4}');
    const r = await runCli(argv.slice(3), { cwd: clone });
    expect(r.stderr).not.toContain('modelreg:');
    expect(r.code).toBe(WATCH_EXIT_CODES.Failed);
    expect(r.stdout).toMatch(/rolled back to 1\.0\.0 in [0-9a-f]{12} on main, pushed/);
    expect(git(clone, ['--git-dir', remote, 'log', '-1', '--format=%s', 'main']).stdout.trim()).toBe('Revert "promote churn 2.0.0: None -> Production"');
  });

  it('the Kargo Stage verifies with that template and gives every argument without a default', () => {
    expect(stage.apiVersion).toBe('kargo.akuity.io/v1alpha1');
    expect(stage.spec.verification.analysisTemplates).toEqual([{ name: template.metadata.name }]);
    const given = stage.spec.verification.args.map((a: { name: string }) => a.name);
    const needed = template.spec.args.filter((a: { value?: string }) => a.value === undefined).map((a: { name: string }) => a.name);
    for (const n of needed) expect(given).toContain(n);
    for (const n of given) expect(template.spec.args.map((a: { name: string }) => a.name)).toContain(n);
  });

  it('documents the exit codes the CLI uses, here and in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const [phase, code] of Object.entries(WATCH_EXIT_CODES)) expect(doc).toMatch(new RegExp(`\\| ${phase.toLowerCase()}[^\\n]*\\| ${code} \\|`));
    expect(readme).toMatch(/\| 75 \| [^\n]*watch/);
  });
});
