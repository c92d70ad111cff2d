/**
 * The write path's inputs: the branch it writes is decided by the committed modelreg.yaml, not
 * the working tree; time and randomness come from the context; and the push-retry loop, on its
 * own and against a real smart-HTTP remote whose branch moves under two pushes.
 */
import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { RegistryError } from '../../src/errors/index.js';
import { backoffMs, retryPush, type Attempt, type RetrySteps } from '../../src/ops/push-retry.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { ADA, CONFIG_YAML, baseEnv, fixedClock, git, headCommit, homeDir, makeRepo, modelYaml, tempDir, versionYaml } from '../helpers/repo.js';

/** Git against the test's own HTTP server must not block this process's event loop (spawnSync would). */
async function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, { cwd, env: { ...baseEnv(await homeDir()), GIT_CONFIG_GLOBAL: '/dev/null' } });
  return stdout;
}

const MODEL = { 'registry/churn/model.yaml': modelYaml('churn'), 'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0') };

describe('the branch a write goes to', () => {
  it('an uncommitted `branch:` in modelreg.yaml does not move a write off the checked-out branch', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, ...MODEL });
    const before = headCommit(dir);
    await writeFile(join(dir, 'modelreg.yaml'), `${CONFIG_YAML}branch: elsewhere\n`);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    const out = await reg.tag({ model: 'churn', set: { team: 'growth' } });
    expect(out.branch).toBe('main');
    expect(headCommit(dir, 'main^')).toBe(before);
    expect(out.commit).toBe(headCommit(dir, 'main'));
    expect(git(dir, ['rev-parse', '--verify', '-q', 'refs/heads/elsewhere'], { allowFail: true }).code).not.toBe(0);
  });

  it('a committed `branch:` decides, even when the working tree has it removed', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': `${CONFIG_YAML}branch: registry\n`, ...MODEL });
    git(dir, ['branch', 'registry']);
    const mainBefore = headCommit(dir, 'main');
    await writeFile(join(dir, 'modelreg.yaml'), CONFIG_YAML);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    const out = await reg.tag({ model: 'churn', set: { team: 'growth' } });
    expect(out.branch).toBe('registry');
    expect(out.commit).toBe(headCommit(dir, 'registry'));
    expect(headCommit(dir, 'main')).toBe(mainBefore);
  });
});

describe('time from the context', () => {
  it('a --branch write without a name takes it from the context clock', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, ...MODEL });
    const clock = fixedClock('2025-02-03T04:05:06.789Z');
    const reg = await openRegistry({ dir, identity: ADA, env: {}, now: clock.now });
    const out = await reg.tag({ model: 'churn', set: { team: 'growth' }, branch: true });
    expect(out.branch).toBe(`modelreg/change-${Date.parse('2025-02-03T04:05:06.789Z')}`);
    expect(git(dir, ['log', '-1', '--format=%at', `refs/heads/${out.branch}`]).stdout.trim()).toBe(String(Date.parse('2025-02-03T04:05:06Z') / 1000));
  });
});

/** Steps that record what the loop asks for; `rejections` pushes are rejected as a lost race. */
function scripted(rejections: number, opts: { failWith?: Error; noChange?: boolean; random?: number } = {}) {
  const calls: string[] = [];
  const waits: number[] = [];
  let n = 0;
  const steps: RetrySteps<Attempt> = {
    async sync() { calls.push('sync'); },
    async commit() { n++; calls.push(`commit ${n}`); return { branch: 'main', commit: opts.noChange ? undefined : `c${n}` }; },
    async push(out) {
      calls.push(`push ${out.commit}`);
      if (opts.failWith) throw opts.failWith;
      if (rejections-- > 0) throw new RegistryError('CONFLICT', 'the branch moved', { rejected: true });
    },
    async drop(out) { calls.push(`drop ${out.commit}`); },
    async sleep(ms) { waits.push(ms); },
    random: () => opts.random ?? 0.5,
  };
  return { steps, calls, waits };
}

