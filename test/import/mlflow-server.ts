/**
 * A local HTTP server answering MLflow's Model Registry REST API as documented in
 * model_registry.proto (`/api/2.0/mlflow/…`): searches paged by `max_results`/`page_token`,
 * `{error_code, message}` errors, int64 timestamps as JSON numbers. It holds its registry in
 * memory and records every request, so tests can assert what a client asked for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVersion {
  name: string; version: string; creation_timestamp: number; last_updated_timestamp?: number; user_id?: string;
  current_stage: string; description?: string; source: string; run_id?: string; run_link?: string; status: string;
  tags?: Array<{ key: string; value: string }>; aliases?: string[];
}
export interface FakeModel {
  name: string; creation_timestamp: number; description?: string;
  tags?: Array<{ key: string; value: string }>; aliases?: Array<{ alias: string; version: string }>;
}

export interface FakeMlflow {
  url: string;
  models: FakeModel[];
  versions: FakeVersion[];
  requests: Array<{ method: string; path: string; query: Record<string, string>; body?: Record<string, unknown> }>;
  /** Answer every request whose path ends with `path` with this status and MLflow error. */
  fail?: { path: string; status: number; error_code: string; message: string };
  stop(): Promise<void>;
}

const page = <T>(all: T[], q: Record<string, string>, cap: number): { items: T[]; next?: string } => {
  const size = Math.min(Number(q.max_results ?? 100), cap);
  const start = q.page_token ? Number(Buffer.from(q.page_token, 'base64').toString('utf8').replace('offset:', '')) : 0;
  const items = all.slice(start, start + size);
  return { items, ...(start + size < all.length ? { next: Buffer.from(`offset:${start + size}`).toString('base64') } : {}) };
};

/** `pageCap`: the most items a page holds whatever max_results asks (servers may return fewer). */
export async function startMlflow(models: FakeModel[] = [], versions: FakeVersion[] = [], pageCap = 1000): Promise<FakeMlflow> {
  const state: FakeMlflow = { url: '', models, versions, requests: [], stop: async () => undefined };
  const send = (res: ServerResponse, status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  const missing = (res: ServerResponse, what: string) => send(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `${what} not found` });
  const withAliases = (m: FakeModel) => ({ ...m, aliases: m.aliases ?? [] });
  const versionOut = (v: FakeVersion) => ({ ...v, aliases: (state.models.find((m) => m.name === v.name)?.aliases ?? []).filter((a) => a.version === v.version).map((a) => a.alias) });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
    const query = Object.fromEntries(u.searchParams);
    let body: Record<string, unknown> | undefined;
    if (req.method !== 'GET') {
      let text = '';
      for await (const c of req) text += c;
      body = text ? JSON.parse(text) : {};
    }
    state.requests.push({ method: req.method ?? 'GET', path, query, ...(body ? { body } : {}) });
    if (state.fail && path.endsWith(state.fail.path)) return send(res, state.fail.status, { error_code: state.fail.error_code, message: state.fail.message });
    const b = body ?? {};
    switch (`${req.method} ${path}`) {
      case 'GET registered-models/search': {
        const p = page(state.models, query, pageCap);
        return send(res, 200, { registered_models: p.items.map(withAliases), ...(p.next ? { next_page_token: p.next } : {}) });
      }
      case 'GET registered-models/get': {
        const m = state.models.find((x) => x.name === query.name);
        return m ? send(res, 200, { registered_model: withAliases(m) }) : missing(res, `Registered Model with name=${query.name}`);
      }
      case 'GET model-versions/search': {
        const name = /^name\s*=\s*'(.*)'$/.exec(query.filter ?? '')?.[1];
        const p = page(state.versions.filter((v) => name === undefined || v.name === name), query, pageCap);
        return send(res, 200, { model_versions: p.items.map(versionOut), ...(p.next ? { next_page_token: p.next } : {}) });
      }
      case 'POST registered-models/create': {
        if (state.models.some((m) => m.name === b.name)) return send(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Registered Model (name=${b.name}) already exists.` });
        const m: FakeModel = { name: String(b.name), creation_timestamp: 1_700_000_000_000, description: b.description as string, tags: b.tags as FakeModel['tags'] };
        state.models.push(m);
        return send(res, 200, { registered_model: withAliases(m) });
      }
      case 'POST model-versions/create': {
        if (!state.models.some((m) => m.name === b.name)) return missing(res, `Registered Model with name=${b.name}`);
        const n = state.versions.filter((v) => v.name === b.name).length + 1;
        const v: FakeVersion = { name: String(b.name), version: String(n), creation_timestamp: 1_700_000_000_000 + n, current_stage: 'None', source: String(b.source), run_id: b.run_id as string, description: b.description as string, status: 'READY', tags: b.tags as FakeVersion['tags'] };
        state.versions.push(v);
        return send(res, 200, { model_version: versionOut(v) });
      }
      case 'POST model-versions/transition-stage': {
        const v = state.versions.find((x) => x.name === b.name && x.version === b.version);
        if (!v) return missing(res, `Model Version (name=${b.name}, version=${b.version})`);
        v.current_stage = String(b.stage);
        return send(res, 200, { model_version: versionOut(v) });
      }
      case 'POST registered-models/alias': {
        const m = state.models.find((x) => x.name === b.name);
        if (!m) return missing(res, `Registered Model with name=${b.name}`);
        m.aliases = [...(m.aliases ?? []).filter((a) => a.alias !== b.alias), { alias: String(b.alias), version: String(b.version) }];
        return send(res, 200, {});
      }
      default:
        return send(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No endpoint ${req.method} ${path}` });
    }
  }

  const server = createServer((req, res) => { handle(req, res).catch((e) => send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(e) })); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
