/**
 * The GitHub adapter against a local HTTP server on 127.0.0.1 that answers with recorded
 * bodies in GitHub's documented shapes. No request leaves the machine: every adapter here is
 * pointed at the local server.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors/index.js';
import { createGithubAdapter, forgeFor, manualPullRequestText, parseGithubRemote, pullRequestApprovals } from '../../src/forge/index.js';
import { parseNextLink } from '../../src/forge/github-http.js';
import { ALREADY_EXISTS, BAD_CREDENTIALS, NOT_FOUND, pullRequest, pullRequestEvent, REVIEW_PAGES } from './fixtures.js';

const TOKEN = 'ghp_t3stT0ken9f8e7d6c5b4a';

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }
let server: Server;
let base: string;
let seen: Seen[] = [];
let tmp: string;

/** Routes by path; the `/api/v3` prefix is what a GitHub Enterprise Server API root adds. */
function route(method: string, url: URL): { status: number; body: unknown; headers?: Record<string, string> } {
  const path = url.pathname.replace(/^\/api\/v3/, '');
  if (method === 'POST' && path === '/repos/o/r/pulls') return { status: 201, body: pullRequest(42), headers: { location: `${base}/repos/o/r/pulls/42` } };
  if (method === 'POST' && path === '/repos/o/dup/pulls') return { status: 422, body: ALREADY_EXISTS };
  if (path === '/repos/o/r/pulls/7/reviews') {
    const last = `<${base}/repositories/100/pulls/7/reviews?per_page=100&page=2>`;
    return { status: 200, body: REVIEW_PAGES[0], headers: { link: `${last}; rel="next", ${last}; rel="last"` } };
  }
  if (path === '/repositories/100/pulls/7/reviews' && url.searchParams.get('page') === '2') {
    return { status: 200, body: REVIEW_PAGES[1], headers: { link: `<${base}/repositories/100/pulls/7/reviews?per_page=100&page=1>; rel="prev", <${base}/repositories/100/pulls/7/reviews?per_page=100&page=1>; rel="first"` } };
  }
  if (path === '/repos/o/private/pulls/7/reviews') return { status: 401, body: BAD_CREDENTIALS };
  if (path === '/repos/o/elsewhere/pulls/7/reviews') return { status: 200, body: [], headers: { link: '<https://evil.example/steal?page=2>; rel="next"' } };
  return { status: 404, body: NOT_FOUND };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'modelreg-forge-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const r = route(req.method!, new URL(req.url!, base));
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
});

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(RegistryError);
  return e as RegistryError;
}

