/**
 * Bad input, through the library (error `code`) and the built CLI (exit code and message):
 * every refusal leaves the repository as it was: no commit, clean status, no stray file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import {
  ADA, CONFIG_YAML, commitCount, git, gitStatus, headCommit, homeDir, listTree, makeRepo, modelYaml, runCli, tempDir, versionYaml,
} from '../helpers/repo.js';

const V = (m: string, v: string) => `registry/${m}/versions/${v}.yaml`;

/** A registry with churn 1.0.0 and 1.1.0 (both None). */
async function registry(extra: Record<string, string> = {}) {
  return makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'README.md': '# Our models\n',
    'registry/churn/model.yaml': modelYaml('churn'),
    [V('churn', '1.0.0')]: versionYaml('churn', '1.0.0'),
    [V('churn', '1.1.0')]: versionYaml('churn', '1.1.0'),
    ...extra,
  });
}

/** Everything under the repository's private parent folder, .git included, with file contents of the work tree. */
async function fingerprint(dir: string) {
  const parent = dirname(dir);
  const paths = await listTree(parent);
  return { paths: paths.filter((p) => !/\.git\/(index|logs\/|ORIG_HEAD|FETCH_HEAD)/.test(p)), head: headCommit(dir), count: commitCount(dir), status: gitStatus(dir) };
}

/** The refusal changed nothing: same commit, same count, clean status, no new or removed file anywhere. */
async function expectUnchanged(dir: string, before: Awaited<ReturnType<typeof fingerprint>>) {
  const after = await fingerprint(dir);
  expect(after.head).toBe(before.head);
  expect(after.count).toBe(before.count);
  expect(after.status).toBe(before.status);
  expect(after.paths).toEqual(before.paths);
}

