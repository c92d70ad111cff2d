/**
 * The web UI's write side inside `modelreg serve`: sign-in and sign-out, the action forms, their
 * preview and confirm steps, and the Promotions page (which lists branches that change without
 * the served commit changing, so it is never cached). Every write is a POST with the session's
 * CSRF token; a GET shows a form or a page and changes nothing. Without --tokens (and without
 * --local-identity), or with --read-only, the UI is read-only and says so.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRegistryError } from '../errors/index.js';
import type { Context } from '../ops/context.js';
import type { PendingPromotion } from '../ops/pending.js';
import type { Identity } from '../storage/repo.js';
import { actionForm, ACTION_TITLES, outcomeView, signInForm, whoBar, type Viewer, type WriteMode } from '../ui/action-views.js';
import { html, type Html } from '../ui/html.js';
import { promotionsView } from '../ui/promotions-view.js';
import { confirmAction, isAction, previewAction, type ActionOutcome, type Runner } from './actions.js';
import { authenticate, type TokenEntry } from './auth.js';
import { cookie, Sessions, SESSION_COOKIE, SIGNIN_COOKIE, type Session } from './session.js';
import { CSP } from './ui.js';

export interface WebActionsOptions {
  tokens?: TokenEntry[];
  localIdentity?: Identity;
  readOnly?: boolean;
  /** Runs a write (or a dry run) as the signed-in person, serialised with the server's other writes. */
  run: Runner;
  /** A fresh context on the served branch, for reads that are not at the served commit (proposal branches). */
  newContext(): Context;
  /** The page frame (nav, styles, the one script) around a body. */
  frame(p: { title: string; body: Html; path: string; query: URLSearchParams; commit?: string }): string;
  /** The commit served now (named in the page's footer). */
  commit(): string | undefined;
  sessions?: Sessions;
  log(line: string): void;
}

export interface WebActions {
  /** Answers `req` when it is the write side's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<boolean>;
}

const HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with a form's POST, and a
  // null origin is refused (a cross-site page can make one); other sites still get no referrer.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  // Pages carry the session's CSRF token: never stored by a cache.
  'Cache-Control': 'no-store',
  'Content-Type': 'text/html; charset=utf-8',
};

const FORM_LIMIT = 64 * 1024;

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') { req.resume(); resolve(undefined); return; }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > FORM_LIMIT) { req.destroy(); resolve(undefined); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** A local path to return to after sign-in; anything else (another origin, `//host`) is the Promotions page. */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/promotions';
}

