/**
 * The UI's write side over HTTP, as a browser submits its forms (cookies kept, forms posted as
 * application/x-www-form-urlencoded): sign-in with a token from the token file, CSRF on every
 * write, a GET that writes nothing, read-only mode without forms, and a promotion request and an
 * approval that become the commits the CLI makes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startGitServer } from '../helpers/git-server.js';
import { pullRequest } from '../forge/fixtures.js';
import { ALICE, DANA, git, mr, rev } from '../pr/helpers.js';
import { Browserish, confirmFields, csrfOf, serveUi, tokenFile, TOKENS } from './client.js';
import { registry } from './fixtures.js';

const BRANCH = 'modelreg/promote-churn-1.1.0-production';

async function refs(dir: string): Promise<string> {
  return (await git(dir, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
}

/** Author, subject and trailers of the commits a branch has beyond main, oldest first. */
async function made(dir: string, branch: string): Promise<string> {
  return (await git(dir, ['log', '--reverse', '--format=%an <%ae>|%s|%(trailers:only,unfold)', `main..${branch}`])).stdout.trim();
}

describe('sign-in', () => {
  it('a token from the token file starts a session in an HttpOnly, SameSite=Strict cookie; a wrong one does not', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    const form = await b.get('/sign-in');
    expect(form.status).toBe(200);
    expect(form.text).toContain('type="password"');
    const bad = await b.post('/sign-in', { token: 'not-a-token-0123456789', csrf: csrfOf(form.text) });
    expect(bad.status).toBe(401);
    expect(b.cookies.has('modelreg_session')).toBe(false);
    const ok = await b.signIn(TOKENS.dana);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/promotions');
    const set = ok.headers.getSetCookie().find((c) => c.startsWith('modelreg_session='))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect((await b.get('/promotions')).text).toContain('Signed in as <strong>Dana Scientist</strong>');
  });

  it('a sign-in POST without the form\'s token is refused (login CSRF)', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    const r = await b.post('/sign-in', { token: TOKENS.dana, csrf: 'forged' });
    expect(r.status).toBe(403);
    expect(b.cookies.has('modelreg_session')).toBe(false);
  });
});

