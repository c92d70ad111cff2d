/**
 * Scenarios run with the built CLI (`node bin/modelreg.js`), as a user would: stdout, stderr,
 * exit codes, and what ends up in the repository.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOB, CONFIG_YAML, commitCount, diffLines, gitFsck, gitLog, gitStatus, headCommit, listTree, makeRepo, modelYaml, runCli, tempDir, versionYaml,
} from '../helpers/repo.js';

const V = (m: string, v: string) => `registry/${m}/versions/${v}.yaml`;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

function expectClean(dir: string) {
  expect(gitStatus(dir)).toBe('');
  const f = gitFsck(dir);
  expect(f.code, f.output).toBe(0);
}

/** A setup step that must succeed. */
async function mustRun(args: string[], opts: Parameters<typeof runCli>[1]) {
  const r = await runCli(args, opts);
  expect(r.code, `modelreg ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** An artifact file outside the repository. */
async function artifact(bytes: Buffer | string, name = 'model.pkl') {
  const dir = await tempDir('mrcore-artifact-');
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, uri: pathToFileURL(path).href, bytes: Buffer.from(bytes) };
}

describe('init', () => {
  it('creates a registry repository with one commit, and a second init adds nothing', async () => {
    const parent = await tempDir();
    const r = await runCli(['init', 'reg'], { cwd: parent });
    expect(r.code).toBe(0);
    const dir = join(parent, 'reg');
    expect(r.stdout).toMatch(new RegExp(`^Created registry in ${dir} \\(modelreg\\.yaml, policies/default\\.yaml, .*\\), commit [0-9a-f]{12}\\n$`));
    expect(r.stderr).toBe('');
    expect(commitCount(dir)).toBe(1);
    expect(gitLog(dir)[0]).toMatchObject({ subject: 'init modelreg registry', trailers: { 'Modelreg-Action': 'init' } });
    for (const f of ['modelreg.yaml', 'policies/default.yaml', 'registry/README.md', '.github/workflows/modelreg.yml', '.modelreg/schemas/version.schema.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expectClean(dir);

    const again = await runCli(['init', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ dir, created: [], newRepository: false });
    expect(commitCount(dir)).toBe(1);

    const check = await runCli(['check'], { cwd: dir });
    expect(check.code).toBe(0);
  });

  it('refuses an existing folder inside another repository and says which one', async () => {
    const outer = await makeRepo({ 'README.md': 'x\n', 'sub/notes.txt': 'y\n' });
    const r = await runCli(['init', 'sub'], { cwd: outer });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is inside the Git repository ${outer}`);
    expect(existsSync(join(outer, 'sub', '.git'))).toBe(false);
    expect(gitStatus(outer)).toBe('');
  });

  it('refuses a new folder inside another repository too, instead of nesting a repository', async () => {
    const outer = await makeRepo({ 'README.md': 'x\n' });
    const r = await runCli(['init', 'sub'], { cwd: outer });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is inside the Git repository ${outer}`);
    expect(existsSync(join(outer, 'sub', '.git'))).toBe(false);
  });
});

describe('register', () => {
  it('--file records the sha256 digest and size of the file; --json gives model, version, stage, commit', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const a = await artifact(Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + 3) % 256)));
    const r = await runCli(['register', 'churn', '--artifact', a.uri, '--file', a.path, '--metric', 'auc=0.91', '--param', 'trees=300', '--param', 'lr=0.01', '--param', 'loss=log',
      '--tag', 'team=growth', '--framework', 'sklearn@1.5.0', '--format', 'pickle', '--dataset', 'customers@2024-03', '--source-commit', 'abc1234', '--json'], { cwd: dir, date: '@1709283600 +0000' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'None', commit: headCommit(dir) });
    expect(out.commit).toMatch(/^[0-9a-f]{40}$/);
    const rec = YAML.parse(await readFile(join(dir, V('churn', '1.0.0')), 'utf8'));
    expect(rec.artifact).toEqual({ uri: a.uri, digest: sha256(a.bytes), size: 70_000, format: 'pickle' });
    expect(rec.metrics).toEqual({ auc: 0.91 });
    expect(rec.params).toEqual({ trees: 300, lr: 0.01, loss: 'log' });
    expect(rec.tags).toEqual({ team: 'growth' });
    expect(rec.framework).toEqual({ name: 'sklearn', version: '1.5.0' });
    expect(rec.lineage).toEqual({ code: { commit: 'abc1234' }, data: [{ name: 'customers', version: '2024-03' }] });
    const log = gitLog(dir);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ subject: 'register churn 1.0.0', authorTime: 1709283600, authorEmail: 'ada@example.com' });
    expect(log[0].trailers).toEqual({ 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0', 'Modelreg-Stage': 'None' });
    expectClean(dir);
  });

  it('prints one line in text mode and bumps with --bump', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const first = await runCli(['register', 'churn', '--artifact', 's3://m/1'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`Registered churn 1.0.0 (None) in ${headCommit(dir).slice(0, 12)} on main\n`);
    const major = await runCli(['register', 'churn', '--artifact', 's3://m/2', '--bump', 'major'], { cwd: dir });
    expect(major.stdout).toBe(`Registered churn 2.0.0 (None) in ${headCommit(dir).slice(0, 12)} on main\n`);
    const patch = await runCli(['register', 'churn', '--artifact', 's3://m/3', '--bump', 'patch', '--json'], { cwd: dir });
    expect(JSON.parse(patch.stdout).version).toBe('2.0.1');
    expect(commitCount(dir)).toBe(4);
    expectClean(dir);
  });

  it('--version registers exactly that version', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const before = commitCount(dir);
    const r = await runCli(['register', 'churn', '--artifact', 's3://m/1', '--version', '2.5.0', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'churn', version: '2.5.0', stage: 'None' });
    expect(commitCount(dir)).toBe(before + 1);
    expect(existsSync(join(dir, V('churn', '2.5.0')))).toBe(true);
  });

  it('the program version is printed by -V', async () => {
    const dir = await tempDir();
    const r = await runCli(['-V'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0.1.0\n');
  });
});

describe('reading: list, show, resolve', () => {
  async function readRegistry() {
    const a = await artifact('serialized churn model v1\n');
    const dir = await makeRepo({
      'modelreg.yaml': CONFIG_YAML,
      'registry/churn/model.yaml': modelYaml('churn', 'description: Predicts churn\naliases:\n  champion: 1.0.0\n'),
      [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0', 'Production', `metrics:\n  auc: 0.91\n`)
        .replace(/artifact:\n  uri: .*\n/, `artifact:\n  uri: ${a.uri}\n  digest: ${sha256(a.bytes)}\n  size: ${a.bytes.length}\n`),
      [V('churn', '1.1.0')]: versionYaml('churn', '1.1.0', 'Staging', 'metrics:\n  auc: 0.93\n'),
      'registry/iris/model.yaml': modelYaml('iris'),
      [V('iris', '1.0.0')]: versionYaml('iris', '1.0.0'),
    });
    return { dir, a };
  }
  // list, show and resolve change nothing: they share one repository.
  let shared: Awaited<ReturnType<typeof readRegistry>>;
  beforeAll(async () => { shared = await readRegistry(); });

  it('list: a table in text, the models in --json', async () => {
    const { dir } = shared;
    const text = await runCli(['list'], { cwd: dir });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['MODEL', 'LATEST', 'VERSIONS', 'STAGES', 'ALIASES']);
    expect(lines[1].split(/\s{2,}/)).toEqual(['churn', '1.1.0', '2', 'Staging: 1.1.0; Production: 1.0.0', '@champion=1.0.0']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['iris', '1.0.0', '1', '-', '-']);
    expect(lines).toHaveLength(3);

    const json = JSON.parse((await runCli(['list', '--json'], { cwd: dir })).stdout);
    expect(json.commit).toBe(headCommit(dir));
    expect(json.models.map((m: { name: string }) => m.name)).toEqual(['churn', 'iris']);
    expect(json.models[0]).toMatchObject({ name: 'churn', latest: '1.1.0', versions: 2, stages: { Staging: ['1.1.0'], Production: ['1.0.0'] }, aliases: { champion: '1.0.0' } });
  });

  it('show: a model with versions newest first, and one version', async () => {
    const { dir, a } = shared;
    const model = await runCli(['show', 'churn'], { cwd: dir });
    expect(model.code).toBe(0);
    const lines = model.stdout.split('\n');
    expect(lines[0]).toBe('churn — Predicts churn');
    expect(lines[1]).toContain('aliases: @champion=1.0.0');
    const rows = lines.filter((l) => /^\d+\.\d+\.\d+/.test(l)).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([['1.1.0', 'Staging', '2024-01-01', 'ada@example.com', 'auc=0.93'], ['1.0.0', 'Production', '2024-01-01', 'ada@example.com', 'auc=0.91']]);

    const mj = JSON.parse((await runCli(['show', 'churn', '--json'], { cwd: dir })).stdout);
    expect(mj.model.name).toBe('churn');
    expect(mj.versions.map((v: { version: string }) => v.version)).toEqual(['1.1.0', '1.0.0']);

    const version = await runCli(['show', 'churn', '1.0.0'], { cwd: dir });
    const vl = version.stdout.split('\n');
    expect(vl[0]).toBe('churn 1.0.0  [Production]');
    expect(vl).toContain(`artifact:  ${a.uri}`);
    expect(vl).toContain(`digest:    ${sha256(a.bytes)} (${a.bytes.length} bytes)`);
    expect(vl).toContain('metrics:   auc=0.91');
    const vj = JSON.parse((await runCli(['show', 'churn', '1.0.0', '--json'], { cwd: dir })).stdout);
    expect(vj).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production', metrics: { auc: 0.91 } });
  });

  it('resolve: text gives version, stage, aliases, artifact and digest; --json has {model, version, stage, artifact: {uri, digest}}', async () => {
    const { dir, a } = shared;
    const text = await runCli(['resolve', 'models:/churn/Production'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`churn 1.0.0 (Production, @champion)\n${a.uri}\n${sha256(a.bytes)}\n`);
    for (const uri of ['models:/churn/Production', 'models:/churn@champion', 'models:/churn/1.0.0', 'models:/churn/<1.1.0']) {
      const r = await runCli(['resolve', uri, '--json'], { cwd: dir });
      expect(r.code, uri).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j, uri).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production', artifact: { uri: a.uri, digest: sha256(a.bytes) } });
    }
    const latest = JSON.parse((await runCli(['resolve', 'models:/churn/latest', '--json'], { cwd: dir })).stdout);
    expect(latest).toMatchObject({ model: 'churn', version: '1.1.0', stage: 'Staging', artifact: { uri: 's3://models/churn/1.1.0' } });
  });

  it('resolve --at answers as of a ref and as of a date', async () => {
    const { dir } = await readRegistry();
    const r = await runCli(['register', 'churn', '--artifact', 's3://m/1.2.0'], { cwd: dir, date: '@1717200000 +0000' }); // 2024-06-01
    expect(r.code).toBe(0);
    const now = JSON.parse((await runCli(['resolve', 'models:/churn/latest', '--json'], { cwd: dir })).stdout);
    expect(now.version).toBe('1.2.0');
    const ref = await runCli(['resolve', 'models:/churn/latest', '--at', 'HEAD~1', '--json'], { cwd: dir });
    expect(ref.stderr).toBe('');
    expect(JSON.parse(ref.stdout)).toMatchObject({ version: '1.1.0', commit: headCommit(dir, 'HEAD~1') });
    const date = await runCli(['resolve', 'models:/churn/latest', '--at', '2024-05-01', '--json'], { cwd: dir });
    expect(JSON.parse(date.stdout)).toMatchObject({ version: '1.1.0', commit: headCommit(dir, 'HEAD~1') });
    // The same once the event index holds the history (the date is then found from its commit times).
    expect((await runCli(['history'], { cwd: dir })).code).toBe(0);
    for (const [at, want] of [['2024-05-01', 'HEAD~1'], ['2024-06-01', 'HEAD']]) {
      const indexed = await runCli(['resolve', 'models:/churn/latest', '--at', at, '--json'], { cwd: dir });
      expect(JSON.parse(indexed.stdout).commit, at).toBe(headCommit(dir, want));
    }
    const list = JSON.parse((await runCli(['list', '--at', 'HEAD~1', '--json'], { cwd: dir })).stdout);
    expect(list.models[0].latest).toBe('1.1.0');
  });
});

describe('download', () => {
  async function downloadRegistry(bytes: Buffer | string) {
    const a = await artifact(bytes, 'churn.onnx');
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const reg = await runCli(['register', 'churn', '--artifact', a.uri, '--file', a.path], { cwd: dir });
    expect(reg.code).toBe(0);
    return { dir, a };
  }

  it('fetches a file:// artifact into --dest and verifies it', async () => {
    const { dir, a } = await downloadRegistry(Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251)));
    const dest = join(await tempDir(), 'out');
    const r = await runCli(['download', 'models:/churn/latest', '--dest', dest], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(dest, 'churn.onnx')}\n`);
    expect(await readFile(join(dest, 'churn.onnx'))).toEqual(a.bytes);
    expect(await listTree(dest)).toEqual(['churn.onnx']);
    const j = await runCli(['download', 'models:/churn/1.0.0', '--dest', join(dest, 'again'), '--json'], { cwd: dir });
    expect(JSON.parse(j.stdout)).toMatchObject({ model: 'churn', version: '1.0.0', digest: sha256(a.bytes), size: 4096, verified: true });
    expectClean(dir);
  });

  it('a tampered artifact (same size) exits 1 and leaves no file at --dest', async () => {
    const { dir, a } = await downloadRegistry('the real weights 0123456789\n');
    await writeFile(a.path, 'the fake weights 0123456789\n');
    const dest = join(await tempDir(), 'out');
    const r = await runCli(['download', 'models:/churn/latest', '--dest', dest], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has digest ${sha256(Buffer.from('the fake weights 0123456789\n'))}, but the registry records ${sha256(a.bytes)}`);
    expect(r.stderr).toContain('It was not saved');
    expect(r.stdout).toBe('');
    expect(existsSync(dest) ? await listTree(dest) : []).toEqual([]);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a tampered artifact (other size) exits 1 and leaves no file at --dest', async () => {
    const { dir, a } = await downloadRegistry('weights\n');
    await writeFile(a.path, 'weights plus a payload\n');
    const dest = join(await tempDir(), 'out');
    const r = await runCli(['download', 'models:/churn/latest', '--dest', dest], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has 23 bytes, but the registry records ${a.bytes.length}`);
    expect(existsSync(dest) ? await listTree(dest) : []).toEqual([]);
  });

  it('an s3:// artifact is a clear error that names the scheme and prints the URI', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    await mustRun(['register', 'churn', '--artifact', 's3://ml-models/churn/7/model.pkl'], { cwd: dir });
    const dest = join(await tempDir(), 'out');
    const r = await runCli(['download', 'models:/churn/latest', '--dest', dest], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('s3://');
    expect(r.stderr).toContain('s3://ml-models/churn/7/model.pkl');
    expect(r.stderr).toContain('file:// and http(s)://');
    expect(r.stdout).toBe('');
    expect(existsSync(dest)).toBe(false);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a missing artifact file exits 4', async () => {
    const { dir, a } = await downloadRegistry('x');
    await rm(a.path);
    const r = await runCli(['download', 'models:/churn/latest', '--dest', await tempDir()], { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`The artifact ${a.uri} does not exist`);
  });
});

