/**
 * `modelreg serve`: a Node `http` server that answers MLflow's Model Registry REST API from
 * the registry at one commit held in memory, follows the branch as commits arrive (by the CLI
 * in this repository, or fetched from a remote), and runs writes through the CLI's operations.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative, resolve as resolvePath } from 'node:path';
import { RegistryError, isRegistryError } from '../errors/index.js';
import { Context, type RegistryOptions } from '../ops/context.js';
import { assertRemote, followRemote, loadServed, servedTip, type ServedState } from '../ops/served.js';
import { listProposals, proposalRefs } from '../ops/proposals.js';
import type { Identity } from '../storage/repo.js';
import { authenticate, loadTokens, type TokenEntry } from './auth.js';
import { queryParams, type Params } from './params.js';
import { ROUTES, type App, type Route } from './routes.js';
import { ARTIFACTS_PREFIX, listing, locate, verifiedBytes } from './artifacts.js';
import { EventStreams } from './sse.js';

/** The event feed as Server-Sent Events (server/sse.ts). */
export const EVENTS_PATH = '/api/v1/events';
import { pendingKey } from './mlflow.js';
import { modelKey } from '../domain/names.js';
import { createUi } from './ui.js';
import { createWebActions } from './web-actions.js';

export interface ServeOptions extends RegistryOptions {
  host?: string;
  port?: number;
  /** The branch served and written (default: modelreg.yaml `branch`, else the checked-out one). */
  branch?: string;
  /** Fetch this remote every `refreshMs` and fast-forward; writes push with retry. */
  remote?: string;
  refreshMs?: number;
  tokensFile?: string;
  readOnly?: boolean;
  /** Writes as the Git identity of the user who started the server (loopback only). */
  localIdentity?: boolean;
  /** How often the branch's ref is read for new local commits (default 100 ms). */
  pollMs?: number;
  maxBodyBytes?: number;
  /** Serve file:// artifacts (digest-checked) under /api/2.0/mlflow-artifacts/artifacts/, and point get-download-uri there. */
  serveArtifacts?: boolean;
  /** A transition denied only for missing approvals is proposed on a branch (and pull request) instead: PENDING_REGISTRATION. */
  propose?: boolean;
  /** Deliver the webhooks of modelreg.yaml as commits are served (what `modelreg notify` does, with the same cursor refs). */
  notify?: boolean;
  /** How often a failed webhook delivery is tried again when no new commit comes (default 30 s). */
  notifyRetryMs?: number;
  /** The comment line an open event stream gets this often (default 15 s). */
  heartbeatMs?: number;
  onLog?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  dir: string | undefined;
  ref: string;
  /** The commit being served. */
  commit(): string | undefined;
  /** Reads the branch tip now and serves it. */
  refresh(): Promise<void>;
  /** Settles when the start's background work is done (the event index filled, or its failure logged). */
  warmed: Promise<void>;
  close(): Promise<void>;
}

interface MlflowError { status: number; body: { error_code: string; message: string } }

const STATUS: Array<[RegistryError['code'][], number, string]> = [
  [['NOT_FOUND', 'NOT_A_REGISTRY'], 404, 'RESOURCE_DOES_NOT_EXIST'],
  [['DENIED'], 403, 'PERMISSION_DENIED'],
  [['VERSION_EXISTS'], 400, 'RESOURCE_ALREADY_EXISTS'],
  [['CONFLICT', 'DIRTY', 'LOCKED'], 409, 'RESOURCE_CONFLICT'],
  [['UNSUPPORTED'], 501, 'NOT_IMPLEMENTED'],
  [['INTEGRITY'], 500, 'DATA_LOSS'],
  [['IO'], 500, 'INTERNAL_ERROR'],
];