const gh = (token: string | undefined = TOKEN) => createGithubAdapter({ token, apiUrl: base });
const PR = { owner: 'o', repo: 'r', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn-prediction 2.1.0', body: 'checklist' };

describe('openPullRequest', () => {
  it('POSTs the pull request with GitHub headers and returns its number and html_url', async () => {
    expect(await gh().openPullRequest({ ...PR, draft: true })).toEqual({ number: 42, url: 'https://github.com/o/r/pull/42' });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req).toMatchObject({ method: 'POST', url: '/repos/o/r/pulls' });
    expect(req.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'content-type': 'application/json' });
    expect(req.headers['user-agent']).toMatch(/modelreg/);
    expect(JSON.parse(req.body)).toEqual({ title: PR.title, head: PR.head, base: 'main', body: 'checklist', draft: true });
  });

  it('turns 422 (a pull request already exists) into CONFLICT with GitHub\'s message', async () => {
    const e = await rejection(gh().openPullRequest({ ...PR, repo: 'dup' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('A pull request already exists for o:promote/churn-2.1.0');
    expect(e.data).toMatchObject({ status: 422 });
  });

  it('asks for a token without sending anything when there is none', async () => {
    const e = await rejection(gh('').openPullRequest(PR));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/MODELREG_TOKEN or GITHUB_TOKEN/);
    expect(seen).toHaveLength(0);
  });
});

describe('approvingReviewers', () => {
  it('follows the Link header and keeps only logins whose latest review approves', async () => {
    const logins = await gh().approvingReviewers({ owner: 'o', repo: 'r', number: 7 });
    expect([...logins].sort()).toEqual(['bob', 'carol', 'erin']);
    expect(seen.map((s) => s.url)).toEqual(['/repos/o/r/pulls/7/reviews?per_page=100', '/repositories/100/pulls/7/reviews?per_page=100&page=2']);
    for (const s of seen) expect(s.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('turns 401 into BAD_INPUT naming the variables, never the token', async () => {
    const e = await rejection(gh().approvingReviewers({ owner: 'o', repo: 'private', number: 7 }));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/MODELREG_TOKEN or GITHUB_TOKEN/);
    expect(e.message).toContain('Pull requests: read');
    expect(e.message).not.toContain(TOKEN);
    expect(JSON.stringify(e.toJSON())).not.toContain(TOKEN);
  });

  it('turns 404 into NOT_FOUND naming owner, repository and number', async () => {
    const e = await rejection(gh().approvingReviewers({ owner: 'o', repo: 'gone', number: 9 }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('o/gone#9');
  });

  it('does not follow a next page to another host (the token would go with it)', async () => {
    const e = await rejection(gh().approvingReviewers({ owner: 'o', repo: 'elsewhere', number: 7 }));
    expect(e.code).toBe('IO');
    expect(seen).toHaveLength(1);
  });

  it('turns a refused connection into IO naming the API url', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((ok) => closed.close(ok));
    const e = await rejection(createGithubAdapter({ token: TOKEN, apiUrl: dead }).approvingReviewers({ owner: 'o', repo: 'r', number: 7 }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain(dead);
    expect(e.message).not.toContain(TOKEN);
  });
});

describe('GitHub Enterprise', () => {
  it('uses an apiUrl override, and GITHUB_API_URL with GITHUB_TOKEN through forgeFor', async () => {
    await createGithubAdapter({ token: TOKEN, apiUrl: `${base}/api/v3/` }).openPullRequest(PR);
    const forge = forgeFor('github', { GITHUB_API_URL: `${base}/api/v3`, GITHUB_TOKEN: 'ghs_fromActions' });
    expect(forge.name).toBe('github');
    expect((await forge.approvingReviewers({ owner: 'o', repo: 'r', number: 7 })).sort()).toEqual(['bob', 'carol', 'erin']);
    expect(seen[0].url).toBe('/api/v3/repos/o/r/pulls');
    expect(seen[1]).toMatchObject({ url: '/api/v3/repos/o/r/pulls/7/reviews?per_page=100' });
    expect(seen[1].headers.authorization).toBe('Bearer ghs_fromActions');
  });

  it('prefers MODELREG_TOKEN over GITHUB_TOKEN', async () => {
    await forgeFor('GitHub', { GITHUB_API_URL: base, MODELREG_TOKEN: 'mine', GITHUB_TOKEN: 'actions' }).openPullRequest(PR);
    expect(seen[0].headers.authorization).toBe('Bearer mine');
  });
});

describe('currentPullRequest', () => {
  const write = async (name: string, payload: unknown) => {
    const path = join(tmp, name);
    await writeFile(path, JSON.stringify(payload));
    return path;
  };

  it('reads the pull_request payload at GITHUB_EVENT_PATH', async () => {
    const path = await write('pr.json', pullRequestEvent(7));
    const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path };
    expect(await gh().currentPullRequest(env)).toEqual({
      owner: 'o', repo: 'r', number: 7, base: 'main', head: 'promote/churn-2.1.0', url: 'https://github.com/o/r/pull/7', author: 'dana',
    });
    expect(seen).toHaveLength(0);
  });

  it('names the base repository for a pull request from a fork (pull_request_target)', async () => {
    const path = await write('fork.json', pullRequestEvent(8, { owner: 'forker', ref: 'main' }));
    expect(await gh().currentPullRequest({ GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_EVENT_PATH: path })).toMatchObject({ owner: 'o', repo: 'r', number: 8, head: 'main', base: 'main' });
  });

  it('is undefined for other events, and an error when the payload is missing', async () => {
    const path = await write('push.json', { ref: 'refs/heads/main' });
    expect(await gh().currentPullRequest({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path })).toBeUndefined();
    expect(await gh().currentPullRequest({})).toBeUndefined();
    expect((await rejection(gh().currentPullRequest({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: join(tmp, 'none.json') }))).code).toBe('IO');
    expect((await rejection(gh().currentPullRequest({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path }))).code).toBe('BAD_INPUT');
  });

  it('pullRequestApprovals combines the event and the reviews', async () => {
    const path = await write('pr7.json', pullRequestEvent(7));
    const r = await pullRequestApprovals(gh(), { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path });
    expect(r?.pr.number).toBe(7);
    expect(r?.approvers.sort()).toEqual(['bob', 'carol', 'erin']);
  });
});

describe('parseGithubRemote', () => {
  it.each([
    ['https://github.com/o/r', 'github.com'],
    ['https://github.com/o/r.git', 'github.com'],
    ['https://github.com/o/r/', 'github.com'],
    ['https://x-access-token:secret@github.com/o/r.git', 'github.com'],
    ['git@github.com:o/r.git', 'github.com'],
    ['ssh://git@github.com:22/o/r.git', 'github.com'],
    ['git://github.com/o/r.git', 'github.com'],
    ['https://ghe.example.com/o/r.git', 'ghe.example.com'],
    ['https://git.example.com/scm/team/o/r.git', 'git.example.com'],
    ['git@ghe.example.com:o/r.git', 'ghe.example.com'],
  ])('%s', (url, host) => {
    expect(parseGithubRemote(url)).toEqual({ owner: 'o', repo: 'r', host });
  });

  it.each(['', 'not a url', '/srv/git/registry.git', 'file:///srv/git/o/r.git', 'http://127.0.0.1:8080/registry.git', 'C:\\repos\\o\\r', 'https://github.com/'])('cannot tell from %j', (url) => {
    expect(parseGithubRemote(url)).toBeUndefined();
  });
});

describe('forgeFor and manualPullRequestText', () => {
  it('rejects an unknown forge with the supported list', () => {
    const e = (() => {
      try {
        forgeFor('bitbucket', {});
      } catch (err) {
        return err as RegistryError;
      }
    })();
    expect(e?.code).toBe('BAD_INPUT');
    expect(e?.message).toMatch(/Unknown forge 'bitbucket'; supported: github, gitlab/);
  });

  it('prints the compare url, title and body for a GitHub remote', () => {
    const text = manualPullRequestText({ remoteUrl: 'git@github.com:o/r.git', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn', body: 'line 1\nline 2' });
    expect(text).toContain('https://github.com/o/r/compare/main...promote/churn-2.1.0?expand=1');
    expect(text).toContain('promote churn');
    expect(text).toContain('line 1\nline 2');
  });

  it('names the branches, without credentials, for a remote it cannot link to', () => {
    const text = manualPullRequestText({ remoteUrl: 'https://user:secret@git.example.com/registry.git', head: 'b', base: 'main', title: 't', body: 'x' });
    expect(text).toContain('from branch b into main');
    expect(text).not.toContain('secret');
  });
});

describe('parseNextLink', () => {
  it('finds rel="next" among other relations', () => {
    expect(parseNextLink('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel="last"')).toBe('https://a/x?page=3');
    expect(parseNextLink('<https://a/x?page=1>; rel="first"')).toBeUndefined();
    expect(parseNextLink(null)).toBeUndefined();
  });
});