describe('library: refusals by code, and nothing committed', () => {
  async function open() {
    const dir = await registry();
    const reg = await openRegistry({ dir, identity: ADA, now: () => new Date('2024-03-01T09:00:00Z'), env: {} });
    return { dir, reg, before: await fingerprint(dir) };
  }

  it.each([
    ['a duplicate version', { model: 'churn', artifact: 's3://x', version: '1.1.0' }, 'VERSION_EXISTS'],
    ['a version below the highest', { model: 'churn', artifact: 's3://x', version: '1.0.5' }, 'INVALID_VERSION'],
    ['a version below the highest, as a pre-release', { model: 'churn', artifact: 's3://x', version: '1.1.0-rc.1' }, 'INVALID_VERSION'],
    ['a version that is not semver (v prefix)', { model: 'churn', artifact: 's3://x', version: 'v2.0.0' }, 'INVALID_VERSION'],
    ['a version that is not semver (two parts)', { model: 'churn', artifact: 's3://x', version: '2.0' }, 'INVALID_VERSION'],
    ['a non-numeric metric', { model: 'churn', artifact: 's3://x', metrics: { auc: 'high' } }, 'BAD_INPUT'],
    ['a NaN metric', { model: 'churn', artifact: 's3://x', metrics: { auc: Number.NaN } }, 'BAD_INPUT'],
    ['an infinite metric', { model: 'churn', artifact: 's3://x', metrics: { auc: 'Infinity' } }, 'BAD_INPUT'],
    ['an empty metric', { model: 'churn', artifact: 's3://x', metrics: { auc: '' } }, 'BAD_INPUT'],
    ['a bad metric name', { model: 'churn', artifact: 's3://x', metrics: { '1st': 1 } }, 'BAD_INPUT'],
    ['a bad tag name', { model: 'churn', artifact: 's3://x', tags: { 'a b': 'c' } }, 'BAD_INPUT'],
    ['both --version and --bump', { model: 'churn', artifact: 's3://x', version: '2.0.0', bump: 'major' }, 'BAD_INPUT'],
    ['an unknown bump', { model: 'churn', artifact: 's3://x', bump: 'huge' }, 'BAD_INPUT'],
    ['no artifact', { model: 'churn', artifact: '' }, 'BAD_INPUT'],
    ['a missing --file', { model: 'churn', artifact: 's3://x', file: '/nonexistent/model.pkl' }, 'BAD_INPUT'],
    ['the model name ../evil', { model: '../evil', artifact: 's3://x' }, 'INVALID_NAME'],
    ['the model name a\\b', { model: 'a\\b', artifact: 's3://x' }, 'INVALID_NAME'],
    ['an absolute model name', { model: '/tmp/evil', artifact: 's3://x' }, 'INVALID_NAME'],
    ['a model name with two namespaces', { model: 'a/b/c', artifact: 's3://x' }, 'INVALID_NAME'],
    ['a model name with a look-alike letter', { model: 'ch\u0430rn', artifact: 's3://x' }, 'INVALID_NAME'],
    ['a model name with NUL', { model: 'churn\u0000', artifact: 's3://x' }, 'INVALID_NAME'],
  ] as const)('register with %s is %s', async (_why, input, code) => {
    const { dir, reg, before } = await open();
    await expect(reg.register(input as Parameters<typeof reg.register>[0])).rejects.toMatchObject({ code });
    await expectUnchanged(dir, before);
  });

  it('a duplicate version says which version exists and how to pick the next one', async () => {
    const { reg } = await open();
    const err = await reg.register({ model: 'churn', artifact: 's3://x', version: '1.1.0' }).catch((e) => e);
    expect(err.code).toBe('VERSION_EXISTS');
    expect(err.data).toEqual({ model: 'churn', version: '1.1.0' });
    expect(err.message).toContain('churn 1.1.0 is already registered');
    expect(err.message).toContain('--bump minor');
  });

  it('reads of what does not exist are NOT_FOUND', async () => {
    const { dir, reg, before } = await open();
    await expect(reg.show({ model: 'nosuch' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { model: 'nosuch' } });
    await expect(reg.show({ model: 'churn', version: '3.0.0' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.resolve({ uri: 'models:/nosuch/latest' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.resolve({ uri: 'models:/churn/Production' })).rejects.toMatchObject({ code: 'NOT_FOUND', data: { uri: 'models:/churn/Production' } });
    await expect(reg.resolve({ uri: 'models:/churn@champion' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.resolve({ uri: 'not-a-uri' })).rejects.toMatchObject({ code: 'INVALID_URI' });
    await expect(reg.transition({ model: 'nosuch', version: '1.0.0', stage: 'Staging' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reg.tag({ model: 'churn', version: '9.0.0', set: { a: 'b' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expectUnchanged(dir, before);
  });

  it('without an identity a write is NO_IDENTITY and says how to set one', async () => {
    const dir = await registry();
    const before = await fingerprint(dir);
    const home = await tempDir('mrcore-emptyhome-');
    const reg = await openRegistry({ dir, env: { HOME: home } });
    const err = await reg.register({ model: 'churn', artifact: 's3://x' }).catch((e) => e);
    expect(err.code).toBe('NO_IDENTITY');
    expect(err.message).toContain('git config --global user.name');
    expect(err.message).toContain('GIT_AUTHOR_NAME');
    await expectUnchanged(dir, before);
  });

  it('takes the identity from the repository config when the environment has none', async () => {
    const dir = await registry();
    git(dir, ['config', 'user.name', 'Repo Person']);
    git(dir, ['config', 'user.email', 'repo@example.com']);
    const reg = await openRegistry({ dir, env: { HOME: await tempDir('mrcore-emptyhome-') } });
    await reg.register({ model: 'churn', artifact: 's3://x' });
    expect(git(dir, ['log', '-1', '--format=%an <%ae>']).stdout.trim()).toBe('Repo Person <repo@example.com>');
  });

  it('an uncommitted edit to a file the operation would touch is DIRTY, and the edit is kept', async () => {
    const { dir, reg } = await open();
    const file = V('churn', '1.0.0');
    const edited = `${await readFile(join(dir, file), 'utf8')}# my uncommitted note\n`;
    await writeFile(join(dir, file), edited);
    const count = commitCount(dir);
    const err = await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' }).catch((e) => e);
    expect(err.code).toBe('DIRTY');
    expect(err.data).toEqual({ files: [file] });
    expect(await readFile(join(dir, file), 'utf8')).toBe(edited);
    expect(gitStatus(dir)).toBe(` M ${file}`);
    expect(commitCount(dir)).toBe(count);
    // Staged, the edit still blocks.
    git(dir, ['add', file]);
    await expect(reg.tag({ model: 'churn', version: '1.0.0', set: { a: 'b' } })).rejects.toMatchObject({ code: 'DIRTY' });
    expect(gitStatus(dir)).toBe(`M  ${file}`);
    expect(await readFile(join(dir, file), 'utf8')).toBe(edited);
    expect(commitCount(dir)).toBe(count);
  });

  it('an untracked file where register would write is DIRTY, and the file is kept', async () => {
    const { dir, reg } = await open();
    const file = V('churn', '1.2.0');
    await writeFile(join(dir, file), 'my draft\n');
    const count = commitCount(dir);
    await expect(reg.register({ model: 'churn', artifact: 's3://x' })).rejects.toMatchObject({ code: 'DIRTY', data: { files: [file] } });
    expect(await readFile(join(dir, file), 'utf8')).toBe('my draft\n');
    expect(commitCount(dir)).toBe(count);
  });

  it('an uncommitted edit to an unrelated file does not block a write and is kept', async () => {
    const { dir, reg } = await open();
    await writeFile(join(dir, 'README.md'), '# Our models\n\nwork in progress\n');
    const r = await reg.register({ model: 'churn', artifact: 's3://x' });
    expect(r.version).toBe('1.2.0');
    expect(gitStatus(dir)).toBe(' M README.md');
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('# Our models\n\nwork in progress\n');
  });
});

describe('CLI: refusals by exit code and message, and nothing committed', () => {
  // A refusal changes nothing (each test checks that against its own fingerprint), so the
  // refusal tests share one repository.
  let shared: string;
  beforeAll(async () => { shared = await registry(); });

  it.each([
    ['a duplicate version', ['register', 'churn', '--artifact', 's3://x', '--version', '1.1.0'], /churn 1\.1\.0 is already registered/],
    ['a version below the highest', ['register', 'churn', '--artifact', 's3://x', '--version', '1.0.5'], /1\.0\.5 is lower than the highest version 1\.1\.0/],
    ['a bad semver', ['register', 'churn', '--artifact', 's3://x', '--version', 'v2'], /Invalid version "v2"/],
    ['a non-numeric metric', ['register', 'churn', '--artifact', 's3://x', '--metric', 'auc=high'], /Metric auc=high is not a finite number/],
    ['a NaN metric', ['register', 'churn', '--artifact', 's3://x', '--metric', 'auc=NaN'], /Metric auc=NaN is not a finite number/],
    ['a metric without a value', ['register', 'churn', '--artifact', 's3://x', '--metric', 'auc'], /expected metric as KEY=VALUE/],
    ['an unknown bump', ['register', 'churn', '--artifact', 's3://x', '--bump', 'huge'], /Invalid bump "huge"/],
    ['a missing --artifact', ['register', 'churn'], /--artifact/],
    ['an invalid URI', ['resolve', 'churn/1.0.0'], /Invalid model URI "churn\/1\.0\.0"/],
    ['a history --limit that is not a number', ['history', 'churn', '--limit', 'x'], /--limit <n>' argument 'x' is invalid\. expected a whole number of at least 1/],
    ['a history --limit of 0', ['history', 'churn', '--limit', '0'], /expected a whole number of at least 1, got '0'/],
    ['a search --limit that is a fraction', ['search', '--limit', '2.5'], /expected a whole number of at least 1, got '2\.5'/],
  ])('%s exits 2', async (_why, args, message) => {
    const dir = shared;
    const before = await fingerprint(dir);
    const r = await runCli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    await expectUnchanged(dir, before);
  });

  it.each([['../evil'], ['a\\b'], ['../../escape'], ['/tmp/evil'], ['ch\u0430rn'], ['team/../../x']])('the model name %j exits 2 and creates no file anywhere', async (name) => {
    const dir = shared;
    const before = await fingerprint(dir);
    const r = await runCli(['register', name, '--artifact', 's3://x'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid model name');
    await expectUnchanged(dir, before);
  });

  it.each([
    ['show of an unknown model', ['show', 'nosuch'], /No model named 'nosuch'/],
    ['show of an unknown version', ['show', 'churn', '3.0.0'], /churn has no version 3\.0\.0\. Its versions: 1\.1\.0, 1\.0\.0\./],
    ['resolve of an unknown model', ['resolve', 'models:/nosuch/latest'], /No model named 'nosuch'/],
    ['resolve with no version in the stage', ['resolve', 'models:/churn/Production'], /churn has no version in stage Production/],
    ['resolve of an unknown alias', ['resolve', 'models:/churn@champion'], /churn has no alias @champion/],
    ['resolve of an empty range', ['resolve', 'models:/churn/^4'], /no version in range \^4/],
  ])('%s exits 4', async (_why, args, message) => {
    const dir = shared;
    const before = await fingerprint(dir);
    const r = await runCli(args, { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    await expectUnchanged(dir, before);
  });

  it('without an identity (empty HOME, no GIT_AUTHOR_*) a write exits 2 and says how to set it', async () => {
    const dir = await registry();
    const before = await fingerprint(dir);
    const r = await runCli(['register', 'churn', '--artifact', 's3://x'], { cwd: dir, env: { GIT_AUTHOR_NAME: undefined, GIT_AUTHOR_EMAIL: undefined, HOME: await tempDir('mrcore-emptyhome-') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Git does not know who you are');
    expect(r.stderr).toContain('git config --global user.name "Your Name"');
    expect(r.stderr).toContain('git config --global user.email you@example.com');
    expect(r.stderr).toContain('GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL');
    await expectUnchanged(dir, before);
    // --json reports the code.
    const j = await runCli(['register', 'churn', '--artifact', 's3://x', '--json'], { cwd: dir, env: { GIT_AUTHOR_NAME: undefined, GIT_AUTHOR_EMAIL: undefined } });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.code).toBe('NO_IDENTITY');
  });

  it('an uncommitted edit to the file a transition would touch exits 3, and the edit is kept', async () => {
    const dir = await registry();
    const file = V('churn', '1.0.0');
    const edited = (await readFile(join(dir, file), 'utf8')).replace('stage: None', 'stage: None # editing by hand');
    await writeFile(join(dir, file), edited);
    const before = await fingerprint(dir);
    const r = await runCli(['transition', 'churn', '1.0.0', 'Staging'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file} has uncommitted changes that this command would overwrite`);
    expect(r.stderr).toContain('git stash');
    expect(await readFile(join(dir, file), 'utf8')).toBe(edited);
    expect(gitStatus(dir)).toBe(` M ${file}`);
    await expectUnchanged(dir, before);
    // The same edit does not block a change to another file.
    const ok = await runCli(['tag', 'set', 'churn', '1.1.0', 'team=growth'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(await readFile(join(dir, file), 'utf8')).toBe(edited);
    expect(gitStatus(dir)).toBe(` M ${file}`);
  });

  it('--json on success prints one JSON document on stdout and nothing on stderr', async () => {
    const dir = await registry();
    const r = await runCli(['register', 'churn', '--artifact', 's3://x', '--metric', 'auc=0.93', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ model: 'churn', version: '1.2.0', stage: 'None', commit: headCommit(dir) });
    for (const args of [['list'], ['show', 'churn'], ['show', 'churn', '1.2.0'], ['resolve', 'models:/churn/latest'], ['history', 'churn']]) {
      const read = await runCli([...args, '--json'], { cwd: dir });
      expect(read.code, args.join(' ')).toBe(0);
      expect(read.stderr, args.join(' ')).toBe('');
      expect(() => JSON.parse(read.stdout), args.join(' ')).not.toThrow();
    }
  });

  it('--json on a refusal prints the error as JSON on stdout and the message on stderr', async () => {
    const dir = shared;
    const before = await fingerprint(dir);
    const r = await runCli(['register', 'churn', '--artifact', 's3://x', '--version', '1.0.0', '--json'], { cwd: dir });
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout);
    expect(body.error).toMatchObject({ code: 'VERSION_EXISTS', data: { model: 'churn', version: '1.0.0' } });
    expect(body.error.message).toContain('is already registered');
    expect(r.stderr).toContain('is already registered');
    const nf = await runCli(['resolve', 'models:/churn/Production', '--json'], { cwd: dir });
    expect(nf.code).toBe(4);
    expect(JSON.parse(nf.stdout).error.code).toBe('NOT_FOUND');
    await expectUnchanged(dir, before);
  });

  it('outside a repository, a read exits 4 and says how to make one', async () => {
    const dir = await tempDir('mrcore-norepo-');
    const r = await runCli(['list'], { cwd: dir, env: { HOME: await homeDir() } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/is not inside a Git repository\. Run `modelreg init`/);
  });
});