describe('actions', () => {
  it('a promotion request and an approval made in the UI are the commits the CLI makes', async () => {
    // The same registry twice: one changed through the UI, one through the CLI.
    const ui = await registry();
    const cli = await registry();
    const s = await serveUi(ui.dir, { tokensFile: await tokenFile() });

    const dana = new Browserish(s.url);
    await dana.signIn(TOKENS.dana);
    const form = await dana.get('/actions/promote?model=churn&version=1.1.0&stage=Production');
    expect(form.status).toBe(200);
    // The model's policy stages and versions to pick from.
    expect(form.text).toContain('<datalist id="choices-stages"><option value="None"></option><option value="Staging"></option><option value="Production"></option><option value="Archived"></option></datalist>');
    expect(form.text).toContain('<datalist id="choices-versions"><option value="1.2.0"></option><option value="1.1.0"></option><option value="1.0.0"></option></datalist>');
    const before = await refs(ui.dir);
    const preview = await dana.post('/actions/promote', { model: 'churn', version: '1.1.0', stage: 'Production', csrf: csrfOf(form.text), step: 'preview' });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('nothing has been written');
    expect(preview.text).toMatch(/class="check-fail">.*?approvals<\/th><td>at least 2 approvals for Production/s);
    expect(await refs(ui.dir)).toBe(before);
    const done = await dana.post('/actions/promote', confirmFields(preview.text));
    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain(BRANCH);

    const alice = new Browserish(s.url);
    await alice.signIn(TOKENS.alice);
    const promotions = await alice.get('/promotions');
    expect(promotions.text).toContain(BRANCH);
    const approveHref = /href="(\/actions\/approve\?[^"]+)"/.exec(promotions.text)![1].replace(/&amp;/g, '&');
    const approveForm = await alice.get(approveHref);
    const ap = await alice.post('/actions/approve', { ...Object.fromEntries(new URL(approveHref, s.url).searchParams), csrf: csrfOf(approveForm.text), step: 'preview' });
    expect(ap.status, ap.text).toBe(200);
    expect((await alice.post('/actions/approve', confirmFields(ap.text))).status).toBe(200);

    await mr(cli.dir, ['promote', 'churn', '1.1.0', '--to', 'Production', '--branch'], DANA);
    await git(cli.dir, ['switch', '-q', BRANCH]);
    await mr(cli.dir, ['approve', 'churn', '1.1.0', '--stage', 'Production'], ALICE);
    await git(cli.dir, ['switch', '-q', 'main']);

    const uiMade = await made(ui.dir, BRANCH);
    expect(uiMade.split('\n').filter((l) => l.includes('|')).length).toBe(2);
    expect(uiMade).toBe(await made(cli.dir, BRANCH));
    expect(uiMade).toContain('Alice Lead <alice@example.com>|approve churn 1.1.0 for Production|');
    // Same file content too, but the approval's time.
    const file = 'registry/churn/versions/1.1.0.yaml';
    const strip = (t: string) => t.replace(/at: .*/g, 'at: T');
    expect(strip((await git(ui.dir, ['show', `${BRANCH}:${file}`])).stdout)).toBe(strip((await git(cli.dir, ['show', `${BRANCH}:${file}`])).stdout));
  });

  it('a denied action shows the checklist and writes nothing: HEAD unchanged, no branch', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    await b.signIn(TOKENS.dana);
    const form = await b.get('/actions/promote');
    const before = await refs(dir);
    const fields = { model: 'churn', version: '1.2.0', stage: 'Staging', csrf: csrfOf(form.text) };
    const preview = await b.post('/actions/promote', { ...fields, step: 'preview' });
    expect(preview.status).toBe(403);
    expect(preview.text).toContain('Denied by policy');
    expect(preview.text).toMatch(/check-fail/);
    const forced = await b.post('/actions/promote', { ...fields, step: 'confirm', mode: 'branch' });
    expect(forced.status).toBe(403);
    expect(await refs(dir)).toBe(before);
  });

  it('a missing or forged CSRF token, or a cross-site origin, is refused and writes nothing', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    await b.signIn(TOKENS.dana);
    const csrf = csrfOf((await b.get('/actions/tag')).text);
    const before = await refs(dir);
    const fields = { model: 'churn', key: 'k', value: 'v', step: 'confirm' };
    expect((await b.post('/actions/tag', fields)).status).toBe(403);
    expect((await b.post('/actions/tag', { ...fields, csrf: `${csrf.slice(0, -2)}xx` })).status).toBe(403);
    expect((await b.post('/actions/tag', { ...fields, csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    // Another person's session token does not fit this session.
    const other = new Browserish(s.url);
    await other.signIn(TOKENS.alice);
    expect((await other.post('/actions/tag', { ...fields, csrf })).status).toBe(403);
    // Without a session at all.
    expect((await new Browserish(s.url).post('/actions/tag', { ...fields, csrf })).status).toBe(401);
    expect(await refs(dir)).toBe(before);
    // The real token works (so the refusals above were about the token).
    expect((await b.post('/actions/tag', { ...fields, csrf })).status).toBe(200);
    expect(await refs(dir)).not.toBe(before);
  });

  it('a GET to an action URL, with every field of a confirm, writes nothing', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    await b.signIn(TOKENS.dana);
    const csrf = csrfOf((await b.get('/actions/tag')).text);
    const before = await refs(dir);
    const r = await b.get(`/actions/tag?${new URLSearchParams({ model: 'churn', key: 'k', value: 'v', step: 'confirm', csrf })}`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('Preview');
    expect((await b.get('/sign-out')).status).toBe(405);
    expect(b.cookies.has('modelreg_session')).toBe(true);
    expect(await refs(dir)).toBe(before);
  });
});

describe('hostile input', () => {
  it('form values from the query and the registry are escaped; sign-in returns only to a local path', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile() });
    const b = new Browserish(s.url);
    await b.signIn(TOKENS.dana);
    const evil = '"><script>alert(1)</script>';
    const form = await b.get(`/actions/describe?${new URLSearchParams({ model: evil, description: `</textarea><img src=x onerror=alert(2)>` })}`);
    expect(form.text).not.toMatch(/<script>alert|<img src=x/);
    expect(form.text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    const preview = await b.post('/actions/describe', { model: 'churn', description: '<script>alert(3)</script>', csrf: csrfOf(form.text), step: 'preview' });
    expect(preview.status).toBe(200);
    expect(preview.text).not.toContain('<script>alert(3)');
    expect(preview.text).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
    const denied = await b.post('/actions/tag', { model: evil, key: 'k', value: 'v', csrf: csrfOf(form.text), step: 'preview' });
    expect(denied.status).toBe(400);
    expect(denied.text).not.toContain('<script>alert(1)');
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const c = new Browserish(s.url);
      const f = await c.get('/sign-in');
      const r = await c.post('/sign-in', { token: TOKENS.dana, csrf: csrfOf(f.text), next });
      expect(r.headers.get('location'), next).toBe('/promotions');
    }
  });
});

