/**
 * The web UI inside `modelreg serve`: pages (ui/pages) rendered on the server at the served
 * commit or at `?at=`, and the static assets the build bundles into dist/ui/assets. Every answer
 * carries a Content-Security-Policy that allows only this server's script and stylesheet, and an
 * ETag naming the commit and the assets' build, so a browser revalidates cheaply.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { isRegistryError } from '../errors/index.js';
import type { Context } from '../ops/context.js';
import type { ServedState } from '../ops/served.js';
import { resolveUiAt, warmEventIndex } from '../ops/ui-data.js';
import { html, type Html } from '../ui/html.js';
import { layout } from '../ui/layout.js';
import { pageAt, type UiRequest } from '../ui/page.js';
import '../ui/pages/index.js';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

interface Asset { body: Buffer; type: string; etag: string }

/** dist/ui/assets, found from the built server (dist/server or the CLI bundle in dist/cli) or from the sources (tests). */
function assetsDir(): string | undefined {
  for (const rel of ['../ui/assets/', '../../dist/ui/assets/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}app.js`)) return dir;
  }
  return undefined;
}

function loadAssets(): Map<string, Asset> {
  const dir = assetsDir();
  const out = new Map<string, Asset>();
  for (const [name, type] of [['app.js', 'text/javascript; charset=utf-8'], ['app.css', 'text/css; charset=utf-8']] as const) {
    const body = dir ? readFileSync(`${dir}${name}`) : Buffer.from(name.endsWith('.js') ? 'document.documentElement.dataset.ready = "1";' : '');
    out.set(`/ui/assets/${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
  }
  return out;
}

export interface UiOptions {
  /** The state served now. */
  state(): ServedState;
  /** The served branch. */
  ref: string;
  /** A fresh read context (each commit's reads get their own, so parsed files are dropped with it). */
  newContext(): Context;
  log(line: string): void;
  /** Walk the history at start so the event index is filled before a page needs it (default true). */
  warmHistory?: boolean;
  /** The context of that walk (default `newContext`): it reads each object about once, so small object caches do. */
  walkContext?(): Context;
  /** The server takes writes from the UI (pages link to the actions' forms). */
  writable?: boolean;
}

interface Scope { ctx: Context; memo: Map<string, Promise<unknown>> }

export interface Ui {
  /** Stops the background walk of the history (a server stopping does not wait for it to finish). */
  close(): Promise<void>;
  /** Settles when the background walk of the history is done (at once without one). */
  warmed(): Promise<void>;
  /** Answers `req` when it is a UI page or asset; false when it is not the UI's. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<boolean>;
  /** The layout around a page that is not cached by commit (the actions' forms, Promotions): server/web-actions.ts. */
  frame(p: { title: string; body: Html; path: string; query: URLSearchParams; commit?: string }): string;
}

export function createUi(opts: UiOptions): Ui {
  const assets = loadAssets();
  const build = createHash('sha256').update([...assets.values()].map((a) => a.etag).join()).digest('hex').slice(0, 12);
  // A read context and memo per commit, the last few commits only; rendered pages by commit and URL.
  const scopes = new Map<string, Scope>();
  const scopeOf = (commit: string | undefined): Scope => {
    const key = commit ?? 'empty';
    let s = scopes.get(key);
    if (s) { scopes.delete(key); scopes.set(key, s); return s; }
    s = { ctx: opts.newContext(), memo: new Map() };
    scopes.set(key, s);
    while (scopes.size > 4) scopes.delete(scopes.keys().next().value!);
    return s;
  };
  const pages = new Map<string, { status: number; body: string }>();
  // Fill the event index once, in the background: a clone's first walk derives every commit's events.
  let warm: Promise<void> | undefined;
  let closed = false;
  const historyReady = (): Promise<void> => {
    const t0 = performance.now();
    warm ??= warmEventIndex((opts.walkContext ?? opts.newContext)(), opts.state().commit, () => closed).then(
      (n) => { const s = (performance.now() - t0) / 1000; if (s >= 1) opts.log(`modelreg serve: filled the event index (${n} commits) in ${s.toFixed(1)} s; history pages are ready`); },
      (e) => opts.log(`modelreg serve: filling the event index: ${(e as Error).message}`),
    );
    return warm;
  };
  if (opts.warmHistory !== false) setImmediate(() => void historyReady());

  const send = (res: ServerResponse, status: number, headers: Record<string, string | number>, body?: Buffer | string, head = false) => {
    res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
    res.end(head ? undefined : body);
  };

  return {
    async close() {
      closed = true;
      await warm;
    },
    warmed: () => (opts.warmHistory !== false ? historyReady() : Promise.resolve()),
    frame: (p) => layout({ ...p, assets: build }).text,
    async handle(req, res, pathname, search) {
      const method = req.method ?? 'GET';
      const asset = assets.get(pathname);
      const page = asset ? undefined : pageAt(pathname);
      if (!asset && !page) return false;
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, 'Pages answer GET only.\n');
        return true;
      }
      const head = method === 'HEAD';
      if (asset) {
        if (req.headers['if-none-match'] === asset.etag) { send(res, 304, { ETag: asset.etag, 'Cache-Control': 'no-cache' }, undefined, true); return true; }
        send(res, 200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, ETag: asset.etag, 'Cache-Control': 'no-cache' }, asset.body, head);
        return true;
      }
      const query = new URLSearchParams(search);
      const at = query.get('at')?.trim() || undefined;
      const state = opts.state();
      let commit: string | undefined;
      let status = 200;
      let text: string;
      try {
        commit = at ? await resolveUiAt(scopeOf(state.commit).ctx, state.commit, at) : state.commit;
      } catch (e) {
        if (!isRegistryError(e)) throw e;
        status = e.code === 'NOT_FOUND' ? 404 : 400;
        text = layout({ title: 'Not found', body: html`<p role="alert" class="error">${at}: ${e.message}</p>`, path: pathname, query, at, assets: build }).text;
        send(res, status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }, text, head);
        return true;
      }
      const etag = `"ui-${commit ?? 'empty'}-${build}"`;
      if (req.headers['if-none-match'] === etag) { send(res, 304, { ETag: etag, 'Cache-Control': 'no-cache', 'X-Modelreg-Commit': commit ?? '' }, undefined, true); return true; }
      const key = `${commit} ${pathname}?${search}`;
      const hit = pages.get(key);
      if (hit) {
        send(res, hit.status, { 'Content-Type': 'text/html; charset=utf-8', ETag: etag, 'Cache-Control': 'no-cache', 'X-Modelreg-Commit': commit ?? '' }, hit.body, head);
        return true;
      }
      const scope = scopeOf(commit);
      const uiReq: UiRequest = {
        path: pathname, query, ...(at ? { at } : {}), ...(commit ? { commit } : {}), ctx: scope.ctx, state, ref: opts.ref, writable: !!opts.writable,
        historyReady,
        memo: <T>(k: string, compute: () => Promise<T>) => {
          let p = scope.memo.get(k) as Promise<T> | undefined;
          if (!p) { p = compute(); scope.memo.set(k, p); p.catch(() => scope.memo.delete(k)); }
          return p;
        },
      };
      try {
        const out = await page!.render(uiReq);
        status = out.status ?? 200;
        text = layout({ title: out.title, body: out.body, path: pathname, query, ...(at ? { at } : {}), ...(commit ? { commit } : {}), assets: build }).text;
      } catch (e) {
        if (!isRegistryError(e)) {
          opts.log(`modelreg serve: GET ${pathname}?${search}: ${(e as Error)?.stack ?? String(e)}`);
          status = 500;
          text = layout({ title: 'Error', body: html`<p role="alert" class="error">This page failed: ${(e as Error)?.message ?? String(e)}. This is a bug in modelreg serve; the server keeps serving.</p>`, path: pathname, query, assets: build }).text;
        } else {
          status = e.code === 'NOT_FOUND' || e.code === 'NOT_A_REGISTRY' ? 404 : e.code === 'BAD_INPUT' ? 400 : 500;
          text = layout({ title: status === 404 ? 'Not found' : 'Error', body: html`<p role="alert" class="error">${e.message}</p>`, path: pathname, query, ...(at ? { at } : {}), ...(commit ? { commit } : {}), assets: build }).text;
        }
      }
      if (status < 500) {
        if (pages.size >= 500) pages.clear();
        pages.set(key, { status, body: text });
      }
      send(res, status, { 'Content-Type': 'text/html; charset=utf-8', ETag: etag, 'Cache-Control': 'no-cache', 'X-Modelreg-Commit': commit ?? '' }, text, head);
      return true;
    },
  };
}