describe('write commands', () => {
  it('transition, tag, describe and alias each write one commit with the expected lines', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    await mustRun(['register', 'churn', '--artifact', 's3://m/1'], { cwd: dir });
    await mustRun(['register', 'churn', '--artifact', 's3://m/2'], { cwd: dir });
    let count = commitCount(dir);

    const t = await runCli(['transition', 'churn', '1.0.0', 'Staging'], { cwd: dir });
    expect(t.code).toBe(0);
    expect(t.stdout).toBe(`churn 1.0.0: None -> Staging in ${headCommit(dir).slice(0, 12)} on main\n`);
    expect(commitCount(dir)).toBe(++count);
    expect(diffLines(dir)).toEqual(['-stage: None', '+stage: Staging']);

    const tag = await runCli(['tag', 'set', 'churn', '1.1.0', 'dataset=march'], { cwd: dir });
    expect(tag.code).toBe(0);
    expect(commitCount(dir)).toBe(++count);
    expect(diffLines(dir)).toEqual(['+tags:', '+  dataset: march']);

    const untag = await runCli(['tag', 'delete', 'churn', '1.1.0', 'dataset'], { cwd: dir });
    expect(untag.code).toBe(0);
    expect(commitCount(dir)).toBe(++count);
    expect(diffLines(dir)).toEqual(['-tags:', '-  dataset: march']);

    const desc = await runCli(['describe', 'churn', 'Predicts', 'churn'], { cwd: dir });
    expect(desc.code).toBe(0);
    expect(commitCount(dir)).toBe(++count);
    expect(diffLines(dir)).toEqual(['+description: Predicts churn']);

    const alias = await runCli(['alias', 'set', 'churn', 'champion', '1.0.0'], { cwd: dir });
    expect(alias.code).toBe(0);
    expect(alias.stdout).toBe(`churn@champion -> 1.0.0 in ${headCommit(dir).slice(0, 12)} on main\n`);
    expect(commitCount(dir)).toBe(++count);
    expect(diffLines(dir)).toEqual(['+aliases:', '+  champion: 1.0.0']);

    const unalias = await runCli(['alias', 'delete', 'churn', 'champion', '--json'], { cwd: dir });
    expect(JSON.parse(unalias.stdout)).toMatchObject({ model: 'churn', alias: 'champion', previous: '1.0.0', commit: headCommit(dir) });
    expect(commitCount(dir)).toBe(++count);
    expect(gitLog(dir).slice(0, 6).map((e) => e.trailers['Modelreg-Action'])).toEqual(['alias', 'alias', 'describe', 'tag', 'tag', 'transition']);
    expectClean(dir);
  });

  it('a promotion the policy denies exits 1 with the checklist, and commits nothing', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    await mustRun(['register', 'churn', '--artifact', 's3://m/1'], { cwd: dir });
    await mustRun(['transition', 'churn', '1.0.0', 'Staging'], { cwd: dir });
    const count = commitCount(dir);
    // Staging -> Production needs an approval from an owner other than the author (default policy).
    const r = await runCli(['promote', 'churn', '1.0.0', '--to', 'Production'], { cwd: dir, who: BOB });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/approv/i);
    expect(commitCount(dir)).toBe(count);
    expectClean(dir);
    const dry = await runCli(['promote', 'churn', '1.0.0', '--to', 'Production', '--dry-run', '--json'], { cwd: dir, who: BOB });
    const d = JSON.parse(dry.stdout);
    expect(d).toMatchObject({ allowed: false, from: 'Staging', stage: 'Production' });
    expect(commitCount(dir)).toBe(count);
  });
});