/** A POST from another origin (when the browser says where it came from) is refused, besides the CSRF token. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin !== 'null';
  try { return new URL(origin).host === req.headers.host; } catch { return false; }
}

const statusOf = (o: ActionOutcome) => (o.step === 'denied' ? 403 : o.step === 'error' ? (o.error?.code === 'NOT_FOUND' ? 404 : o.error && ['CONFLICT', 'DIRTY', 'LOCKED', 'VERSION_EXISTS'].includes(o.error.code) ? 409 : 400) : 200);

export function createWebActions(opts: WebActionsOptions): WebActions {
  const sessions = opts.sessions ?? new Sessions();
  const mode: WriteMode = opts.readOnly
    ? { kind: 'read-only', why: 'This server is read-only (--read-only): the UI shows the registry and takes no actions. Use the modelreg CLI to change it.' }
    : opts.tokens ? { kind: 'tokens' }
      : opts.localIdentity ? { kind: 'local', name: opts.localIdentity.name, email: opts.localIdentity.email }
        : { kind: 'read-only', why: 'This UI is read-only: the server was started without --tokens FILE (or --local-identity), so nobody can sign in. Use the modelreg CLI to change the registry.' };

  // Checklists of proposal branches by their commits (the same commits give the same checklist).
  const pendingMemo = new Map<string, PendingPromotion>();
  const viewerOf = (s: Session | undefined): Viewer | undefined => (s ? { name: s.identity.name, email: s.identity.email, csrf: s.csrf, via: s.via } : undefined);

  const page = (res: ServerResponse, status: number, title: string, body: Html, path: string, query: URLSearchParams, extra: Record<string, string | string[]> = {}) => {
    const commit = opts.commit();
    const text = opts.frame({ title, body, path, query, ...(commit ? { commit } : {}) });
    // An ETag of the content (the page is not cached by commit, and with no-store not kept at all).
    const etag = `"ui-${commit ?? 'empty'}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}"`;
    res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(text), ETag: etag, 'X-Modelreg-Commit': commit ?? '', ...extra });
    res.end(text);
  };
  const redirect = (res: ServerResponse, to: string, cookies: string[] = []) => {
    res.writeHead(303, { Location: to, 'Cache-Control': 'no-store', ...(cookies.length ? { 'Set-Cookie': cookies } : {}) });
    res.end();
  };

  const signInPage = (req: IncomingMessage, res: ServerResponse, status: number, query: URLSearchParams, error?: string) => {
    const s = sessions.of(req);
    const next = safeNext(query.get('next'));
    if (s) return page(res, 200, 'Sign in', html`${whoBar(viewerOf(s), mode, next)}<p><a href="${next}">Continue</a></p>`, '/sign-in', query);
    const form = sessions.signInForm();
    page(res, status, 'Sign in', signInForm(mode, form.csrf, next, error), '/sign-in', query, { 'Set-Cookie': [cookie(SIGNIN_COOKIE, form.cookieValue, 3600, req)] });
  };

  const signIn = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const form = await readForm(req) ?? new URLSearchParams();
    if (mode.kind === 'read-only') return page(res, 403, 'Sign in', html`<p role="alert">${mode.why}</p>`, '/sign-in', query);
    const next = safeNext(form.get('next'));
    if (!sameOrigin(req) || !sessions.checkSignIn(req, form.get('csrf') ?? undefined)) {
      return signInPage(req, res, 403, new URLSearchParams({ next }), 'The sign-in form expired or did not come from this server. Sign in again.');
    }
    let who: Identity | undefined;
    let via: Session['via'] = 'token';
    if (mode.kind === 'local') { who = opts.localIdentity; via = 'local'; } else {
      const token = form.get('token')?.trim();
      who = token ? authenticate(`Bearer ${token}`, opts.tokens!) : undefined;
    }
    if (!who) return signInPage(req, res, 401, new URLSearchParams({ next }), 'That token is not in the server\'s token file. Ask whoever runs the server for yours.');
    // Name, email and the token's groups (for a front end's policy actor), never the token's digest.
    const groups = (who as { groups?: string[] }).groups;
    const s = sessions.create({ name: who.name, email: who.email, ...(groups?.length ? { groups } : {}) } as Identity, via);
    redirect(res, next, [cookie(SESSION_COOKIE, s.id, sessions.ttlMs / 1000, req), cookie(SIGNIN_COOKIE, '', 0, req)]);
  };

  const signOut = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const form = await readForm(req) ?? new URLSearchParams();
    const s = sessions.of(req);
    if (s && (!sameOrigin(req) || !sessions.checkCsrf(s, form.get('csrf') ?? undefined))) return page(res, 403, 'Sign out', html`<p role="alert" class="error">The form did not carry this session's token; you are still signed in.</p>`, '/sign-out', query);
    if (s) sessions.end(s);
    redirect(res, '/', [cookie(SESSION_COOKIE, '', 0, req)]);
  };

  const actionPage = async (req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams, name: string) => {
    if (!isAction(name)) return page(res, 404, 'Not found', html`<p role="alert">There is no action ${name}.</p>`, pathname, query);
    const title = ACTION_TITLES[name];
    const method = req.method ?? 'GET';
    if (mode.kind === 'read-only') {
      if (method === 'POST') req.resume();
      return page(res, 403, title, html`<p role="alert">${mode.why}</p>`, pathname, query);
    }
    const s = sessions.of(req);
    const v = viewerOf(s);
    const here = `${pathname}${query.size ? `?${query}` : ''}`;
    if (method === 'GET' || method === 'HEAD') {
      if (!v) return page(res, 200, title, whoBar(undefined, mode, here), pathname, query);
      const model = query.get('model')?.trim();
      const { actionChoices } = await import('../ops/action-choices.js');
      const choices = model ? await actionChoices(opts.newContext(), model) : undefined;
      return page(res, 200, title, html`${whoBar(v, mode, here)}${actionForm(name, query, v, choices)}`, pathname, query);
    }
    if (method !== 'POST') {
      req.resume();
      return page(res, 405, title, html`<p role="alert">Actions take POST from their form only.</p>`, pathname, query, { Allow: 'GET, POST' });
    }
    const form = await readForm(req);
    if (!s || !v) return page(res, 401, title, html`<p role="alert" class="error">Sign in first: actions are taken as a signed-in person. Nothing was written.</p>${whoBar(undefined, mode, here)}`, pathname, query);
    if (!form || !sameOrigin(req) || !sessions.checkCsrf(s, form.get('csrf') ?? undefined)) {
      return page(res, 403, title, html`<p role="alert" class="error">The form did not carry this session's token (it expired, or came from another site). Nothing was written; open the form again.</p>`, pathname, query);
    }
    const fields = Object.fromEntries([...form].filter(([k]) => k !== 'csrf' && k !== 'step'));
    const actor = s.identity;
    const outcome = form.get('step') === 'confirm' ? await confirmAction(name, fields, opts.run, actor) : await previewAction(name, fields, opts.run, actor);
    if (outcome.step === 'done') opts.log(`modelreg serve: ${actor.email} ${outcome.title}: ${outcome.commit?.slice(0, 12) ?? 'no change'} on ${outcome.branch}`);
    page(res, statusOf(outcome), `${title}: ${outcome.step === 'preview' ? 'preview' : outcome.step}`, html`${whoBar(v, mode, here)}${outcomeView(outcome, v)}`, pathname, query);
  };

  const promotions = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const { pendingPromotions } = await import('../ops/pending.js');
    const ctx = opts.newContext();
    const r = await pendingPromotions(ctx, { forge: true, memo: pendingMemo });
    const v = viewerOf(sessions.of(req));
    page(res, 200, 'Promotions', html`${whoBar(v, mode, '/promotions')}${promotionsView(r, v, mode)}`, '/promotions', query);
  };

  return {
    async handle(req, res, pathname, search) {
      const query = new URLSearchParams(search);
      const method = req.method ?? 'GET';
      try {
        if (pathname === '/promotions' && (method === 'GET' || method === 'HEAD')) { await promotions(req, res, query); return true; }
        if (pathname === '/sign-in') {
          if (method === 'POST') await signIn(req, res, query); else signInPage(req, res, 200, query);
          return true;
        }
        if (pathname === '/sign-out') {
          if (method === 'POST') await signOut(req, res, query); else page(res, 405, 'Sign out', html`<p role="alert">Sign out with the button beside your name (a POST).</p>`, pathname, query, { Allow: 'POST' });
          return true;
        }
        const m = /^\/actions\/([a-z]+)\/?$/.exec(pathname);
        if (m) { await actionPage(req, res, pathname, query, m[1]); return true; }
        return false;
      } catch (e) {
        if (res.headersSent) return true;
        if (!isRegistryError(e)) opts.log(`modelreg serve: ${method} ${pathname}: ${(e as Error)?.stack ?? String(e)}`);
        page(res, isRegistryError(e) ? 400 : 500, 'Error', html`<p role="alert" class="error">${isRegistryError(e) ? e.message : `This page failed: ${(e as Error)?.message ?? String(e)}. This is a bug in modelreg serve; nothing was written by this request unless its page said so.`}</p>`, pathname, query);
        return true;
      }
    },
  };
}
