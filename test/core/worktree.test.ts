/**
 * A registry used from a linked worktree (`git worktree add`): its `.git` is a file, its own
 * gitdir holds HEAD and the index, and the objects, branches and config are shared with the
 * main checkout. Writes from it must land where Git and the other worktrees see them.
 */
import { writeFile } from 'node:fs/promises';
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

  it('lists from the shared cache and checks its own branch', async () => {
    for (const dir of [wt, wt]) {
      const l = await runCli(['list', '--json'], { cwd: dir });
      expect(l.code, l.stderr).toBe(0);
      expect(JSON.parse(l.stdout).models.map((m: { name: string; latest: string }) => [m.name, m.latest])).toEqual([['churn', '1.1.0']]);
    }
    const c = await runCli(['check'], { cwd: wt });
    expect(c.code, c.stdout + c.stderr).toBe(0);
  });

  it('takes the repository lock in the shared gitdir, so writers of every worktree exclude each other', async () => {
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
    expect(git(wt, ['log', '-1', '--format=%s']).stdout.trim()).toBe('promote churn 1.1.0: None -> Staging');
    expectClean(wt);
  });
});
