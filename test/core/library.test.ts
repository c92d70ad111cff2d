/**
 * The library (openRegistry, initRegistry) on real temporary Git repositories: every write is
 * exactly one commit with Modelreg-* trailers, leaves `git fsck --strict` and `git status`
 * clean, and changes only the lines it means to; reads answer now and as of a ref or date.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRegistry, openRegistry, type Registry } from '../../src/index.js';
import { RegistryError } from '../../src/errors/index.js';
import { policyYaml } from '../policy/fixtures.js';
import {
  ADA, BOB, CONFIG_YAML, changedFiles, commitCount, commitFiles, diffLines, fixedClock, git, gitFsck, gitLog, gitStatus,
  headCommit, makeRepo, modelYaml, tempDir, versionYaml,
} from '../helpers/repo.js';

async function fresh(files: Record<string, string> = {}, start = '2024-03-01T09:00:00Z') {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '# Registry\n', ...files });
  const clock = fixedClock(start);
  const reg = await openRegistry({ dir, identity: ADA, now: clock.now, env: {} });
  return { dir, clock, reg };
}

function expectFsckClean(dir: string): void {
  const r = gitFsck(dir);
  expect(r.code, r.output).toBe(0);
  expect(r.output.split('\n').filter((l) => /^(error|warning|missing|broken|bad)/i.test(l))).toEqual([]);
}

/** The write added exactly one commit on top of `before`, with this subject and these trailers; the repository is clean. */
function expectOneCommit(dir: string, before: string, expected: { subject: string; trailers: Record<string, string>; files: string[]; commit?: string }): void {
  const log = gitLog(dir);
  expect(log[0].parents).toEqual([before]);
  expect(log[1].commit).toBe(before);
  if (expected.commit) expect(log[0].commit).toBe(expected.commit);
  expect(log[0].subject).toBe(expected.subject);
  expect(log[0].trailers).toEqual(expected.trailers);
  expect(log[0].authorEmail).toBe(ADA.email);
  expect(log[0].authorName).toBe(ADA.name);
  expect(changedFiles(dir)).toEqual([...expected.files].sort());
  expect(gitStatus(dir)).toBe('');
  expectFsckClean(dir);
}

async function stageOf(dir: string, file: string): Promise<string> {
  return YAML.parse(await readFile(join(dir, file), 'utf8')).stage;
}

const V = (m: string, v: string) => `registry/${m}/versions/${v}.yaml`;