describe('read-only', () => {
  it('without --tokens the UI says it is read-only and shows no forms; POSTs are refused', async () => {
    const { dir } = await registry();
    await registry();
    const s = await serveUi(dir);
    const b = new Browserish(s.url);
    for (const path of ['/promotions', '/sign-in', '/actions/promote?model=churn&version=1.1.0']) {
      const p = await b.get(path);
      expect(p.text, path).toMatch(/read-only/);
      expect(p.text, path).not.toMatch(/<form[^>]+method="post"/);
    }
    const before = await rev(dir, 'main');
    expect((await b.post('/actions/tag', { model: 'churn', key: 'k', value: 'v', step: 'confirm' })).status).toBe(403);
    expect((await b.post('/sign-in', { token: TOKENS.dana })).status).toBe(403);
    expect(await rev(dir, 'main')).toBe(before);
  });

  it('--read-only refuses even with tokens', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { tokensFile: await tokenFile(), readOnly: true });
    expect((await new Browserish(s.url).get('/sign-in')).text).toMatch(/read-only \(--read-only\)/);
  });

  it('--local-identity signs in as the server\'s Git identity with one button', async () => {
    const { dir } = await registry();
    const s = await serveUi(dir, { localIdentity: true, identity: { name: 'Local Lou', email: 'lou@example.com' } });
    const b = new Browserish(s.url);
    const form = await b.get('/sign-in');
    expect(form.text).toContain('Continue as Local Lou');
    expect((await b.post('/sign-in', { csrf: csrfOf(form.text), next: '/promotions' })).status).toBe(303);
    expect((await b.get('/promotions')).text).toContain('Signed in as <strong>Local Lou</strong>');
  });
});

describe('with a remote and a forge token', () => {
  it('a promotion request pushes its branch and opens a pull request; Promotions lists it with its reviews', async () => {
    const { dir } = await registry();
    const gitServer = await startGitServer();
    const posted: Array<{ url: string; body: Record<string, unknown> }> = [];
    let opened: Record<string, unknown> | undefined;
    const api = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        const send = (status: number, b: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(b)); };
        if (req.method === 'POST' && url.pathname === '/repos/o/r/pulls') {
          posted.push({ url: req.url!, body: JSON.parse(body) });
          opened = { ...pullRequest(9, { owner: 'o', ref: String(JSON.parse(body).head) }), title: JSON.parse(body).title };
          return send(201, opened);
        }
        if (req.method === 'GET' && url.pathname === '/repos/o/r/pulls') return send(200, opened ? [opened] : []);
        if (url.pathname === '/repos/o/r/pulls/9/reviews') return send(200, []);
        send(404, { message: 'Not Found' });
      });
    });
    await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
    try {
      const remote = await gitServer.createBare('o/r');
      await git(dir, ['remote', 'add', 'origin', remote]);
      await git(dir, ['push', '-q', 'origin', 'main']);
      const env = { GITHUB_TOKEN: 'ghp_t3stT0ken9f8e7d6c5b4a', GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}` };
      const s = await serveUi(dir, { tokensFile: await tokenFile(), remote: 'origin', refreshMs: 60_000, env });
      const b = new Browserish(s.url);
      await b.signIn(TOKENS.dana);
      const csrf = csrfOf((await b.get('/actions/promote')).text);
      const preview = await b.post('/actions/promote', { model: 'churn', version: '1.1.0', stage: 'Production', csrf, step: 'preview' });
      const done = await b.post('/actions/promote', confirmFields(preview.text));
      expect(done.status, done.text).toBe(200);
      expect(done.text).toContain('Opened <a href="https://github.com/o/r/pull/9">');
      expect(posted).toHaveLength(1);
      expect(posted[0].body).toMatchObject({ head: BRANCH, base: 'main', title: 'promote churn 1.1.0: Staging -> Production' });
      expect((await git(dir, ['ls-remote', 'origin', `refs/heads/${BRANCH}`])).stdout).toContain(await rev(dir, BRANCH));
      const promotions = await b.get('/promotions');
      expect(promotions.text).toContain('href="https://github.com/o/r/pull/9">#9</a>');
      expect(promotions.text).toContain('Open pull requests into <code>main</code> are listed from github.');
      expect(promotions.text.match(/<article class="promotion"/g)).toHaveLength(1);
    } finally {
      await new Promise((ok) => api.close(ok));
      await gitServer.stop();
    }
  });
});
