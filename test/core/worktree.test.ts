/**
 * A registry used from a linked worktree (`git worktree add`): its `.git` is a file, its own
 * gitdir holds HEAD and the index, and the objects, branches and config are shared with the
 * main checkout. Writes from it must land where Git and the other worktrees see them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, git, gitFsck, gitStatus, headCommit, makeRepo, modelYaml, runCli, tempDir, versionYaml } from '../helpers/repo.js';

let main: string;
let wt: string;
let mainTip: string;

beforeAll(async () => {
  main = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0'),
  });
  wt = join(await tempDir('mrcore-wt-'), 'feature');
  git(main, ['worktree', 'add', '-q', '-b', 'feature', wt]);
  mainTip = headCommit(main);
});

function expectClean(dir: string): void {
  const fsck = gitFsck(dir);
  expect(fsck.code, fsck.output).toBe(0);
  expect(fsck.output).not.toMatch(/missing|broken|error/i);
  expect(gitStatus(dir)).toBe('');
}

describe('a linked worktree', () => {
  it('registers and transitions on its own branch, as Git sees it, leaving the main checkout alone', async () => {
    const r = await runCli(['register', 'churn', '--artifact', 's3://models/churn/1.1.0', '--metric', 'accuracy=0.9'], { cwd: wt });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Registered churn 1\.1\.0 \(None\) in [0-9a-f]{12} on feature\n/);
    const t = await runCli(['transition', 'churn', '1.1.0', 'Staging'], { cwd: wt });
    expect(t.code, t.stderr).toBe(0);
    // Git, in the worktree: two new commits on feature, the files committed, nothing missing.
    expect(git(wt, ['log', '--format=%s', `${mainTip}..feature`]).stdout.trim().split('\n')).toEqual([
      'promote churn 1.1.0: None -> Staging',
      'register churn 1.1.0',
    ]);
    expect(git(wt, ['show', 'feature:registry/churn/versions/1.1.0.yaml']).stdout).toMatch(/^stage: Staging$/m);
    expectClean(wt);
    // The main checkout: the same objects and branches, its own HEAD, index and files untouched.
    expect(headCommit(main)).toBe(mainTip);
    expect(git(main, ['rev-parse', 'feature']).stdout.trim()).toBe(headCommit(wt));
    expectClean(main);
    // modelreg reads the worktree's branch in the worktree, main's in main, and either by ref.
    const here = await runCli(['resolve', 'models:/churn/Staging', '--json'], { cwd: wt });
    expect(JSON.parse(here.stdout)).toMatchObject({ version: '1.1.0', stage: 'Staging' });
    const there = await runCli(['resolve', 'models:/churn/latest', '--json'], { cwd: main });
    expect(JSON.parse(there.stdout)).toMatchObject({ version: '1.0.0' });
    const byRef = await runCli(['resolve', 'models:/churn/Staging', '--at', 'feature', '--json'], { cwd: main });
    expect(JSON.parse(byRef.stdout)).toMatchObject({ version: '1.1.0' });
  });

  it('lists each checkout\'s branch from one cache in the shared gitdir, and checks its own branch', async () => {
    for (const [dir, latest] of [[wt, '1.1.0'], [main, '1.0.0'], [wt, '1.1.0']]) {
      const l = await runCli(['list', '--json'], { cwd: dir });
      expect(l.code, l.stderr).toBe(0);
      expect(JSON.parse(l.stdout).models.map((m: { name: string; latest: string }) => [m.name, m.latest])).toEqual([['churn', latest]]);
    }
    expect(existsSync(join(main, '.git', 'modelreg', 'cache'))).toBe(true);
    expect(existsSync(join(main, '.git', 'worktrees', 'feature', 'modelreg'))).toBe(false);
    const c = await runCli(['check'], { cwd: wt });
    expect(c.code, c.stdout + c.stderr).toBe(0);
  });

  it('refuses to move a branch another checkout has checked out, and writes nothing', async () => {
    const before = headCommit(wt);
    const r = await runCli(['register', 'churn', '--artifact', 's3://models/churn/9.0.0', '--branch', 'feature'], { cwd: main });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`modelreg: feature is checked out in ${wt}; changing it from here would leave that checkout's files and index behind the branch. Run the command there, or switch that checkout to another branch first.\n`);
    expect(headCommit(wt)).toBe(before);
    expect(headCommit(main)).toBe(mainTip);
    expectClean(wt);
    expectClean(main);
  });

  it('doctor in one checkout clears what a dead writer of another left, and keeps every checkout\'s cache', async () => {
    // Cached model states for both branches.
    for (const dir of [main, wt]) expect((await runCli(['show', 'churn'], { cwd: dir })).code).toBe(0);
    const models = join(main, '.git', 'modelreg', 'cache', 'models-v1');
    const cacheEntries = () => readdirSync(models).filter((d) => /^[0-9a-f]{2}$/.test(d)).reduce((n, d) => n + readdirSync(join(models, d)).filter((f) => f.endsWith('.json')).length, 0);
    // (entries of the folder at the two tips, and of states in between, which doctor may prune)
    const cachedBefore = cacheEntries();
    const folderEntries = () => ['stages-v2', 'numbers-v1', 'folders-v1', 'trees-v1'].reduce((n, d) => n + (existsSync(join(main, '.git', 'modelreg', 'cache', d)) ? readdirSync(join(main, '.git', 'modelreg', 'cache', d)).length : 0), 0);
    const folderEntriesBefore = folderEntries();
    expect(cachedBefore).toBeGreaterThanOrEqual(2);
    // A writer in the worktree died holding the repository lock, feature's ref lock and its index.lock.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const wtGitdir = join(main, '.git', 'worktrees', 'feature');
    await writeFile(join(main, '.git', 'modelreg.lock'), JSON.stringify({ pid: dead, host: hostname(), token: 't', ref: 'refs/heads/feature', at: new Date().toISOString(), gitdir: wtGitdir }));
    await writeFile(join(main, '.git', 'refs', 'heads', 'feature.lock'), '');
    await writeFile(join(wtGitdir, 'index.lock'), '');
    // A live git in the main checkout holds its own index.lock: not the dead writer's to clear.
    await writeFile(join(main, '.git', 'index.lock'), '');
    try {
      const d = await runCli(['doctor', '--json'], { cwd: main });
      expect(d.code, d.stderr).toBe(0);
      const report = JSON.parse(d.stdout);
      expect([...report.removedLocks].sort()).toEqual([
        join(main, '.git', 'modelreg.lock'), join(main, '.git', 'refs', 'heads', 'feature.lock'), join(wtGitdir, 'index.lock'),
      ].sort());
      // The model states of the two tips stay; so do the stages, numbers, summaries and large trees of their folders.
      expect(cacheEntries()).toBe(2);
      expect(report.prunedCacheEntries).toBe(cachedBefore - 2 + folderEntriesBefore - folderEntries());
      expect(existsSync(join(main, '.git', 'index.lock'))).toBe(true);
    } finally {
      await unlink(join(main, '.git', 'index.lock')).catch(() => undefined);
    }
    expect(cacheEntries()).toBe(2);
    const r = await runCli(['tag', 'set', 'churn', '1.1.0', 'reviewed=yes'], { cwd: wt });
    expect(r.code, r.stderr).toBe(0);
    expectClean(wt);
  });

  it('a writer in one checkout clears the lock a dead writer of another left, and that writer\'s index.lock', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(main, '.git', 'modelreg.lock'), JSON.stringify({ pid: dead, host: hostname(), token: 't', ref: 'refs/heads/main', at: new Date().toISOString(), gitdir: join(main, '.git') }));
    await writeFile(join(main, '.git', 'index.lock'), '');
    const r = await runCli(['tag', 'set', 'churn', '1.1.0', 'owner=ml-platform'], { cwd: wt });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(main, '.git', 'modelreg.lock'))).toBe(false);
    expect(existsSync(join(main, '.git', 'index.lock'))).toBe(false);
    expectClean(wt);
    expectClean(main);
    // An index.lock older than the dead writer's lock was not its: a git process that was there
    // first holds it, and it stays.
    const at = new Date();
    await writeFile(join(main, '.git', 'index.lock'), '');
    const earlier = new Date(at.getTime() - 60_000);
    await utimes(join(main, '.git', 'index.lock'), earlier, earlier);
    await writeFile(join(main, '.git', 'modelreg.lock'), JSON.stringify({ pid: dead, host: hostname(), token: 't', ref: 'refs/heads/main', at: at.toISOString(), gitdir: join(main, '.git') }));
    try {
      const again = await runCli(['tag', 'set', 'churn', '1.1.0', 'owner=ml-research'], { cwd: wt });
      expect(again.code, again.stderr).toBe(0);
      expect(existsSync(join(main, '.git', 'modelreg.lock'))).toBe(false);
      expect(existsSync(join(main, '.git', 'index.lock'))).toBe(true);
    } finally {
      await unlink(join(main, '.git', 'index.lock')).catch(() => undefined);
    }
  });

  it('reads and writes with packed refs (git pack-refs --all)', async () => {
    git(main, ['pack-refs', '--all']);
    expect(existsSync(join(main, '.git', 'refs', 'heads', 'feature'))).toBe(false);
    const before = headCommit(wt);
    const show = await runCli(['show', 'churn', '1.1.0', '--json'], { cwd: wt });
    expect(JSON.parse(show.stdout)).toMatchObject({ version: '1.1.0', stage: 'Staging' });
    const r = await runCli(['describe', 'churn', '1.1.0', 'Retrained on October data'], { cwd: wt });
    expect(r.code, r.stderr).toBe(0);
    expect(git(wt, ['rev-parse', 'feature~1']).stdout.trim()).toBe(before);
    expect(git(main, ['log', '-1', '--format=%s', 'feature']).stdout.trim()).toMatch(/^describe churn 1\.1\.0/);
    expectClean(wt);
  });

  it('names a checkout whose folder is gone (prunable) and says to prune it', async () => {
    const gone = join(await tempDir('mrcore-wt-gone-'), 'old');
    git(main, ['worktree', 'add', '-q', '-b', 'abandoned', gone]);
    await rm(gone, { recursive: true, force: true });
    const r = await runCli(['register', 'churn', '--artifact', 's3://models/churn/7.0.0', '--branch', 'abandoned'], { cwd: main });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`modelreg: abandoned is checked out in ${gone}; changing it from here would leave that checkout's files and index behind the branch. That folder is gone: run \`git worktree prune\`, then try again.\n`);
    git(main, ['worktree', 'prune']);
    const again = await runCli(['register', 'churn', '--artifact', 's3://models/churn/7.0.0', '--branch', 'abandoned'], { cwd: main });
    expect(again.code, again.stderr).toBe(0);
    expectClean(main);
  });

  it('with a bare repository and linked worktrees, the bare HEAD is no checkout', async () => {
    const parent = await tempDir('mrcore-bare-');
    const bare = join(parent, 'proj', '.git');
    git(parent, ['clone', '-q', '--bare', main, bare]);
    const one = join(parent, 'one');
    git(bare, ['worktree', 'add', '-q', '-b', 'one', one, 'main']);
    const before = git(bare, ['rev-parse', 'main']).stdout.trim();
    // main is the bare repository's HEAD, checked out nowhere: a --branch write to it is fine.
    const r = await runCli(['register', 'churn', '--artifact', 's3://models/churn/3.0.0', '--branch', 'main'], { cwd: one });
    expect(r.code, r.stderr).toBe(0);
    expect(git(bare, ['rev-parse', 'main~1']).stdout.trim()).toBe(before);
    expect(git(bare, ['log', '-1', '--format=%s', 'main']).stdout.trim()).toBe('register churn 1.1.0');
    expect(git(bare, ['ls-tree', '--name-only', 'main', 'registry/churn/versions/']).stdout.trim().split('\n')).toEqual([
      'registry/churn/versions/1.0.0.yaml', 'registry/churn/versions/1.1.0.yaml',
    ]);
    expect(git(bare, ['fsck', '--strict', '--no-progress']).code).toBe(0);
    expectClean(one);
  });

  it('takes the repository lock in the shared gitdir, so writers of every worktree exclude each other', async () => {
    const before = headCommit(wt);
    // A live process (this test) holds the main checkout's lock.
    const lock = join(main, '.git', 'modelreg.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), token: 't', at: new Date().toISOString() }));
    try {
      const reg = await openRegistry({ dir: wt, identity: ADA, env: {}, lockTimeoutMs: 200 });
      await expect(reg.register({ model: 'churn', artifact: 's3://models/churn/1.2.0' })).rejects.toMatchObject({ code: 'LOCKED' });
    } finally {
      const { unlink } = await import('node:fs/promises');
      await unlink(lock);
    }
    expect(headCommit(wt)).toBe(before);
    expectClean(wt);
  });
});