describe('retryPush', () => {
  it('after a rejected push: drop that commit, sync, plan and commit again, push again', async () => {
    const { steps, calls, waits } = scripted(2);
    const out = await retryPush(steps);
    expect(out).toEqual({ branch: 'main', commit: 'c3', pushed: true, attempts: 3 });
    expect(calls).toEqual(['sync', 'commit 1', 'push c1', 'drop c1', 'sync', 'commit 2', 'push c2', 'drop c2', 'sync', 'commit 3', 'push c3']);
    expect(waits).toEqual([backoffMs(1, 0.5), backoffMs(2, 0.5)]);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after maxAttempts rejections with CONFLICT, having dropped every rejected commit', async () => {
    const { steps, calls } = scripted(Infinity);
    const e = await retryPush(steps, 16).catch((x) => x);
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.code).toBe('CONFLICT');
    expect(e.data).toEqual({ attempts: 16 });
    expect(calls.filter((c) => c.startsWith('push'))).toHaveLength(16);
    expect(calls.filter((c) => c.startsWith('drop'))).toHaveLength(16);
    expect(calls.at(-1)).toBe('drop c16');
  });

  it('any other push error ends the loop at once, without dropping the commit', async () => {
    const { steps, calls } = scripted(0, { failWith: new RegistryError('BAD_INPUT', 'no token', {}) });
    await expect(retryPush(steps)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(calls).toEqual(['sync', 'commit 1', 'push c1']);
  });

  it('a plan that changes nothing pushes nothing', async () => {
    const { steps, calls } = scripted(0, { noChange: true });
    expect(await retryPush(steps)).toEqual({ branch: 'main', commit: undefined, pushed: false, attempts: 1 });
    expect(calls).toEqual(['sync', 'commit 1']);
  });

  it('backoff: full jitter under 100 ms × 2^attempt, capped at 3 s', () => {
    expect(backoffMs(1, 0)).toBe(0);
    expect(backoffMs(4, 0.999)).toBeCloseTo(1598.4);
    expect(backoffMs(10, 0.5)).toBe(1500);
  });
});

describe('pushWithRetry against a remote whose branch moves under the first two pushes', () => {
  let server: GitServer;
  beforeAll(async () => { server = await startGitServer(); });
  afterAll(async () => { await server?.stop(); });

  it('re-plans on the new tip each time, waits by the context random, and lands one commit on top', async () => {
    const url = await server.createBare('moving');
    const seed = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, ...MODEL });
    await gitAsync(seed, 'push', '-q', url, 'main');
    const bare = join(server.root, 'moving.git');
    // Before the server updates main, the hook moves it (as another client's push would):
    // the server's compare-and-swap then fails and the client sees a lost race.
    await writeFile(join(bare, 'hooks', 'pre-receive'), `#!/bin/sh
n=$(cat "$GIT_DIR/moved" 2>/dev/null || echo 0)
[ "$n" -ge 2 ] && exit 0
echo $((n + 1)) > "$GIT_DIR/moved"
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
tip=$(git rev-parse refs/heads/main)
next=$(GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=o@example.com GIT_COMMITTER_NAME=other GIT_COMMITTER_EMAIL=o@example.com git commit-tree -p "$tip" -m "someone else $n" "$tip^{tree}")
git update-ref refs/heads/main "$next" "$tip"
`);
    await chmod(join(bare, 'hooks', 'pre-receive'), 0o755);
    const client = join(await tempDir(), 'client');
    await gitAsync(await homeDir(), 'clone', '-q', url, client);
    let randoms = 0;
    const reg = await openRegistry({ dir: client, identity: ADA, env: {}, random: () => { randoms++; return 0; } });
    const out = await reg.tag({ model: 'churn', set: { team: 'growth' }, push: true });
    expect(out).toMatchObject({ pushed: true, attempts: 3, branch: 'main' });
    expect(randoms).toBe(2);
    const log = git(await homeDir(), [`--git-dir=${bare}`, 'log', '--format=%H %s', 'main']).stdout.trim().split('\n');
    expect(log.slice(0, 3).map((l) => l.slice(41))).toEqual(['tag churn: team=growth', 'someone else 1', 'someone else 0']);
    expect(log[0].slice(0, 40)).toBe(out.commit);
    expect(headCommit(client, 'main')).toBe(out.commit);
    expect(git(client, ['status', '--porcelain']).stdout).toBe('');
  }, 60_000);
});