/** A RegistryError as MLflow's error shape and status; anything else is a 500. */
export function mlflowError(e: unknown): MlflowError {
  if (isRegistryError(e)) {
    const hit = STATUS.find(([codes]) => codes.includes(e.code));
    return { status: hit?.[1] ?? 400, body: { error_code: hit?.[2] ?? 'INVALID_PARAMETER_VALUE', message: e.message } };
  }
  return { status: 500, body: { error_code: 'INTERNAL_ERROR', message: `Unexpected error: ${(e as Error)?.message ?? String(e)}. This is a bug in modelreg serve; the server keeps serving.` } };
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** A context that writes to the served branch (not necessarily the checked-out one). */
class BranchContext extends Context {
  constructor(base: Context, options: RegistryOptions, private readonly ref: string) { super(base.repo, options); }
  override async targetRef(): Promise<string> { return this.ref; }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) { reject(new HttpError(413, 'INVALID_PARAMETER_VALUE', `The request body is ${declared} bytes; the limit is ${limit}.`)); req.resume(); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { reject(new HttpError(413, 'INVALID_PARAMETER_VALUE', `The request body is over the limit of ${limit} bytes.`)); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): Params {
  if (!body.length) return {};
  let v: unknown;
  try { v = JSON.parse(body.toString('utf8')); } catch (e) { throw new HttpError(400, 'MALFORMED_REQUEST', `The request body is not JSON: ${(e as Error).message}.`); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'MALFORMED_REQUEST', 'The request body must be a JSON object.');
  return v as Params;
}

const PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];

/**
 * Starts the server; resolves once it listens and serves the branch's tip.
 * @example const s = await startServer({ dir: '.', port: 0 }); console.log(s.url); await s.close();
 */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.localIdentity && !isLoopback(host)) throw new RegistryError('BAD_INPUT', `--local-identity writes as your Git identity, so the server must bind to a loopback address, not ${host}. Use --tokens FILE for a server others reach.`, { host });
  const base = await Context.open(opts);
  if (opts.remote !== undefined) {
    // Fetches, pushes and pull requests go to this remote (ctx.options.remote); say at start when it does not exist.
    await assertRemote(base, opts.remote);
  }
  const ref = opts.branch ? (opts.branch.startsWith('refs/') ? opts.branch : `refs/heads/${opts.branch}`) : await base.targetRef();
  if (opts.tokensFile && base.repo.dir && !relative(base.repo.dir, resolvePath(opts.tokensFile)).startsWith('..')) {
    throw new RegistryError('BAD_INPUT', `The token file ${opts.tokensFile} is inside the registry repository ${base.repo.dir}; it holds secrets and must never be committed. Move it outside the repository.`, { file: opts.tokensFile });
  }
  const tokens: TokenEntry[] | undefined = opts.tokensFile ? await loadTokens(opts.tokensFile) : undefined;
  const localId = opts.localIdentity ? await base.identity() : undefined;
  const log = opts.onLog ?? (() => undefined);
  const ctx = new BranchContext(base, opts, ref);
  const limit = opts.maxBodyBytes ?? 1 << 20;

  // Each load reads through a context of its own, so the parsed files it cached are dropped with it
  // (a long-running server would otherwise keep every version of every file it ever read).
  // Its object caches are small: a load reads each object once, so the default 16 MB caches would only raise its peak.
  const onePass = () => new BranchContext(base, { ...opts, objectCacheBytes: 2 << 20 }, ref);
  const load = async (previous?: ServedState) => loadServed(onePass(), await servedTip(ctx, ref), previous);
  let state: ServedState = await load();
  const streams = new EventStreams(ctx, () => state.commit, { ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}) }, (l) => log(l));
  const pending = new Map<string, { stage: string; message: string }>();
  const pullRequests = new Map<string, string>();
  let proposalRefsSeen = '';
  // The ETag names the commit, and the open proposals (they change answers without a commit).
  let proposals = '';
  const etagOf = () => `"${state.commit ?? 'empty'}${proposals ? `-p${createHash('sha1').update(proposals).digest('hex').slice(0, 12)}` : ''}"`;
  let etag = etagOf();
  const cache = new Map<string, { status: number; body: string }>();
  let reloading: Promise<void> | undefined;
  const refresh = async (): Promise<void> => {
    while (reloading) await reloading;
    reloading = (async () => {
      const tip = await servedTip(ctx, ref);
      if (tip === state.commit) return;
      const next = await load(state);
      // The proposals are worked out for the new state first, so no answer mixes the two.
      const open = await openProposals(next, true);
      state = next;
      applyProposals(open);
      etag = etagOf();
      cache.clear();
      streams.advanced();
      deliver();
      for (const p of next.problems) log(`modelreg serve: ${p.model} is not served at ${next.commit?.slice(0, 12)}: ${p.message}`);
    })().finally(() => { reloading = undefined; });
    await reloading;
  };

  // Proposals not merged yet, derived from the modelreg/* branches (so a restart or another replica
  // answers the same); rebuilt when those refs or the served commit change.
  type Open = Array<[string, { stage: string; message: string }]>;
  /** The open proposals at `at` (undefined: the refs did not change since the last look, and `force` is off). */
  const openProposals = async (at: ServedState, force: boolean): Promise<Open | undefined> => {
    if (!opts.propose) return undefined;
    const refs = await proposalRefs(ctx, opts.remote);
    const seen = [...refs].map(([r, o]) => `${r} ${o}`).sort().join('\n');
    if (!force && seen === proposalRefsSeen) return undefined;
    const unreadable: string[] = [];
    const listed = await listProposals(ctx, refs, opts.remote, unreadable);
    // A ref whose commit could not be read yet (a fetch still writing its pack) is looked at again
    // next time: the refs are remembered as seen only when every one of them was read.
    proposalRefsSeen = unreadable.length ? '' : seen;
    const out: Open = [];
    for (const p of listed) {
      const v = at.byKey.get(modelKey(p.model))?.bySemver.get(p.version);
      if (!v || v.record.stage === p.stage) continue; // merged (or the version is gone)
      const pr = pullRequests.get(p.branch);
      out.push([pendingKey(p.model, p.version), { stage: p.stage, message: `Proposed ${p.from ?? v.record.stage} -> ${p.stage} on ${pr ? `pull request ${pr} (branch ${p.branch})` : `branch ${p.branch}`}; it needs its approvals before it merges.` }]);
    }
    return out;
  };
  /** Serves `open` (synchronously, so no answer sees half of it); the ETag changes when they do. */
  const applyProposals = (open: Open | undefined): void => {
    if (!open) return;
    pending.clear();
    for (const [k, p] of open) pending.set(k, p);
    const now = open.map(([k, p]) => `${k} ${p.stage} ${p.message}`).sort().join('\n');
    if (now !== proposals) {
      proposals = now;
      etag = etagOf();
      cache.clear();
    }
  };
  const settle = async (): Promise<void> => {
    const at = state;
    const open = await openProposals(at, false);
    if (at === state) applyProposals(open);
    else proposalRefsSeen = ''; // the state moved meanwhile: look again next time
  };
  applyProposals(await openProposals(state, true));

  // Webhooks (--notify): one `notify` run at a time over the served branch, after each new commit
  // (a commit that arrives during a run gets another run); failures are tried again on a timer.
  let delivering: Promise<void> | undefined;
  let again = false;
  const deliver = (): void => {
    if (!opts.notify) return;
    if (delivering) { again = true; return; }
    delivering = (async () => {
      do {
        again = false;
        const { notify } = await import('../ops/notify.js');
        const r = await notify(new BranchContext(base, opts, ref), { push: !!opts.remote });
        const sent = r.webhooks.reduce((n, w) => n + w.sent, 0);
        if (sent) log(`modelreg serve: delivered ${sent} event${sent === 1 ? '' : 's'} to webhooks`);
        for (const w of r.webhooks) if (w.failed) log(`modelreg serve: webhook ${w.name}: ${w.failed}; tried again later`);
      } while (again);
    })().catch((e) => log(`modelreg serve: delivering webhooks: ${(e as Error).message}`)).finally(() => { delivering = undefined; });
  };
  deliver();
  const redeliver = opts.notify ? setInterval(deliver, opts.notifyRetryMs ?? 30_000) : undefined;
  redeliver?.unref();
  let queue: Promise<unknown> = Promise.resolve();
  const app: App = {
    propose: !!opts.propose,
    pending,
    proposed(branch, pullRequest) {
      if (pullRequest) pullRequests.set(branch, pullRequest);
    },
    state: () => state,
    write<R>(actor: Identity, run: (c: Context, o: { push: boolean }) => Promise<R>): Promise<R> {
      const job = queue.then(async () => {
        try {
          return await run(new BranchContext(base, { ...opts, identity: actor }, ref), { push: !!opts.remote });
        } finally {
          // Serve what the write committed (and any proposal branch it made); a failed reload is reported, not the write's answer.
          await refresh().then(() => settle()).catch((e) => log(`modelreg serve: reading ${ref} after a write: ${(e as Error).message}`));
        }
      });
      queue = job.catch(() => undefined);
      return job;
    },
    downloadUri(m, v, host) {
      const uri = v.record.artifact.uri;
      if (!opts.serveArtifacts || !/^file:/i.test(uri) || !host) return uri;
      return `http://${host}${ARTIFACTS_PREFIX}/${m.name.split('/').map(encodeURIComponent).join('/')}/${v.number}`;
    },
  };

  // The web UI at / (pages and their assets; GET only), reading through contexts of its own.
  const ui = createUi({ state: () => state, ref, newContext: () => new BranchContext(base, opts, ref), walkContext: onePass, log, writable: !opts.readOnly && (!!tokens || !!localId) });
  // Its write side: sign-in, the actions' forms (POST, CSRF-checked, through the same writes as the API) and Promotions.
  const web = createWebActions({ tokens, localIdentity: localId, readOnly: opts.readOnly, run: (actor, fn) => app.write(actor, fn), newContext: () => new BranchContext(base, opts, ref), frame: ui.frame, commit: () => state.commit, log });

  const routes = new Map<string, Route>();
  const paths = new Set<string>();
  for (const r of ROUTES) { routes.set(`${r.method} ${r.path}`, r); paths.add(r.path); }

  const actorFor = (req: IncomingMessage): Identity => {
    if (opts.readOnly) throw new HttpError(403, 'PERMISSION_DENIED', 'This server is read-only (--read-only): it refuses every write. Write with the modelreg CLI, or through a server started without --read-only.');
    if (tokens) {
      const who = authenticate(req.headers.authorization, tokens);
      if (!who) throw new HttpError(401, 'UNAUTHENTICATED', 'Writes need `Authorization: Bearer <token>` with a token from the server\'s token file (MLFLOW_TRACKING_TOKEN in MLflow\'s client).');
      return { name: who.name, email: who.email, ...(who.groups.length ? { groups: who.groups } : {}) };
    }
    if (localId) return localId;
    throw new HttpError(403, 'PERMISSION_DENIED', 'This server takes no writes: it was started without --tokens FILE (or --local-identity on a loopback address). Reads are open.');
  };

  const send = (res: ServerResponse, status: number, body: string, commit: string | undefined, tag: string) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'X-Modelreg-Commit': commit ?? '',
      ETag: tag,
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    // Answers of reads at this commit are cached by URL (cleared when the commit changes); the
    // Host header is part of the key, as --serve-artifacts builds download URIs from it.
    const key = `${req.headers.host ?? ''} ${url}`;
    if (method === 'GET') {
      const hit = cache.get(key);
      if (hit) {
        if (req.headers['if-none-match'] === etag) return send304(res, state.commit, etag);
        return send(res, hit.status, hit.body, state.commit, etag);
      }
    }
    const served = state;
    const tag = etag;
    try {
      const q = url.indexOf('?');
      const pathname = decodeURIComponent(q < 0 ? url : url.slice(0, q));
      const prefix = PREFIXES.find((p) => pathname.startsWith(p));
      const path = prefix ? pathname.slice(prefix.length).replace(/\/$/, '') : undefined;
      if (pathname === EVENTS_PATH) {
        if (method !== 'GET') throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint ${method} ${pathname}; the event stream is GET.`);
        return await streams.open(req, res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
      }
      if (!prefix && await web.handle(req, res, pathname, q < 0 ? '' : url.slice(q + 1))) return;
      if (!prefix && await ui.handle(req, res, pathname, q < 0 ? '' : url.slice(q + 1))) return;
      const route = path !== undefined ? routes.get(`${method} ${path}`) : undefined;
      if (!route && opts.serveArtifacts && method === 'GET' && (pathname === ARTIFACTS_PREFIX || pathname.startsWith(`${ARTIFACTS_PREFIX}/`))) {
        if (pathname === ARTIFACTS_PREFIX) {
          const asked = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('path') ?? '';
          const { m, v, rest } = locate(served, asked);
          return send(res, 200, JSON.stringify(listing(m, v, rest)), served.commit, tag);
        }
        const { m, v, rest } = locate(served, pathname.slice(ARTIFACTS_PREFIX.length + 1));
        const { name, bytes } = await verifiedBytes(m, v, rest);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`, 'X-Modelreg-Commit': served.commit ?? '', ETag: tag });
        return void res.end(bytes);
      }
      if (!route) {
        if (method === 'GET' && (pathname === '/health' || pathname === '/version')) return send(res, 200, JSON.stringify(pathname === '/health' ? { status: 'OK', commit: served.commit ?? null } : { modelreg: 'serve' }), served.commit, tag);
        throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint ${method} ${pathname}.${path !== undefined && paths.has(path) ? ` ${path} takes ${ROUTES.filter((r) => r.path === path).map((r) => r.method).join(' or ')}.` : ''}`);
      }
      if (!route.write && req.headers['if-none-match'] === tag) return send304(res, served.commit, tag);
      const actor = route.write ? actorFor(req) : undefined;
      const query = queryParams(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
      // Other methods take a JSON body; fields in the query string count too (a body field wins).
      const params = method === 'GET' ? query : { ...query, ...parseJson(await readBody(req, limit)) };
      const out = await route.handler(params, app, actor, { host: req.headers.host });
      const body = JSON.stringify(out);
      if (!route.write && served === state) remember(key, 200, body);
      send(res, 200, body, route.write ? state.commit : served.commit, route.write ? etag : tag);
    } catch (e) {
      const err = e instanceof HttpError ? { status: e.status, body: { error_code: e.code, message: e.message } } : e instanceof URIError ? { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: `The request path is not valid percent-encoding: ${e.message}.` } } : mlflowError(e);
      if (err.status === 500) log(`modelreg serve: ${method} ${url}: ${(e as Error)?.stack ?? String(e)}`);
      const body = JSON.stringify(err.body);
      if (method === 'GET' && err.status === 404 && served === state && !url.startsWith(ARTIFACTS_PREFIX)) remember(key, 404, body);
      if (!res.headersSent) send(res, err.status, body, state.commit, etag);
    }
  };
  const remember = (url: string, status: number, body: string) => {
    if (cache.size >= 20_000) cache.clear();
    cache.set(url, { status, body });
  };
  const send304 = (res: ServerResponse, commit: string | undefined, tag: string) => {
    res.writeHead(304, { 'X-Modelreg-Commit': commit ?? '', ETag: tag, 'Cache-Control': 'no-cache' });
    res.end();
  };

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => { void handle(req, res); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new RegistryError('BAD_INPUT', `Cannot listen on ${host}:${opts.port ?? 5000}: ${e.code ?? e.message}. ${e.code === 'EADDRINUSE' ? 'Another process uses that port: pick another with --port (0 picks a free one).' : ''}`.trim(), { host, port: opts.port ?? 5000 })));
    server.listen(opts.port ?? 5000, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  // New local commits: read the ref (a small file, or packed-refs) a few times a second. A commit
  // that cannot be loaded is reported once; the previous one stays served.
  let polling = false;
  let reported: string | undefined;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    refresh().then(() => settle()).catch((e) => {
      const line = `modelreg serve: reading ${ref}: ${(e as Error).message}; still serving ${state.commit?.slice(0, 12) ?? 'nothing'}`;
      if (line !== reported) log(line);
      reported = line;
    }).finally(() => { polling = false; });
  }, opts.pollMs ?? 100);
  poll.unref();
  let fetching: Promise<void> | undefined;
  const fetcher = opts.remote ? setInterval(() => {
    if (fetching) return;
    // The fetch takes its turn in the write queue: a write's own fetch, commit and push never run
    // beside it (two fetches into one repository at once could leave a write judging the remote's
    // tip before its objects are readable, and refuse it as diverged).
    const job = queue.then(async () => {
      await followRemote(ctx, ref, { proposals: !!opts.propose });
      await refresh();
    });
    queue = job.catch(() => undefined);
    fetching = job.catch((e) => log(`modelreg serve: fetching from ${opts.remote}: ${(e as Error).message}`)).finally(() => { fetching = undefined; });
  }, opts.refreshMs ?? 5000) : undefined;
  fetcher?.unref();

  return {
    url: `http://${shownHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    dir: base.repo.dir,
    ref,
    commit: () => state.commit,
    refresh,
    warmed: ui.warmed(),
    async close() {
      clearInterval(poll);
      if (fetcher) clearInterval(fetcher);
      if (redeliver) clearInterval(redeliver);
      streams.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await queue;
      await fetching;
      await delivering;
      await ui.close();
      await closed;
    },
  };
}
