/**
 * A command under a policy without guards or monitors never initialises cel-js or
 * jsonpath-rfc9535 (issue 16: about 4 ms of every write and check); one with them does, and
 * decides the same. A tag or alias write of a plain mapping never initialises the yaml library.
 * Two probes, each able to fail:
 * - the CLI bundle (what a user runs): a copy of dist/cli/modelreg.cjs whose esbuild module
 *   initialiser (`__esm`) reports each module it runs, as /work/trace/inits.sh does;
 * - the library (dist/, unbundled ES modules): a Node resolve hook that reports each module
 *   resolved, around `loadPolicy` of a policy with and without a guard.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADA, CONFIG_YAML, ROOT, baseEnv, homeDir, makeRepo, modelYaml, tempDir, versionYaml } from '../helpers/repo.js';
import { policyYaml } from './fixtures.js';

const CEL = 'node_modules/@marcbachmann/cel-js/';
const JSONPATH = 'node_modules/jsonpath-rfc9535/';

const PLAIN = policyYaml({ rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production' }, { from: '*', to: 'Archived' }] });
const GUARDED = policyYaml({ rules: [{ from: 'None', to: 'Staging', when: 'version.metrics.auc >= 0.9' }, { from: 'Staging', to: 'Production' }, { from: '*', to: 'Archived' }] });
const MONITORED = PLAIN.replace('    exclusive: true\n', '    exclusive: true\n    monitor:\n      metrics:\n        - name: auc_live\n          file: { path: m.json, jsonPath: $.auc }\n          successCondition: result >= 0.9\n');

// The bundle's module initialisers as esbuild writes them (minified whitespace), of ES modules and
// of CommonJS ones (yaml, js-yaml); the probe adds a report to each.
const ESM_HELPER = 'var __esm=(fn,res,err)=>function(){if(err)throw err[0];';
const CJS_HELPER = 'var __commonJS=(cb,mod)=>function(){';
const probe = join(ROOT, 'dist', 'cli', `.lazy-probe-${process.pid}.cjs`);

beforeAll(async () => {
  const bundle = await readFile(join(ROOT, 'dist', 'cli', 'modelreg.cjs'), 'latin1');
  // If esbuild writes its helper differently, this probe must be updated, not skipped.
  expect(bundle.includes(ESM_HELPER) && bundle.includes(CJS_HELPER)).toBe(true);
  const probed = bundle
    .replace(ESM_HELPER, 'var __esm=(fn,res,err)=>function(){if(fn)process.stderr.write("INIT "+Object.getOwnPropertyNames(fn)[0]+"\\n");if(err)throw err[0];')
    .replace(CJS_HELPER, 'var __commonJS=(cb,mod)=>function(){if(!mod)process.stderr.write("INIT "+Object.getOwnPropertyNames(cb)[0]+"\\n");');
  await writeFile(probe, probed, 'latin1');
});
afterAll(async () => {
  await rm(probe, { force: true });
});

async function registry(policy: string): Promise<string> {
  return makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'policies/default.yaml': policy,
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0', 'None', 'metrics:\n  auc: 0.95\n'),
    'registry/churn/versions/1.1.0.yaml': versionYaml('churn', '1.1.0', 'None', 'metrics:\n  auc: 0.5\n'),
  });
}

/** Runs the probed bundle as bin/modelreg.js would: its exit code, output, and the modules it initialised. */
async function run(dir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; inits: string[] }> {
  const script = `const m = require(${JSON.stringify(probe)}); m.main(['node', 'modelreg', ...process.argv.slice(1)]);`;
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args], {
    cwd: dir, encoding: 'utf8',
    env: { ...baseEnv(await homeDir()), GIT_AUTHOR_NAME: ADA.name, GIT_AUTHOR_EMAIL: ADA.email, GIT_AUTHOR_DATE: '2024-03-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-03-01T00:00:00Z' },
  });
  const inits = r.stderr.split('\n').filter((l) => l.startsWith('INIT ')).map((l) => l.slice(5));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('INIT ')).join('\n'), inits };
}

const uses = (inits: string[], prefix: string) => inits.some((m) => m.startsWith(prefix));