describe('register', () => {
  it('the first registration creates the model and version 1.0.0 in one commit', async () => {
    const { dir, reg } = await fresh();
    const before = headCommit(dir);
    const r = await reg.register({
      model: 'churn', artifact: 's3://models/churn/1', metrics: { auc: 0.91, f1: '0.8' }, params: { trees: 300, lr: 0.01, early: true, loss: 'log' },
      tags: { team: 'growth' }, description: 'First cut',
    });
    expect(r).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'None', created: true, file: V('churn', '1.0.0'), branch: 'main' });
    expect(r.commit).toBe(headCommit(dir));
    expectOneCommit(dir, before, {
      subject: 'register churn 1.0.0',
      trailers: { 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0', 'Modelreg-Stage': 'None' },
      files: ['registry/churn/model.yaml', V('churn', '1.0.0')],
    });
    const log = gitLog(dir);
    expect(log[0].authorTime).toBe(Date.parse('2024-03-01T09:00:00Z') / 1000);
    expect(log[0].message).toContain('\n\nFirst cut\n\n');
    expect(await readFile(join(dir, V('churn', '1.0.0')), 'utf8')).toBe(`# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json
model: churn
version: 1.0.0
stage: None
number: 1
description: First cut
tags:
  team: growth
artifact:
  uri: s3://models/churn/1
metrics:
  auc: 0.91
  f1: 0.8
params:
  early: true
  loss: log
  lr: 0.01
  trees: 300
created:
  at: 2024-03-01T09:00:00Z
  by: ada@example.com
`);
    expect(await readFile(join(dir, 'registry/churn/model.yaml'), 'utf8')).toBe(`# yaml-language-server: $schema=../../.modelreg/schemas/model.schema.json
name: churn
owners:
  - ada@example.com
created:
  at: 2024-03-01T09:00:00Z
  by: ada@example.com
`);
    // The working tree holds exactly what was committed.
    expect(git(dir, ['show', `HEAD:${V('churn', '1.0.0')}`]).stdout).toBe(await readFile(join(dir, V('churn', '1.0.0')), 'utf8'));
  });

  it('bumps minor by default, and major, patch and minor when asked, one commit each', async () => {
    const { dir, reg, clock } = await fresh();
    const steps: Array<[{ bump?: 'major' | 'minor' | 'patch' }, string]> = [
      [{}, '1.0.0'], [{}, '1.1.0'], [{ bump: 'major' }, '2.0.0'], [{ bump: 'patch' }, '2.0.1'], [{ bump: 'minor' }, '2.1.0'], [{ bump: 'patch' }, '2.1.1'],
    ];
    for (const [opts, version] of steps) {
      clock.advance(3600_000);
      const before = headCommit(dir);
      const r = await reg.register({ model: 'churn', artifact: `s3://models/churn/${version}`, ...opts });
      expect(r.version).toBe(version);
      expect(r.created).toBe(version === '1.0.0');
      expectOneCommit(dir, before, {
        subject: `register churn ${version}`,
        trailers: { 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': version, 'Modelreg-Stage': 'None' },
        files: version === '1.0.0' ? ['registry/churn/model.yaml', V('churn', version)] : [V('churn', version)],
        commit: r.commit,
      });
    }
    expect(commitCount(dir)).toBe(1 + steps.length);
  });

  it('uses an explicit version as given, and bumps from it afterwards', async () => {
    const { dir, reg } = await fresh();
    expect((await reg.register({ model: 'churn', artifact: 's3://a', version: '0.3.0' })).version).toBe('0.3.0');
    const before = headCommit(dir);
    const r = await reg.register({ model: 'churn', artifact: 's3://b', version: '3.0.0-rc.1' });
    expect(r.version).toBe('3.0.0-rc.1');
    expectOneCommit(dir, before, {
      subject: 'register churn 3.0.0-rc.1',
      trailers: { 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '3.0.0-rc.1', 'Modelreg-Stage': 'None' },
      files: [V('churn', '3.0.0-rc.1')],
    });
    expect((await reg.register({ model: 'churn', artifact: 's3://c', version: '3.0.0' })).version).toBe('3.0.0');
    expect((await reg.register({ model: 'churn', artifact: 's3://d', bump: 'patch' })).version).toBe('3.0.1');
  });

  it('starts at firstVersion from modelreg.yaml', async () => {
    const { reg } = await fresh({ 'modelreg.yaml': `${CONFIG_YAML}firstVersion: 0.1.0\n` });
    expect((await reg.register({ model: 'churn', artifact: 's3://a' })).version).toBe('0.1.0');
    expect((await reg.register({ model: 'churn', artifact: 's3://b' })).version).toBe('0.2.0');
  });

  it('records the sha256 digest and size of --file', async () => {
    const { dir, reg } = await fresh();
    const artifactDir = await tempDir();
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
    const path = join(artifactDir, 'model.pkl');
    await writeFile(path, bytes);
    await reg.register({ model: 'churn', artifact: 's3://models/churn/model.pkl', file: path, format: 'pickle' });
    const rec = YAML.parse(await readFile(join(dir, V('churn', '1.0.0')), 'utf8'));
    expect(rec.artifact).toEqual({
      uri: 's3://models/churn/model.pkl', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: 5000, format: 'pickle',
    });
  });

  it('treats a name that differs only by case as the same model', async () => {
    const { dir, reg } = await fresh();
    await reg.register({ model: 'churn', artifact: 's3://a' });
    const before = headCommit(dir);
    const r = await reg.register({ model: 'Churn', artifact: 's3://b' });
    expect(r).toMatchObject({ model: 'churn', version: '1.1.0', created: false, file: V('churn', '1.1.0') });
    expectOneCommit(dir, before, {
      subject: 'register churn 1.1.0',
      trailers: { 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.1.0', 'Modelreg-Stage': 'None' },
      files: [V('churn', '1.1.0')],
    });
    expect((await reg.list()).models.map((m) => m.name)).toEqual(['churn']);
  });

  it('registers a namespaced model under its namespace folder', async () => {
    const { dir, reg } = await fresh();
    const r = await reg.register({ model: 'fraud/scorer', artifact: 's3://f' });
    expect(r.file).toBe('registry/fraud/scorer/versions/1.0.0.yaml');
    expect(changedFiles(dir)).toEqual(['registry/fraud/scorer/model.yaml', 'registry/fraud/scorer/versions/1.0.0.yaml']);
    expect((await reg.resolve({ uri: 'models:/fraud/scorer/latest' })).version).toBe('1.0.0');
    expect(YAML.parse(await readFile(join(dir, 'registry/fraud/scorer/model.yaml'), 'utf8')).name).toBe('fraud/scorer');
  });

  it('never reuses a deleted version number', async () => {
    const { dir, reg } = await fresh({
      'registry/churn/model.yaml': modelYaml('churn', 'deletedVersions:\n  - 2.0.0\n'),
      [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0'),
    });
    const before = commitCount(dir);
    await expect(reg.register({ model: 'churn', artifact: 's3://x', version: '2.0.0' })).rejects.toMatchObject({ code: 'VERSION_EXISTS', data: { model: 'churn', version: '2.0.0' } });
    expect(commitCount(dir)).toBe(before);
    expect((await reg.register({ model: 'churn', artifact: 's3://x' })).version).toBe('2.1.0');
    expect((await reg.register({ model: 'churn', artifact: 's3://x', bump: 'major' })).version).toBe('3.0.0');
  });
});

describe('initRegistry', () => {
  it('creates a repository with the registry layout in one commit', async () => {
    const dir = join(await tempDir(), 'reg');
    const r = await initRegistry({ dir }, { identity: ADA, now: () => new Date('2024-02-01T00:00:00Z'), env: {} });
    expect(r.newRepository).toBe(true);
    expect(r.created).toEqual(expect.arrayContaining(['modelreg.yaml', 'policies/default.yaml', '.github/workflows/modelreg.yml']));
    expect(commitCount(dir)).toBe(1);
    expect(gitLog(dir)[0]).toMatchObject({ subject: 'init modelreg registry', trailers: { 'Modelreg-Action': 'init' }, authorEmail: ADA.email });
    expect(gitStatus(dir)).toBe('');
    expectFsckClean(dir);
    expect(git(dir, ['symbolic-ref', 'HEAD']).stdout.trim()).toBe('refs/heads/main');
    // A second init adds nothing and commits nothing.
    const again = await initRegistry({ dir }, { identity: ADA, env: {} });
    expect(again.created).toEqual([]);
    expect(again.commit).toBeUndefined();
    expect(commitCount(dir)).toBe(1);
    // And the registry works.
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    expect((await reg.register({ model: 'churn', artifact: 's3://a' })).version).toBe('1.0.0');
    expect(gitStatus(dir)).toBe('');
  });
});

describe('reading: list, show, resolve', () => {
  const TREE = {
    'registry/churn/model.yaml': modelYaml('churn', 'description: Predicts churn\ntags:\n  team: growth\naliases:\n  challenger: 1.1.0\n  champion: 1.0.0\n'),
    [V('churn', '0.9.0')]: versionYaml('churn', '0.9.0', 'Archived'),
    [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0', 'Production', 'metrics:\n  auc: 0.91\n'),
    [V('churn', '1.1.0')]: versionYaml('churn', '1.1.0', 'Staging'),
    [V('churn', '1.2.0')]: versionYaml('churn', '1.2.0', 'None'),
    [V('churn', '2.0.0')]: versionYaml('churn', '2.0.0', 'None'),
    'registry/fraud/scorer/model.yaml': modelYaml('fraud/scorer'),
    'registry/fraud/scorer/versions/1.0.0.yaml': versionYaml('fraud/scorer', '1.0.0', 'Production'),
    'registry/iris/model.yaml': modelYaml('iris'),
    [V('iris', '1.0.0')]: versionYaml('iris', '1.0.0', 'Staging'),
  };

  // Reads change nothing, so the tests of this block share one repository.
  let shared: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => { shared = await fresh(TREE); });

  it.each([
    ['models:/churn/1.1.0', 'churn', '1.1.0', 'Staging', ['challenger']],
    ['models:/churn/0.9.0', 'churn', '0.9.0', 'Archived', []],
    ['models:/churn/Production', 'churn', '1.0.0', 'Production', ['champion']],
    ['models:/churn/production', 'churn', '1.0.0', 'Production', ['champion']],
    ['models:/churn/Staging', 'churn', '1.1.0', 'Staging', ['challenger']],
    ['models:/churn/None', 'churn', '2.0.0', 'None', []],
    ['models:/churn@champion', 'churn', '1.0.0', 'Production', ['champion']],
    ['models:/churn@challenger', 'churn', '1.1.0', 'Staging', ['challenger']],
    ['models:/churn/latest', 'churn', '2.0.0', 'None', []],
    ['models:/churn/^1', 'churn', '1.2.0', 'None', []],
    ['models:/churn/~1.1', 'churn', '1.1.0', 'Staging', ['challenger']],
    ['models:/churn/<1.0.0', 'churn', '0.9.0', 'Archived', []],
    ['models:/CHURN/1.0.0', 'churn', '1.0.0', 'Production', ['champion']],
    ['models:/fraud/scorer/Production', 'fraud/scorer', '1.0.0', 'Production', []],
    ['models:/fraud/scorer/^1', 'fraud/scorer', '1.0.0', 'Production', []],
  ])('resolve %s -> %s %s', async (uri, model, version, stage, aliases) => {
    const { dir, reg } = shared;
    const r = await reg.resolve({ uri });
    expect(r).toMatchObject({ uri, model, version, stage, aliases, artifact: { uri: `s3://models/${model}/${version}` }, commit: headCommit(dir) });
    expect(r.record.version).toBe(version);
  });

  it('resolve names what is missing with NOT_FOUND', async () => {
    const { reg } = shared;
    for (const uri of ['models:/churn/3.0.0', 'models:/churn/Shadow', 'models:/churn@canary', 'models:/churn/^5', 'models:/nosuch/latest', 'models:/iris/Production']) {
      await expect(reg.resolve({ uri }), uri).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    await expect(reg.resolve({ uri: 'models:/churn@canary' })).rejects.toThrow(/aliases: challenger, champion/);
    await expect(reg.resolve({ uri: 'models:/churn/3.0.0' })).rejects.toThrow(/Its versions: 2\.0\.0, 1\.2\.0, 1\.1\.0, 1\.0\.0, 0\.9\.0/);
  });

  it('list gives every model, sorted, with latest version, stages and aliases', async () => {
    const { dir, reg } = shared;
    const r = await reg.list();
    expect(r.commit).toBe(headCommit(dir));
    expect(r.models.map((m) => m.name)).toEqual(['churn', 'fraud/scorer', 'iris']);
    expect(r.models[0]).toEqual({
      name: 'churn', description: 'Predicts churn', owners: [ADA.email], latest: '2.0.0', versions: 5,
      stages: { None: ['2.0.0', '1.2.0'], Staging: ['1.1.0'], Production: ['1.0.0'], Archived: ['0.9.0'] },
      aliases: { challenger: '1.1.0', champion: '1.0.0' }, tags: { team: 'growth' }, policy: 'default',
    });
    expect(r.models[1]).toMatchObject({ name: 'fraud/scorer', latest: '1.0.0', versions: 1, stages: { Production: ['1.0.0'] } });
  });

  it('show gives a model with its versions newest first, or one version', async () => {
    const { reg } = shared;
    const m = await reg.show({ model: 'churn' }) as Awaited<ReturnType<Registry['show']>> & { versions: Array<{ version: string }> };
    expect(m.versions.map((v) => v.version)).toEqual(['2.0.0', '1.2.0', '1.1.0', '1.0.0', '0.9.0']);
    const v = await reg.show({ model: 'churn', version: '1.0.0' });
    expect(v).toEqual({
      model: 'churn', version: '1.0.0', stage: 'Production', artifact: { uri: 's3://models/churn/1.0.0' }, metrics: { auc: 0.91 },
      created: { at: '2024-01-01T00:00:00Z', by: ADA.email },
    });
    await expect(reg.show({ model: 'churn', version: '7.0.0' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { model: 'churn', version: '7.0.0' } });
    await expect(reg.show({ model: 'nosuch' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { model: 'nosuch' } });
  });

  it('reads the committed state, not the working tree', async () => {
    const { dir, reg } = await fresh(TREE);
    await writeFile(join(dir, V('churn', '2.0.0')), versionYaml('churn', '2.0.0', 'Production'));
    expect((await reg.resolve({ uri: 'models:/churn/Production' })).version).toBe('1.0.0');
  });
});

describe('reading as of a ref or a date (at)', () => {
  /** C0 initial files (2024-01-01), C1 register 1.0.0 (03-01), C2 register 1.1.0 (03-10), C3 alias champion -> 1.1.0 (03-20). */
  async function timeline() {
    const { dir, reg, clock } = await fresh({}, '2024-03-01T10:00:00Z');
    const c1 = (await reg.register({ model: 'churn', artifact: 's3://one' })).commit!;
    clock.set('2024-03-10T10:00:00Z');
    const c2 = (await reg.register({ model: 'churn', artifact: 's3://two' })).commit!;
    clock.set('2024-03-20T10:00:00Z');
    const c3 = (await reg.alias({ model: 'churn', alias: 'champion', version: '1.1.0' })).commit!;
    expect(headCommit(dir)).toBe(c3);
    return { dir, reg, c1, c2, c3 };
  }

  it('at a commit id, full or abbreviated, answers as of that commit', async () => {
    const { reg, c1, c2 } = await timeline();
    expect((await reg.resolve({ uri: 'models:/churn/latest', at: c1 })).version).toBe('1.0.0');
    expect((await reg.resolve({ uri: 'models:/churn/latest', at: c2.slice(0, 10) })).version).toBe('1.1.0');
    expect((await reg.list({ at: c1 })).models[0]).toMatchObject({ name: 'churn', latest: '1.0.0', versions: 1 });
    await expect(reg.resolve({ uri: 'models:/churn@champion', at: c2 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await reg.resolve({ uri: 'models:/churn@champion' })).version).toBe('1.1.0');
  });

  it("at 'HEAD~1' answers as of the commit before HEAD", async () => {
    const { reg, c2 } = await timeline();
    const r = await reg.resolve({ uri: 'models:/churn/latest', at: 'HEAD~1' });
    expect(r).toMatchObject({ version: '1.1.0', commit: c2 });
    await expect(reg.resolve({ uri: 'models:/churn@champion', at: 'HEAD~1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await reg.list({ at: 'HEAD~2' })).models[0].latest).toBe('1.0.0');
  });

  it('at a branch or tag name answers as of its commit', async () => {
    const { dir, reg, c1 } = await timeline();
    git(dir, ['tag', 'before-march-10', c1]);
    git(dir, ['branch', 'old', c1]);
    expect((await reg.resolve({ uri: 'models:/churn/latest', at: 'before-march-10' })).version).toBe('1.0.0');
    expect((await reg.resolve({ uri: 'models:/churn/latest', at: 'old' })).version).toBe('1.0.0');
    expect((await reg.resolve({ uri: 'models:/churn/latest', at: 'main' })).version).toBe('1.1.0');
  });

  it('at a date answers from the last commit at or before it', async () => {
    const { reg, c1, c2 } = await timeline();
    expect(await reg.resolve({ uri: 'models:/churn/latest', at: '2024-03-05' })).toMatchObject({ version: '1.0.0', commit: c1 });
    expect(await reg.resolve({ uri: 'models:/churn/latest', at: '2024-03-01' })).toMatchObject({ version: '1.0.0', commit: c1 });
    expect(await reg.resolve({ uri: 'models:/churn/latest', at: '2024-03-10T09:59:59Z' })).toMatchObject({ version: '1.0.0', commit: c1 });
    expect(await reg.resolve({ uri: 'models:/churn/latest', at: '2024-03-10T10:00:00Z' })).toMatchObject({ version: '1.1.0', commit: c2 });
    expect(await reg.resolve({ uri: 'models:/churn/latest', at: '2024-03-15' })).toMatchObject({ version: '1.1.0', commit: c2 });
    expect((await reg.resolve({ uri: 'models:/churn@champion', at: '2024-04-01' })).version).toBe('1.1.0');
    // Before the model existed, and before the repository existed.
    await expect(reg.resolve({ uri: 'models:/churn/latest', at: '2024-02-01' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { model: 'churn' } });
    await expect(reg.resolve({ uri: 'models:/churn/latest', at: '2020-01-01' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { at: '2020-01-01' } });
  });

  it('an unknown ref is NOT_FOUND', async () => {
    const { reg } = await timeline();
    await expect(reg.resolve({ uri: 'models:/churn/latest', at: 'no-such-branch' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { ref: 'no-such-branch' } });
  });
});

describe('metadata writes: each one commit that changes only its lines', () => {
  async function withVersions() {
    const ctx = await fresh();
    await ctx.reg.register({ model: 'churn', artifact: 's3://one' });
    await ctx.reg.register({ model: 'churn', artifact: 's3://two' });
    return ctx;
  }

  it('tag set and delete on a version', async () => {
    const { dir, reg } = await withVersions();
    let before = headCommit(dir);
    const r = await reg.tag({ model: 'churn', version: '1.0.0', set: { dataset: 'march', owner: 'growth' } });
    expect(r).toMatchObject({ model: 'churn', version: '1.0.0', tags: { dataset: 'march', owner: 'growth' }, commit: headCommit(dir) });
    expectOneCommit(dir, before, {
      subject: 'tag churn 1.0.0: dataset=march owner=growth',
      trailers: { 'Modelreg-Action': 'tag', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0' },
      files: [V('churn', '1.0.0')],
    });
    expect(diffLines(dir)).toEqual(['+tags:', '+  dataset: march', '+  owner: growth']);

    before = headCommit(dir);
    await reg.tag({ model: 'churn', version: '1.0.0', delete: ['dataset'] });
    expectOneCommit(dir, before, {
      subject: 'tag churn 1.0.0: -dataset',
      trailers: { 'Modelreg-Action': 'tag', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0' },
      files: [V('churn', '1.0.0')],
    });
    expect(diffLines(dir)).toEqual(['-  dataset: march']);

    before = headCommit(dir);
    await reg.tag({ model: 'churn', version: '1.0.0', delete: ['owner'] });
    expectOneCommit(dir, before, {
      subject: 'tag churn 1.0.0: -owner',
      trailers: { 'Modelreg-Action': 'tag', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0' },
      files: [V('churn', '1.0.0')],
    });
    expect(diffLines(dir)).toEqual(['-tags:', '-  owner: growth']);
    // Back to the bytes register wrote.
    expect(git(dir, ['diff', 'HEAD~3', 'HEAD', '--', V('churn', '1.0.0')]).stdout).toBe('');
  });

  it('tag set on a model changes model.yaml only; setting the same value again commits nothing', async () => {
    const { dir, reg } = await withVersions();
    const before = headCommit(dir);
    await reg.tag({ model: 'churn', set: { team: 'growth' } });
    expectOneCommit(dir, before, {
      subject: 'tag churn: team=growth', trailers: { 'Modelreg-Action': 'tag', 'Modelreg-Model': 'churn' }, files: ['registry/churn/model.yaml'],
    });
    expect(diffLines(dir)).toEqual(['+tags:', '+  team: growth']);
    const count = commitCount(dir);
    const again = await reg.tag({ model: 'churn', set: { team: 'growth' } });
    expect(again.commit).toBeUndefined();
    expect(commitCount(dir)).toBe(count);
  });

  it('describe a model and a version', async () => {
    const { dir, reg } = await withVersions();
    let before = headCommit(dir);
    await reg.describe({ model: 'churn', description: 'Predicts churn' });
    expectOneCommit(dir, before, {
      subject: 'describe churn', trailers: { 'Modelreg-Action': 'describe', 'Modelreg-Model': 'churn' }, files: ['registry/churn/model.yaml'],
    });
    expect(diffLines(dir)).toEqual(['+description: Predicts churn']);

    before = headCommit(dir);
    await reg.describe({ model: 'churn', version: '1.1.0', description: 'Retrained on March' });
    await reg.describe({ model: 'churn', version: '1.1.0', description: 'Retrained on March data' });
    expect(gitLog(dir)[1].parents).toEqual([before]);
    expect(gitLog(dir)[0].trailers).toEqual({ 'Modelreg-Action': 'describe', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.1.0' });
    expect(diffLines(dir)).toEqual(['-description: Retrained on March', '+description: Retrained on March data']);
    expect(gitStatus(dir)).toBe('');
    expectFsckClean(dir);
  });

  it('a multi-line description replacing a one-line one leaves a valid version file', async () => {
    const { dir, reg } = await withVersions();
    await reg.describe({ model: 'churn', version: '1.0.0', description: 'One line' });
    await reg.describe({ model: 'churn', version: '1.0.0', description: 'Line one\nLine two' });
    const v = await reg.show({ model: 'churn', version: '1.0.0' });
    expect(v.description).toBe('Line one\nLine two');
    expect(YAML.parse(await readFile(join(dir, V('churn', '1.0.0')), 'utf8')).description).toBe('Line one\nLine two');
  });

  it('alias set, move and delete', async () => {
    const { dir, reg } = await withVersions();
    let before = headCommit(dir);
    const set = await reg.alias({ model: 'churn', alias: 'champion', version: '1.0.0' });
    expect(set).toMatchObject({ model: 'churn', alias: 'champion', version: '1.0.0' });
    expectOneCommit(dir, before, {
      subject: 'alias churn@champion -> 1.0.0',
      trailers: { 'Modelreg-Action': 'alias', 'Modelreg-Model': 'churn', 'Modelreg-Alias': 'champion', 'Modelreg-Version': '1.0.0' },
      files: ['registry/churn/model.yaml'],
    });
    expect(diffLines(dir)).toEqual(['+aliases:', '+  champion: 1.0.0']);
    expect((await reg.resolve({ uri: 'models:/churn@champion' })).version).toBe('1.0.0');

    before = headCommit(dir);
    const moved = await reg.alias({ model: 'churn', alias: 'champion', version: '1.1.0' });
    expect(moved.previous).toBe('1.0.0');
    expectOneCommit(dir, before, {
      subject: 'alias churn@champion -> 1.1.0',
      trailers: { 'Modelreg-Action': 'alias', 'Modelreg-Model': 'churn', 'Modelreg-Alias': 'champion', 'Modelreg-Version': '1.1.0' },
      files: ['registry/churn/model.yaml'],
    });
    expect(diffLines(dir)).toEqual(['-  champion: 1.0.0', '+  champion: 1.1.0']);

    before = headCommit(dir);
    await reg.alias({ model: 'churn', alias: 'challenger', version: '1.0.0' });
    await reg.alias({ model: 'churn', alias: 'challenger' });
    expect(diffLines(dir)).toEqual(['-  challenger: 1.0.0']);
    expect(git(dir, ['diff', before, 'HEAD']).stdout).toBe('');

    before = headCommit(dir);
    const del = await reg.alias({ model: 'churn', alias: 'champion' });
    expect(del).toMatchObject({ alias: 'champion', previous: '1.1.0' });
    expectOneCommit(dir, before, {
      subject: 'alias churn@champion: removed (was 1.1.0)',
      trailers: { 'Modelreg-Action': 'alias', 'Modelreg-Model': 'churn', 'Modelreg-Alias': 'champion' },
      files: ['registry/churn/model.yaml'],
    });
    expect(diffLines(dir)).toEqual(['-aliases:', '-  champion: 1.1.0']);
    await expect(reg.resolve({ uri: 'models:/churn@champion' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an alias pointing at a version that does not exist is NOT_FOUND and commits nothing', async () => {
    const { dir, reg } = await withVersions();
    const count = commitCount(dir);
    await expect(reg.alias({ model: 'churn', alias: 'champion', version: '9.9.9' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.alias({ model: 'churn', alias: 'nosuch' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.alias({ model: 'churn', alias: 'Champion', version: '1.0.0' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(commitCount(dir)).toBe(count);
    expect(gitStatus(dir)).toBe('');
  });
});

describe('transitions', () => {
  it('a promotion diff is exactly the stage line', async () => {
    const { dir, reg } = await fresh();
    await reg.register({ model: 'churn', artifact: 's3://one', metrics: { auc: 0.9 } });
    const before = headCommit(dir);
    const r = await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
    expect(r).toMatchObject({ model: 'churn', version: '1.0.0', from: 'None', stage: 'Staging', allowed: true, archived: [], commit: headCommit(dir) });
    expectOneCommit(dir, before, {
      subject: 'promote churn 1.0.0: None -> Staging',
      trailers: { 'Modelreg-Action': 'transition', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0', 'Modelreg-From': 'None', 'Modelreg-To': 'Staging' },
      files: [V('churn', '1.0.0')],
    });
    const lines = diffLines(dir, 'HEAD~1', 'HEAD', V('churn', '1.0.0'));
    expect(lines).toEqual(['-stage: None', '+stage: Staging']);
    expect(lines.filter((l) => l.startsWith('-stage:'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('+stage:'))).toHaveLength(1);
    expect(git(dir, ['show', '--stat', '--format=', 'HEAD']).stdout).toContain('1 file changed, 1 insertion(+), 1 deletion(-)');
  });

  it('a hand-written comment in a version file survives a transition', async () => {
    const { dir, reg } = await fresh();
    await reg.register({ model: 'churn', artifact: 's3://one' });
    const file = V('churn', '1.0.0');
    const original = await readFile(join(dir, file), 'utf8');
    const handEdited = original
      .replace('model: churn\n', '# Reviewed by Bob on 2024-03-02: the March data had a leak, see #41.\nmodel: churn\n')
      .replace('stage: None\n', 'stage: None # waits for the leak fix\n')
      .concat('# end of file note\n');
    await commitFiles(dir, { [file]: handEdited }, 'annotate churn 1.0.0', { who: BOB });
    const before = headCommit(dir);
    await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging', message: 'leak fixed' });
    expect(await readFile(join(dir, file), 'utf8')).toBe(handEdited.replace('stage: None # waits', 'stage: Staging # waits'));
    expect(diffLines(dir, 'HEAD~1', 'HEAD', file)).toEqual(['-stage: None # waits for the leak fix', '+stage: Staging # waits for the leak fix']);
    expectOneCommit(dir, before, {
      subject: 'promote churn 1.0.0: None -> Staging',
      trailers: { 'Modelreg-Action': 'transition', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0', 'Modelreg-From': 'None', 'Modelreg-To': 'Staging' },
      files: [file],
    });
    expect(gitLog(dir)[0].message).toContain('\n\nleak fixed\n\n');
  });

  it('entering an exclusive stage archives the previous holder in the same commit', async () => {
    const policy = policyYaml({ rules: [{ from: '*', to: '*' }] });
    const { dir, reg } = await fresh({
      'policies/default.yaml': policy,
      'registry/churn/model.yaml': modelYaml('churn'),
      [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0', 'Production'),
      [V('churn', '1.1.0')]: versionYaml('churn', '1.1.0', 'Staging'),
    });
    const before = headCommit(dir);
    const r = await reg.transition({ model: 'churn', version: '1.1.0', stage: 'Production' });
    expect(r.archived).toEqual(['1.0.0']);
    expectOneCommit(dir, before, {
      subject: 'promote churn 1.1.0: Staging -> Production',
      trailers: {
        'Modelreg-Action': 'transition', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.1.0', 'Modelreg-From': 'Staging', 'Modelreg-To': 'Production', 'Modelreg-Archived': '1.0.0',
      },
      files: [V('churn', '1.0.0'), V('churn', '1.1.0')],
    });
    expect(diffLines(dir, 'HEAD~1', 'HEAD', V('churn', '1.0.0'))).toEqual(['-stage: Production', '+stage: Archived']);
    expect(diffLines(dir, 'HEAD~1', 'HEAD', V('churn', '1.1.0'))).toEqual(['-stage: Staging', '+stage: Production']);
    expect(await stageOf(dir, V('churn', '1.0.0'))).toBe('Archived');
    expect((await reg.resolve({ uri: 'models:/churn/Production' })).version).toBe('1.1.0');
    expect((await reg.resolve({ uri: 'models:/churn/Production', at: 'HEAD~1' })).version).toBe('1.0.0');
  });

  it('a transition the policy denies is DENIED and commits nothing', async () => {
    const { dir, reg } = await fresh();
    await reg.register({ model: 'churn', artifact: 's3://one' });
    const count = commitCount(dir);
    // The default policy has no None -> Production move.
    const err = await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Production' }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.code).toBe('DENIED');
    expect(commitCount(dir)).toBe(count);
    expect(gitStatus(dir)).toBe('');
    expect(await stageOf(dir, V('churn', '1.0.0'))).toBe('None');
  });
});

describe('history', () => {
  it('shows registrations and a hand edit committed with plain git, newest first', async () => {
    const { dir, reg, clock } = await fresh();
    const c1 = (await reg.register({ model: 'churn', artifact: 's3://one' })).commit;
    clock.advance(86_400_000);
    const c2 = (await reg.register({ model: 'churn', artifact: 's3://two' })).commit;
    await reg.register({ model: 'iris', artifact: 's3://iris' });
    const modelFile = 'registry/churn/model.yaml';
    const text = await readFile(join(dir, modelFile), 'utf8');
    const c4 = await commitFiles(dir, {
      [modelFile]: text.replace('owners:', 'description: Edited by hand\nowners:'),
      [V('churn', '1.1.0')]: (await readFile(join(dir, V('churn', '1.1.0')), 'utf8')).replace('stage: None', 'stage: Staging'),
    }, 'Describe churn and stage 1.1.0 by hand', { who: BOB });

    const h = await reg.history({ model: 'churn' });
    expect(h.entries.map((e) => e.commit)).toEqual([c4, c2, c1]);
    const [hand, second, first] = h.entries;
    expect(hand).toMatchObject({ author: BOB.email, authorName: BOB.name, subject: 'Describe churn and stage 1.1.0 by hand' });
    expect(hand.action).toBeUndefined();
    expect(hand.events.map(({ description, ...e }) => e)).toEqual([
      { type: 'description', model: 'churn', to: 'Edited by hand' },
      { type: 'transition', model: 'churn', version: '1.1.0', from: 'None', to: 'Staging' },
    ]);
    expect(hand.events.map((e) => e.description)).toEqual(['churn: description changed', 'churn 1.1.0: None → Staging']);
    expect(second).toMatchObject({ author: ADA.email, action: 'register', subject: 'register churn 1.1.0', time: '2024-03-02T09:00:00.000Z' });
    expect(second.events.map(({ description, ...e }) => e)).toEqual([{ type: 'register', model: 'churn', version: '1.1.0', stage: 'None' }]);
    expect(first.events.map(({ description, ...e }) => e)).toEqual([{ type: 'model-create', model: 'churn' }, { type: 'register', model: 'churn', version: '1.0.0', stage: 'None' }]);
    expect(first.time).toBe('2024-03-01T09:00:00.000Z');

    const all = await reg.history();
    expect(all.entries.map((e) => e.subject)).toEqual(['Describe churn and stage 1.1.0 by hand', 'register iris 1.0.0', 'register churn 1.1.0', 'register churn 1.0.0']);
    expect((await reg.history({ limit: 2 })).entries).toHaveLength(2);
    expect((await reg.history({ since: c2 })).entries.map((e) => e.commit)).toEqual([c4, all.entries[1].commit]);
  });
});
