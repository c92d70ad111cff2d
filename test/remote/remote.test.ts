/**
 * The remote layer against a real smart-HTTP server (git http-backend): clone, push, a
 * rejected non-fast-forward, fetch, token authentication, concurrent pushes, and a clean
 * `git fsck --strict` of the server's repositories at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors/index.js';
import { cloneRepo, fetchBranch, pushBranch, remoteToken, remoteUrl } from '../../src/storage/remote.js';
import { findRepo } from '../../src/storage/repo.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';

const execFileP = promisify(execFile);
const TOKEN = 'tok_7f3e9c1a5b2d48e6a0c4';

// Native git must run asynchronously: the server answers from this same process.
let clock = 1_700_000_000;
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const at = `@${clock++} +0000`;
  return {
    PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at, ...extra,
  };
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', ['-c', 'user.name=Ada Tester', '-c', 'user.email=ada@example.com', ...args], { cwd, env: env(), maxBuffer: 64 << 20 });
  return stdout.trim();
}

async function bareGit(bare: string, ...args: string[]): Promise<string> {
  return git(tmpdir(), `--git-dir=${bare}`, ...args);
}

async function commitFile(dir: string, path: string, content: string, message: string): Promise<string> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
  await git(dir, 'add', path);
  await git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

const repoAt = (dir: string) => ({ dir, gitdir: join(dir, '.git') });

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a rejection');
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const p = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

async function assertNoTokenOnDisk(gitdir: string, token: string): Promise<void> {
  for (const f of await filesUnder(gitdir)) {
    expect((await readFile(f)).includes(token), f).toBe(false);
  }
}

let server: GitServer;
let authServer: GitServer;
let work: string;
let url: string;
let bare: string;
const bares: string[] = [];

beforeAll(async () => {
  [server, authServer] = await Promise.all([startGitServer(), startGitServer({ token: TOKEN })]);
  work = await mkdtemp(join(tmpdir(), 'modelreg-remote-test-'));
  url = await server.createBare('registry');
  bare = join(server.root, 'registry.git');
  bares.push(bare);
  // Seed it with native git over HTTP, as a user's first push would.
  const seed = join(work, 'seed');
  await mkdir(seed);
  await git(seed, 'init', '-q', '-b', 'main');
  await commitFile(seed, 'registry/churn/model.yaml', 'name: churn\n', 'init registry');
  await git(seed, 'push', '-q', url, 'main');
});

afterAll(async () => {
  await Promise.all([server?.stop(), authServer?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('remoteToken', () => {
  it('prefers MODELREG_TOKEN, then GITHUB_TOKEN, and ignores empty values', () => {
    expect(remoteToken({ MODELREG_TOKEN: 'a', GITHUB_TOKEN: 'b' })).toBe('a');
    expect(remoteToken({ MODELREG_TOKEN: '', GITHUB_TOKEN: 'b' })).toBe('b');
    expect(remoteToken({})).toBeUndefined();
  });
});

describe('clone, push, fetch over smart HTTP', () => {
  let a: string;
  let b: string;

  it('cloneRepo checks out the branch and tracks the remote', async () => {
    a = join(work, 'a');
    await cloneRepo(url, a, {});
    expect(await readFile(join(a, 'registry/churn/model.yaml'), 'utf8')).toBe('name: churn\n');
    expect(await git(a, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    const tip = await bareGit(bare, 'rev-parse', 'main');
    expect(await git(a, 'rev-parse', 'main', 'refs/remotes/origin/main')).toBe(`${tip}\n${tip}`);
    expect(await remoteUrl(repoAt(a))).toBe(url);
    expect(await git(a, 'status', '--porcelain')).toBe('');
  });

  it('pushBranch sends a fast-forward and the server has the commit', async () => {
    const oid = await commitFile(a, 'registry/churn/versions/1.0.0.yaml', 'version: 1.0.0\n', 'register churn 1.0.0');
    await pushBranch(repoAt(a), 'main', 'main', {});
    expect(await bareGit(bare, 'log', '-1', '--format=%H %s', 'main')).toBe(`${oid} register churn 1.0.0`);
    expect(await git(a, 'rev-parse', 'refs/remotes/origin/main')).toBe(oid);
  });

  it('a diverging push is rejected with CONFLICT and the server keeps the other commit', async () => {
    b = join(work, 'b');
    await cloneRepo(url, b, {});
    const theirs = await commitFile(b, 'registry/iris/model.yaml', 'name: iris\n', 'create iris');
    await pushBranch(repoAt(b), 'refs/heads/main', 'refs/heads/main', {});
    await commitFile(a, 'registry/churn/versions/1.1.0.yaml', 'version: 1.1.0\n', 'register churn 1.1.0');
    const err = await rejection(pushBranch(repoAt(a), 'main', 'main', {}));
    expect(err.code).toBe('CONFLICT');
    expect(err.data).toMatchObject({ rejected: true, reason: 'not-fast-forward', ref: 'refs/heads/main' });
    expect(err.message).toContain(url);
    expect(await bareGit(bare, 'rev-parse', 'main')).toBe(theirs);
  });

  it('fetchBranch returns the remote tip and moves only refs/remotes/origin/main', async () => {
    const repo = repoAt(a);
    const localBefore = await git(a, 'rev-parse', 'main');
    const indexBefore = await readFile(join(a, '.git/index'));
    const theirs = await bareGit(bare, 'rev-parse', 'main');
    const progress: string[] = [];
    expect(await fetchBranch(repo, 'main', { onProgress: (m) => progress.push(m) })).toBe(theirs);
    // Only the missing commit travels: its commit, three trees and one blob.
    expect(progress).toContain('remote: Enumerating objects: 5, done.');
    expect(await git(a, 'rev-parse', 'refs/remotes/origin/main')).toBe(theirs);
    expect(await git(a, 'rev-parse', 'main')).toBe(localBefore);
    expect((await readFile(join(a, '.git/index'))).equals(indexBefore)).toBe(true);
    expect(await git(a, 'status', '--porcelain')).toBe('');
    // The fetched pack is readable by native git, which can rebase onto it and push again.
    expect(await git(a, 'cat-file', '-p', `${theirs}:registry/iris/model.yaml`)).toBe('name: iris');
    await git(a, 'fsck', '--strict', '--no-progress');
    await git(a, 'rebase', '-q', 'refs/remotes/origin/main');
    await pushBranch(repo, 'main', 'main', {});
    expect(await bareGit(bare, 'log', '--format=%s', '-3', 'main')).toBe('register churn 1.1.0\ncreate iris\nregister churn 1.0.0');
  });

  it('from a linked worktree, pushes and fetches through the repository\'s shared objects and refs', async () => {
    // Builds on the clone of the tests above (run alone, `a` is unset: git would run in the cwd).
    expect(a).toBeDefined();
    const wt = join(work, 'a-worktree');
    await git(a, 'worktree', 'add', '-q', '-b', 'experiment', wt);
    const repo = await findRepo(wt);
    expect(repo.gitdir).toBe(join(a, '.git', 'worktrees', 'a-worktree'));
    const oid = await commitFile(wt, 'registry/iris/versions/1.0.0.yaml', 'version: 1.0.0\n', 'register iris 1.0.0');
    await pushBranch(repo, 'experiment', 'experiment', {});
    expect(await bareGit(bare, 'log', '-1', '--format=%H %s', 'experiment')).toBe(`${oid} register iris 1.0.0`);
    // The tracking ref is the repository's, seen from the main checkout as from the worktree.
    expect(await git(a, 'rev-parse', 'refs/remotes/origin/experiment')).toBe(oid);
    expect(await git(wt, 'rev-parse', 'refs/remotes/origin/experiment')).toBe(oid);
    const c = join(work, 'worktree-peer');
    await cloneRepo(url, c, {});
    const theirs = await commitFile(c, 'registry/churn/versions/2.0.0.yaml', 'version: 2.0.0\n', 'register churn 2.0.0');
    await pushBranch(repoAt(c), 'main', 'main', {});
    expect(await fetchBranch(repo, 'main', {})).toBe(theirs);
    expect(await git(a, 'rev-parse', 'refs/remotes/origin/main')).toBe(theirs);
    expect(await git(a, 'cat-file', '-t', theirs)).toBe('commit');
    await git(a, 'fsck', '--strict', '--no-progress');
    expect(await git(wt, 'status', '--porcelain')).toBe('');
    await git(a, 'worktree', 'remove', wt);
  });

  it('fetchBranch accepts a full ref and returns undefined for a branch the remote lacks', async () => {
    const tip = await bareGit(bare, 'rev-parse', 'main');
    expect(await fetchBranch(repoAt(b), 'refs/heads/main', {})).toBe(tip);
    expect(await git(b, 'rev-parse', 'refs/remotes/origin/main')).toBe(tip);
    expect(await fetchBranch(repoAt(b), 'no-such-branch', {})).toBeUndefined();
    await expect(git(b, 'rev-parse', '--verify', '-q', 'refs/remotes/origin/no-such-branch')).rejects.toThrow();
  });

  it('cloneRepo of an empty repository points HEAD at the branch; fetchBranch finds no tip', async () => {
    const emptyUrl = await server.createBare('empty');
    bares.push(join(server.root, 'empty.git'));
    const dir = join(work, 'empty-clone');
    await cloneRepo(emptyUrl, dir, {});
    expect(await git(dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(await fetchBranch(repoAt(dir), 'main', {})).toBeUndefined();
    // The first push creates the branch.
    const oid = await commitFile(dir, 'modelreg.yaml', 'apiVersion: modelreg/v1\n', 'modelreg init');
    await pushBranch(repoAt(dir), 'main', 'main', {});
    expect(await bareGit(join(server.root, 'empty.git'), 'rev-parse', 'main')).toBe(oid);
  });

  it('a missing remote is NOT_FOUND with the remote named', async () => {
    const err = await rejection(remoteUrl(repoAt(a), 'upstream'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('upstream');
    expect((await rejection(fetchBranch(repoAt(a), 'main', { remote: 'upstream' }))).code).toBe('NOT_FOUND');
  });

  it('an unreachable server is IO, naming the url without its credentials', async () => {
    const gone = await startGitServer();
    await gone.stop();
    const port = new URL(gone.url).port;
    const err = await rejection(pushBranch(repoAt(a), 'main', 'main', { url: `http://x-access-token:pw-in-url@127.0.0.1:${port}/registry.git` }));
    expect(err.code).toBe('IO');
    expect(err.message).toContain(`http://127.0.0.1:${port}/registry.git`);
    expect(err.message).not.toContain('pw-in-url');
    expect(JSON.stringify(err)).not.toContain('pw-in-url');
  });
});

describe('token authentication', () => {
  let authUrl: string;
  let authBare: string;
  let c: string;

  beforeAll(async () => {
    authUrl = await authServer.createBare('private');
    authBare = join(authServer.root, 'private.git');
    bares.push(authBare);
    const seed = join(work, 'auth-seed');
    await mkdir(seed);
    await git(seed, 'init', '-q', '-b', 'main');
    await commitFile(seed, 'registry/ids/model.yaml', 'name: ids\n', 'init private registry');
    await git(seed, 'push', '-q', authBare, 'main');
  });

  it('cloneRepo without a token fails with the token hint and leaves nothing behind', async () => {
    const dir = join(work, 'no-token');
    const err = await rejection(cloneRepo(authUrl, dir, {}));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/MODELREG_TOKEN.*GITHUB_TOKEN/);
    expect(await stat(dir).catch(() => undefined)).toBeUndefined();
  });

  it('cloneRepo with a token works and writes no credentials to disk', async () => {
    c = join(work, 'c');
    await cloneRepo(authUrl, c, { token: TOKEN });
    expect(await readFile(join(c, 'registry/ids/model.yaml'), 'utf8')).toBe('name: ids\n');
    expect(await remoteUrl(repoAt(c))).toBe(authUrl);
    await assertNoTokenOnDisk(join(c, '.git'), TOKEN);
  });

  it('cloneRepo takes credentials from the url but saves the url without them', async () => {
    const dir = join(work, 'c-url');
    const withCreds = authUrl.replace('http://', `http://x-access-token:${TOKEN}@`);
    await cloneRepo(withCreds, dir, {});
    expect(await remoteUrl(repoAt(dir))).toBe(authUrl);
    await assertNoTokenOnDisk(join(dir, '.git'), TOKEN);
  });

  it('pushBranch without a token is BAD_INPUT naming both variables, with no token in the text', async () => {
    await commitFile(c, 'registry/ids/versions/1.0.0.yaml', 'version: 1.0.0\n', 'register ids 1.0.0');
    const err = await rejection(pushBranch(repoAt(c), 'main', 'main', {}));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain('MODELREG_TOKEN');
    expect(err.message).toContain('GITHUB_TOKEN');
    expect(err.message).toContain(authUrl);
    expect(err.message).not.toContain(TOKEN);
    expect(await bareGit(authBare, 'log', '--format=%s', 'main')).toBe('init private registry');
  });

  it('pushBranch with a wrong token is BAD_INPUT and never echoes it', async () => {
    const wrong = 'tok_wrong_0123456789abcdef';
    const err = await rejection(pushBranch(repoAt(c), 'main', 'main', { token: wrong }));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain('refused the token');
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });

  it('pushBranch with the token lands the commit and stores no credentials', async () => {
    const oid = await git(c, 'rev-parse', 'main');
    await pushBranch(repoAt(c), 'main', 'main', { token: TOKEN });
    expect(await bareGit(authBare, 'log', '-1', '--format=%H %s', 'main')).toBe(`${oid} register ids 1.0.0`);
    expect(await fetchBranch(repoAt(c), 'main', { token: TOKEN })).toBe(oid);
    await assertNoTokenOnDisk(join(c, '.git'), TOKEN);
  });
});

describe('concurrent clients', () => {
  const clients: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 8; i++) clients.push(join(work, `client-${i}`));
    await Promise.all(clients.map((dir) => cloneRepo(url, dir, {})));
  });

  it('8 clients pushing distinct branches at once all land', async () => {
    const oids = await Promise.all(clients.map(async (dir, i) => {
      await git(dir, 'checkout', '-q', '-b', `feature-${i}`);
      return commitFile(dir, `registry/m${i}/model.yaml`, `name: m${i}\n`, `create m${i}`);
    }));
    const results = await Promise.allSettled(clients.map((dir, i) => pushBranch(repoAt(dir), `feature-${i}`, `feature-${i}`, {})));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
    const refs = await bareGit(bare, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/feature-*');
    expect(refs.split('\n').sort()).toEqual(oids.map((oid, i) => `refs/heads/feature-${i} ${oid}`).sort());
  });

  it('8 clients racing on one branch: exactly one wins, the others get CONFLICT', async () => {
    const base = await bareGit(bare, 'rev-parse', 'main');
    const oids = await Promise.all(clients.map(async (dir, i) => {
      await git(dir, 'checkout', '-q', 'main');
      expect(await git(dir, 'rev-parse', 'main')).toBe(base);
      return commitFile(dir, `registry/race/${i}.yaml`, `n: ${i}\n`, `race ${i}`);
    }));
    const results = await Promise.allSettled(clients.map((dir) => pushBranch(repoAt(dir), 'main', 'main', {})));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(RegistryError);
        expect((r.reason as RegistryError).code).toBe('CONFLICT');
        expect((r.reason as RegistryError).data.rejected).toBe(true);
      }
    }
    expect(await bareGit(bare, 'rev-parse', 'main')).toBe(oids[won[0]]);
  });
});

describe('the test server', () => {
  it('serves native git, including gzip-encoded request bodies', async () => {
    const many = await server.createBare('many-branches');
    bares.push(join(server.root, 'many-branches.git'));
    const seed = join(work, 'many-seed');
    await mkdir(seed);
    await git(seed, 'init', '-q', '-b', 'main');
    await commitFile(seed, 'a.txt', 'a\n', 'one');
    for (let i = 0; i < 40; i++) {
      await commitFile(seed, 'a.txt', `${i}\n`, `c${i}`);
      await git(seed, 'branch', `b${i}`);
    }
    await git(seed, 'push', '-q', many, 'refs/heads/*:refs/heads/*');
    // 41 distinct wants make the upload-pack request large enough for git to gzip it.
    const { stderr } = await execFileP('git', ['clone', '-q', many, join(work, 'many-clone')], { env: env({ GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' }), maxBuffer: 64 << 20 });
    expect(stderr).toMatch(/Content-Encoding: gzip/i);
    expect((await git(join(work, 'many-clone'), 'branch', '-r')).split('\n')).toHaveLength(42);
    expect(server.requests).toBeGreaterThan(0);
  });

  it('leaves every bare repository clean under git fsck --strict', async () => {
    expect(bares.length).toBeGreaterThanOrEqual(3);
    for (const b of bares) {
      const { stdout, stderr } = await execFileP('git', [`--git-dir=${b}`, 'fsck', '--strict', '--no-dangling', '--no-progress'], { env: env() });
      expect(`${stdout}${stderr}`.trim()).toBe('');
    }
  });

  it('stop() removes its temporary root', async () => {
    const s = await startGitServer();
    await s.createBare('x');
    await s.stop();
    expect(await stat(s.root).catch(() => undefined)).toBeUndefined();
  });
});