describe('the CLI initialises cel-js and jsonpath only for a policy that uses them', () => {
  it('writes, checks and reads under a policy without guards without them', async () => {
    const dir = await registry(PLAIN);
    const commands = [
      ['register', 'churn', '--artifact', 's3://b/x', '--metric', 'auc=0.9'],
      ['transition', 'churn', '1.0.0', 'Staging'],
      ['alias', 'set', 'churn', 'champion', '1.0.0'],
      ['tag', 'set', 'churn', '1.0.0', 'team=ml'],
      ['check', '--base', 'HEAD~1'],
      ['check'],
      ['resolve', 'models:/churn/Staging'],
      ['show', 'churn', '1.0.0'],
      ['search'],
    ];
    for (const args of commands) {
      const r = await run(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      // The probe sees the command's own modules, or it proves nothing.
      expect(r.inits.length, args.join(' ')).toBeGreaterThan(20);
      expect(r.inits.filter((m) => m.startsWith(CEL) || m.startsWith(JSONPATH) || /^dist\/policy\/(cel|monitor)/.test(m)), args.join(' ')).toEqual([]);
    }
  });

  it('initialises cel-js for a guard and decides by it, and jsonpath for a monitor', async () => {
    const dir = await registry(GUARDED);
    const denied = await run(dir, ['transition', 'churn', '1.1.0', 'Staging']);
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toContain('version.metrics.auc >= 0.9');
    expect(uses(denied.inits, CEL)).toBe(true);
    const allowed = await run(dir, ['transition', 'churn', '1.0.0', 'Staging']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(uses(allowed.inits, CEL)).toBe(true);
    expect(uses(allowed.inits, JSONPATH)).toBe(false);
    const checked = await run(dir, ['check', '--base', 'HEAD~1']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(uses(checked.inits, CEL)).toBe(true);
    // A search filter is CEL whatever the policy.
    const plain = await registry(PLAIN);
    const found = await run(plain, ['search', 'version.metrics.auc > 0.9', '--json']);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    expect(uses(found.inits, CEL)).toBe(true);
    const monitored = await registry(MONITORED);
    const r = await run(monitored, ['transition', 'churn', '1.0.0', 'Staging']);
    expect(r.code, r.stderr).toBe(0);
    expect(uses(r.inits, JSONPATH)).toBe(true);
  });
});

describe('tag and alias writes edit their mapping by a line scan', () => {
  it('set and remove tags and aliases without initialising the yaml library, with the lines the Document API writes', async () => {
    const dir = await registry(PLAIN);
    const file = (path: string) => readFile(join(dir, path), 'utf8');
    const version = await file('registry/churn/versions/1.0.0.yaml');
    const model = await file('registry/churn/model.yaml');
    const steps: Array<[string[], string, string]> = [
      [['tag', 'set', 'churn', '1.0.0', 'team=ml', 'n=1.0'], 'registry/churn/versions/1.0.0.yaml', `${version}tags:\n  team: ml\n  n: "1.0"\n`],
      [['tag', 'set', 'churn', '1.0.0', 'team=growth'], 'registry/churn/versions/1.0.0.yaml', `${version}tags:\n  team: growth\n  n: "1.0"\n`],
      [['tag', 'delete', 'churn', '1.0.0', 'n'], 'registry/churn/versions/1.0.0.yaml', `${version}tags:\n  team: growth\n`],
      [['tag', 'delete', 'churn', '1.0.0', 'team'], 'registry/churn/versions/1.0.0.yaml', version],
      [['alias', 'set', 'churn', 'champion', '1.0.0'], 'registry/churn/model.yaml', `${model}aliases:\n  champion: 1.0.0\n`],
      [['alias', 'set', 'churn', 'challenger', '1.1.0'], 'registry/churn/model.yaml', `${model}aliases:\n  champion: 1.0.0\n  challenger: 1.1.0\n`],
      [['alias', 'delete', 'churn', 'champion'], 'registry/churn/model.yaml', `${model}aliases:\n  challenger: 1.1.0\n`],
      [['alias', 'delete', 'churn', 'challenger'], 'registry/churn/model.yaml', model],
    ];
    for (const [args, path, want] of steps) {
      const r = await run(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.inits.length, args.join(' ')).toBeGreaterThan(20);
      expect(uses(r.inits, 'node_modules/yaml/'), args.join(' ')).toBe(false);
      expect(await file(path), args.join(' ')).toBe(want);
    }
    // A comment in the mapping is the Document API's to keep: the yaml library edits that file.
    await writeFile(join(dir, 'registry/churn/versions/1.1.0.yaml'), `${await file('registry/churn/versions/1.1.0.yaml')}tags:\n  team: ml # owner\n`);
    spawnSync('git', ['commit', '-qam', 'a comment'], { cwd: dir });
    const commented = await run(dir, ['tag', 'set', 'churn', '1.1.0', 'env=prod']);
    expect(commented.code, commented.stderr).toBe(0);
    expect(uses(commented.inits, 'node_modules/yaml/')).toBe(true);
    expect(await file('registry/churn/versions/1.1.0.yaml')).toContain('tags:\n  team: ml # owner\n  env: prod\n');
  });
});

describe('check --base takes an unchanged policy from the cache', () => {
  it('reports its warnings at their lines as a cold check does, without parsing it again', async () => {
    const dir = await registry(PLAIN.replace('stages:\n', 'groups:\n  leads: [alice]\nstages:\n'));
    const registered = await run(dir, ['register', 'churn', '--artifact', 's3://b/x', '--metric', 'auc=0.9']);
    expect(registered.code, registered.stderr).toBe(0);
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    const cold = await run(dir, ['check', '--base', 'HEAD~1', '--format', 'json']);
    const cached = await run(dir, ['check', '--base', 'HEAD~1', '--format', 'json']);
    expect(cold.code, cold.stderr).toBe(0);
    expect(cached.stdout).toEqual(cold.stdout);
    const problems = JSON.parse(cold.stdout).problems as Array<{ rule: string; file: string; line: number }>;
    expect(problems).toEqual([expect.objectContaining({ rule: 'group-member', file: 'policies/default.yaml', line: 5 })]);
    // The cold check parsed the policy, and again with the yaml library for its warning's line; the cached one parsed nothing.
    expect(uses(cold.inits, 'node_modules/yaml/')).toBe(true);
    expect(uses(cached.inits, 'node_modules/yaml/') || uses(cached.inits, 'node_modules/js-yaml/')).toBe(false);
  });
});

describe('the library loads the CEL and monitor modules only for a policy that uses them', () => {
  /** Loads a policy through dist/ in a fresh process; the modules resolved before and after. */
  async function load(policy: string): Promise<{ ok: boolean; before: string[]; after: string[] }> {
    const dir = await tempDir('mrlazy-');
    const hooks = join(dir, 'hooks.mjs');
    await writeFile(hooks, `import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, 'RESOLVED ' + r.url + '\\n'); return r; }\n`);
    const main = join(dir, 'main.mjs');
    await writeFile(main, [
      `import { register } from 'node:module';`,
      `import { writeSync } from 'node:fs';`,
      `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
      `const { loadPolicy } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'policy', 'index.js')).href)});`,
      `writeSync(2, 'LOADING\\n');`,
      `const { policy, issues } = await loadPolicy(${JSON.stringify(policy)}, 'policies/default.yaml');`,
      `writeSync(2, 'LOADED ' + (policy !== undefined && issues.length === 0) + '\\n');`,
    ].join('\n'));
    const r = spawnSync(process.execPath, [main], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const at = lines.indexOf('LOADING');
    const urls = (part: string[]) => part.filter((l) => l.startsWith('RESOLVED ')).map((l) => l.slice(9));
    return { ok: lines.includes('LOADED true'), before: urls(lines.slice(0, at)), after: urls(lines.slice(at)) };
  }
  const engine = (url: string) => /@marcbachmann\/cel-js|jsonpath-rfc9535|\/dist\/policy\/(cel|monitor)\.js$/.test(url);

  it('resolves neither for a policy without guards, and each for a policy that needs it', async () => {
    const plain = await load(PLAIN);
    expect(plain.ok).toBe(true);
    expect(plain.before.some((u) => u.endsWith('/dist/policy/load.js'))).toBe(true);
    expect([...plain.before, ...plain.after].filter(engine)).toEqual([]);
    const guarded = await load(GUARDED);
    expect(guarded.ok).toBe(true);
    expect(guarded.before.filter(engine)).toEqual([]);
    expect(guarded.after.some((u) => u.endsWith('/dist/policy/cel.js'))).toBe(true);
    expect(guarded.after.some((u) => u.includes('jsonpath-rfc9535'))).toBe(false);
    const monitored = await load(MONITORED);
    expect(monitored.ok).toBe(true);
    expect(monitored.after.some((u) => u.includes('jsonpath-rfc9535'))).toBe(true);
  });
});