describe('check', () => {
  it('a good registry exits 0', async () => {
    const dir = await makeRepo({
      'modelreg.yaml': CONFIG_YAML,
      'registry/churn/model.yaml': modelYaml('churn', 'aliases:\n  champion: 1.0.0\n'),
      [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0', 'Production'),
      [V('churn', '1.1.0')]: versionYaml('churn', '1.1.0', 'Staging'),
    });
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('✓ 4 files, 1 model, 2 versions: 0 errors, 0 warnings');
    const j = await runCli(['check', '--format', 'json'], { cwd: dir });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, summary: { models: 1, versions: 2, errors: 0 }, problems: [] });
  });

  it('a broken registry exits 1 and names each problem as file:line', async () => {
    const broken = versionYaml('churn', '1.1.0', 'Staging', 'metrics:\n  auc: high\n  f1: .nan\n').replace('stage: Staging\n', 'stage: Staging\ncolour: red\n');
    const dir = await makeRepo({
      'modelreg.yaml': CONFIG_YAML,
      'registry/churn/model.yaml': modelYaml('churn', 'aliases:\n  champion: 3.0.0\n'),
      [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0', 'Production'),
      [V('churn', '1.1.0')]: broken,
      [V('churn', '1.2.0')]: versionYaml('churn', '1.3.0', 'Shadow'),
    });
    const lineOf = (text: string, s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toContain(`${V('churn', '1.1.0')}:${lineOf(broken, 'colour')}:1: colour: unknown field 'colour'; remove it or check its spelling [schema]`);
    expect(out).toContain(`${V('churn', '1.1.0')}:${lineOf(broken, 'auc: high')}:8: metrics.auc: must be number [schema]`);
    expect(out).toContain(`${V('churn', '1.1.0')}:${lineOf(broken, 'f1: .nan')}:`);
    expect(out).toMatch(new RegExp(`${V('churn', '1.2.0').replace(/\./g, '\\.')}:3:\\d+: version: version '1\\.3\\.0' does not match the file name '1\\.2\\.0\\.yaml' \\[version-mismatch\\]`));
    expect(out).toMatch(/registry\/churn\/versions\/1\.2\.0\.yaml:4:\d+: stage: stage 'Shadow' is not a stage of policy 'default'/);
    expect(out).toMatch(/registry\/churn\/model\.yaml:\d+:\d+: aliases\.champion: alias @champion points at 3\.0\.0/);
    expect(out.trimEnd().split('\n').pop()).toMatch(/^✗ \d+ files, 1 model, \d+ versions: [1-9]\d* errors?, \d+ warnings?$/);
    expect(r.stderr).not.toMatch(STACK);

    const j = await runCli(['check', '--format', 'json'], { cwd: dir });
    expect(j.code).toBe(1);
    const body = JSON.parse(j.stdout);
    expect(body.ok).toBe(false);
    expect(body.problems).toContainEqual(expect.objectContaining({ file: V('churn', '1.1.0'), line: lineOf(broken, 'auc: high'), column: 8, field: 'metrics.auc', rule: 'schema', severity: 'error' }));
    expect(body.problems).toContainEqual(expect.objectContaining({ file: V('churn', '1.1.0'), line: lineOf(broken, 'f1: .nan'), field: 'metrics.f1', rule: 'finite-number' }));
  });

  it('an unknown --format exits 2', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const r = await runCli(['check', '--format', 'xml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown --format xml; use text, json, github or gitlab');
  });
});

describe('usage and errors', () => {
  it('--help exits 0 and lists the commands', async () => {
    const dir = await tempDir();
    const r = await runCli(['--help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: modelreg \[options\] \[command\]/);
    for (const c of ['register', 'list', 'show', 'resolve', 'download', 'check', 'init', 'history']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const sub = await runCli(['register', '--help'], { cwd: dir });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--artifact <uri>');
    expect(sub.stdout).toContain('--version <x.y.z>');
  });

  it('an unknown command exits 2 without a stack trace', async () => {
    const dir = await tempDir();
    const r = await runCli(['frobnicate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).not.toMatch(STACK);
    const opt = await runCli(['list', '--frobnicate'], { cwd: dir });
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("unknown option '--frobnicate'");
  });

  it('known errors print one line and no stack trace; --debug adds the stack', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const r = await runCli(['show', 'nosuch'], { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("modelreg: No model named 'nosuch' in the registry. Run `modelreg list` to see the registered models.\n");
    const d = await runCli(['show', 'nosuch', '--debug'], { cwd: dir });
    expect(d.code).toBe(4);
    expect(d.stderr).toMatch(STACK);
  });

  it('an unexpected error says it is a bug, exits 70, and shows the stack only with --debug', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    // A corrupt object is CORRUPT_OBJECT now (test/storage/object-errors.test.ts): a fault hook plays the defect.
    const bug = { MODELREG_FAULT_AT: 'bug' };
    const r = await runCli(['list'], { cwd: dir, env: bug });
    expect(r.code).toBe(70);
    expect(r.stderr).toContain('modelreg: unexpected error:');
    expect(r.stderr).toContain('This is a bug in modelreg');
    expect(r.stderr).not.toMatch(STACK);
    const d = await runCli(['list', '--debug'], { cwd: dir, env: bug });
    expect(d.code).toBe(70);
    expect(d.stderr).toMatch(STACK);
  });
});
