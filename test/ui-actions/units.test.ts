/**
 * The small parts of the UI's write side: sessions (expiry, CSRF in constant time, the signed
 * sign-in form) and the forge adapters' listing of open pull requests (GitLab: merge requests)
 * against a local server answering in each API's documented shapes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGithubAdapter, createGitlabAdapter } from '../../src/forge/index.js';
import { cookie, parseCookies, sameSecret, Sessions } from '../../src/server/session.js';
import { pullRequest } from '../forge/fixtures.js';
import { mergeRequest } from '../forge/gitlab-fixtures.js';

const req = (cookieHeader?: string, headers: Record<string, string> = {}) => ({ headers: { ...(cookieHeader ? { cookie: cookieHeader } : {}), ...headers }, socket: {} }) as unknown as IncomingMessage;

describe('sessions', () => {
  it('a session is found by its cookie until it expires; each use extends it', () => {
    let now = 1_000_000;
    const s = new Sessions({ ttlMs: 1000, now: () => now });
    const a = s.create({ name: 'Ada', email: 'ada@example.com' }, 'token');
    expect(s.of(req(`other=1; modelreg_session=${a.id}`))?.identity.email).toBe('ada@example.com');
    now += 900;
    expect(s.of(req(`modelreg_session=${a.id}`))).toBeDefined();
    now += 900;
    expect(s.of(req(`modelreg_session=${a.id}`))).toBeDefined();
    now += 1001;
    expect(s.of(req(`modelreg_session=${a.id}`))).toBeUndefined();
    expect(s.of(req('modelreg_session=unknown'))).toBeUndefined();
  });

  it('ids and CSRF tokens are random and distinct; a CSRF token fits only its session', () => {
    const s = new Sessions();
    const a = s.create({ name: 'A', email: 'a@x' }, 'token');
    const b = s.create({ name: 'B', email: 'b@x' }, 'token');
    expect(new Set([a.id, a.csrf, b.id, b.csrf]).size).toBe(4);
    expect(a.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.checkCsrf(a, a.csrf)).toBe(true);
    expect(s.checkCsrf(a, b.csrf)).toBe(false);
    expect(s.checkCsrf(a, undefined)).toBe(false);
    expect(s.checkCsrf(a, '')).toBe(false);
    s.end(a);
    expect(s.of(req(`modelreg_session=${a.id}`))).toBeUndefined();
  });

  it('the oldest sessions go first past the limit', () => {
    const s = new Sessions({ max: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => s.create({ name: n, email: `${n}@x` }, 'token'));
    expect([a, b, c].map((x) => !!s.of(req(`modelreg_session=${x.id}`)))).toEqual([false, true, true]);
  });

  it('the sign-in form\'s token fits only its own pre-session cookie, within the hour', () => {
    let now = 5_000_000;
    const s = new Sessions({ now: () => now });
    const f = s.signInForm();
    const g = s.signInForm();
    expect(s.checkSignIn(req(`modelreg_signin=${f.cookieValue}`), f.csrf)).toBe(true);
    expect(s.checkSignIn(req(`modelreg_signin=${f.cookieValue}`), g.csrf)).toBe(false);
    expect(s.checkSignIn(req(), f.csrf)).toBe(false);
    expect(new Sessions({ now: () => now }).checkSignIn(req(`modelreg_signin=${f.cookieValue}`), f.csrf)).toBe(false);
    now += 3600_001;
    expect(s.checkSignIn(req(`modelreg_signin=${f.cookieValue}`), f.csrf)).toBe(false);
  });

  it('cookies are HttpOnly and SameSite=Strict, Secure behind an HTTPS proxy; the first of a repeated name counts', () => {
    expect(cookie('n', 'v', 60)).toBe('n=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(cookie('n', 'v', 60, req(undefined, { 'x-forwarded-proto': 'https' }))).toMatch(/; Secure$/);
    expect([...parseCookies('a=1; b=2=3; a=4; junk')]).toEqual([['a', '1'], ['b', '2=3']]);
    expect(sameSecret('x', 'x')).toBe(true);
    expect(sameSecret('x', 'xx')).toBe(false);
  });
});

describe('open pull requests', () => {
  let server: Server;
  let api: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((r, res) => {
      seen.push(r.url!);
      const url = new URL(r.url!, 'http://x');
      const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (url.pathname === '/repos/o/r/pulls') return send(200, [pullRequest(7, { owner: 'o', ref: 'modelreg/promote-churn-2.1.0-production' }), pullRequest(8, { owner: 'forker', ref: 'patch-1' }), { number: 'x' }]);
      if (url.pathname === '/api/v4/projects/acme%2Fml%2Fregistry/merge_requests') return send(200, [mergeRequest(3, 'dana', { source_branch: 'modelreg/promote-churn-2.1.0-production' }), { iid: null }]);
      send(404, { message: 'Not Found' });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((ok) => server.close(ok)));

  it('GitHub: the open pulls into the base, a fork\'s head as owner:branch, malformed items skipped', async () => {
    const pulls = await createGithubAdapter({ token: 't', apiUrl: api }).openPullRequests({ owner: 'o', repo: 'r', base: 'main' });
    expect(seen.at(-1)).toBe('/repos/o/r/pulls?state=open&base=main&sort=created&direction=desc&per_page=100');
    expect(pulls.map((p) => [p.number, p.head, p.base, p.author, p.url])).toEqual([
      [7, 'modelreg/promote-churn-2.1.0-production', 'main', 'dana', 'https://github.com/o/r/pull/7'],
      [8, 'forker:patch-1', 'main', 'dana', 'https://github.com/o/r/pull/8'],
    ]);
    expect(pulls[0].headSha).toBe('6dcb09b5b57875f334f61aebed695e2e4193db5e');
  });

  it('GitLab: the opened merge requests into the target branch', async () => {
    const mrs = await createGitlabAdapter({ apiUrl: `${api}/api/v4`, token: { value: 'glpat', kind: 'private' } }).openPullRequests({ owner: 'acme/ml', repo: 'registry', base: 'main' });
    expect(seen.at(-1)).toBe('/api/v4/projects/acme%2Fml%2Fregistry/merge_requests?state=opened&target_branch=main&order_by=created_at&sort=desc&per_page=100');
    expect(mrs).toEqual([{ owner: 'acme/ml', repo: 'registry', number: 3, title: 'promote churn-prediction 2.1.0: Staging -> Production', base: 'main', head: 'modelreg/promote-churn-2.1.0-production', url: 'https://gitlab.com/acme/ml/registry/-/merge_requests/3', author: 'dana', headSha: '6dcb09b5b57875f334f61aebed695e2e4193db5e' }]);
  });
});
