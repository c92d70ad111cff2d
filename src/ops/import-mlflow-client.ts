/**
 * A small client of MLflow's Model Registry REST API (model_registry.proto, `/api/2.0/mlflow/…`):
 * the calls `import mlflow` and `export mlflow` make, paged searches followed to the end.
 * Credentials: MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic), as
 * MLflow's own client reads them; never in a message. MLflow's `{error_code, message}` becomes a
 * RegistryError: RESOURCE_DOES_NOT_EXIST → NOT_FOUND, PERMISSION_DENIED/401 → DENIED,
 * RESOURCE_ALREADY_EXISTS → CONFLICT, INVALID_PARAMETER_VALUE → BAD_INPUT, the rest → IO.
 */
import { RegistryError, type ErrorCode } from '../errors/index.js';

export interface MlflowTag { key: string; value: string }
export interface MlflowAlias { alias: string; version: string }
export interface MlflowModel {
  name: string;
  creation_timestamp?: string | number;
  description?: string;
  tags?: MlflowTag[];
  aliases?: MlflowAlias[];
}
export interface MlflowVersion {
  name: string;
  version: string;
  creation_timestamp?: string | number;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

const CODES: Record<string, ErrorCode> = {
  RESOURCE_DOES_NOT_EXIST: 'NOT_FOUND', PERMISSION_DENIED: 'DENIED', UNAUTHENTICATED: 'DENIED',
  RESOURCE_ALREADY_EXISTS: 'CONFLICT', INVALID_PARAMETER_VALUE: 'BAD_INPUT',
};

export class MlflowClient {
  private readonly base: string;
  constructor(uri: string, private readonly env: NodeJS.ProcessEnv, private readonly pageSize = 100) {
    let u: URL;
    try { u = new URL(uri); } catch { throw new RegistryError('BAD_INPUT', `--registry-uri ${uri} is not a URL. Give the MLflow tracking server, e.g. http://localhost:5000.`, { uri }); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RegistryError('BAD_INPUT', `--registry-uri ${uri}: modelreg speaks MLflow's REST API over http(s) only.`, { uri });
    this.base = u.href.replace(/\/+$/, '');
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json' };
    if (this.env.MLFLOW_TRACKING_TOKEN) h.authorization = `Bearer ${this.env.MLFLOW_TRACKING_TOKEN}`;
    else if (this.env.MLFLOW_TRACKING_USERNAME) h.authorization = `Basic ${Buffer.from(`${this.env.MLFLOW_TRACKING_USERNAME}:${this.env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`;
    return h;
  }

  async call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${path}`;
    if (method === 'GET' && body) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) if (v !== undefined) q.set(k, String(v));
      url += `?${q}`;
    }
    const res = await fetch(url, { method, headers: this.headers(), ...(method !== 'GET' ? { body: JSON.stringify(body ?? {}) } : {}) }).catch((e) => {
      throw new RegistryError('IO', `Could not reach MLflow at ${this.base}: ${(e as Error).message}. Check --registry-uri and that the server runs.`, { uri: this.base }, { cause: e });
    });
    const text = await res.text();
    let data: Record<string, unknown> = {};
    try { data = text ? JSON.parse(text) : {}; } catch { /* a proxy's HTML page: reported below by status */ }
    if (!res.ok) {
      const mlflowCode = typeof data.error_code === 'string' ? data.error_code : undefined;
      const code: ErrorCode = (mlflowCode ? CODES[mlflowCode] : undefined) ?? (res.status === 401 || res.status === 403 ? 'DENIED' : res.status === 404 ? 'NOT_FOUND' : 'IO');
      const hint = code === 'DENIED' ? ' Set MLFLOW_TRACKING_TOKEN (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD).' : '';
      throw new RegistryError(code, `MLflow answered ${method} ${path.split('?')[0]} with HTTP ${res.status}${mlflowCode ? ` ${mlflowCode}` : ''}: ${typeof data.message === 'string' ? data.message : text.slice(0, 200)}.${hint}`, { status: res.status, errorCode: mlflowCode, path });
    }
    return data as T;
  }

  /** Every page of a search, in the server's order. */
  private async all<T>(path: string, key: string, params: Record<string, unknown>): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const r = await this.call<Record<string, unknown>>('GET', path, { ...params, max_results: this.pageSize, page_token: token });
      out.push(...((r[key] as T[] | undefined) ?? []));
      token = typeof r.next_page_token === 'string' && r.next_page_token ? r.next_page_token : undefined;
      if (!token) return out;
    }
    throw new RegistryError('IO', `MLflow kept returning next_page_token for ${path}; stopped after 100000 pages.`, { path });
  }

  /** Registered models, all or the named ones. */
  async models(names?: string[]): Promise<MlflowModel[]> {
    if (!names?.length) return this.all<MlflowModel>('registered-models/search', 'registered_models', {});
    const out: MlflowModel[] = [];
    for (const name of names) out.push((await this.call<{ registered_model: MlflowModel }>('GET', 'registered-models/get', { name })).registered_model);
    return out;
  }

  /** A model's versions in registration order (by number). */
  async versions(name: string): Promise<MlflowVersion[]> {
    const all = await this.all<MlflowVersion>('model-versions/search', 'model_versions', { filter: `name='${name.replace(/'/g, "\\'")}'` });
    return all.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async model(name: string): Promise<MlflowModel | undefined> {
    try {
      return (await this.call<{ registered_model: MlflowModel }>('GET', 'registered-models/get', { name })).registered_model;
    } catch (e) {
      if ((e as RegistryError).code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }
}
