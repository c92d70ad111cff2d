/**
 * The HTTP layer of the GitLab adapter: Node's global fetch against REST API v4, with a
 * project or personal token in PRIVATE-TOKEN or the CI job token in JOB-TOKEN, and every
 * failure turned into a RegistryError whose message says what to do next. The token travels
 * only in its header and never appears in a message or in error data.
 */
import { RegistryError, type ErrorCode } from '../errors/index.js';

export const DEFAULT_GITLAB_API_URL = 'https://gitlab.com/api/v4';

/** A token and the header it travels in: a project, group or personal access token, or CI_JOB_TOKEN. */
export interface GitlabToken {
  value: string;
  kind: 'private' | 'job';
}

export interface GitlabClientOptions {
  /** API root without a trailing slash, e.g. https://gitlab.com/api/v4. */
  apiUrl: string;
  token?: GitlabToken;
  timeoutMs: number;
}

/** What a request is about, for error messages, and the token scope it needs. */
export interface GitlabSubject {
  /** `open a merge request in group/project` */
  action: string;
  /** What a 404 says is missing: `project group/project`, `merge request group/project!7`. */
  what: string;
  /** `read_api` */
  scope: string;
}

/** GitLab's error bodies: `{ message: string | string[] | { field: string[] } }` or `{ error, error_description }`. */
interface GitlabErrorBody {
  message?: string | string[] | Record<string, string[] | string>;
  error?: string;
  error_description?: string;
}

export class GitlabClient {
  constructor(private readonly o: GitlabClientOptions) {}

  get apiUrl(): string {
    return this.o.apiUrl;
  }

  get token(): GitlabToken | undefined {
    return this.o.token;
  }

  async request<T>(method: 'GET' | 'POST', path: string, subject: GitlabSubject, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'modelreg' };
    if (this.o.token) headers[this.o.token.kind === 'job' ? 'JOB-TOKEN' : 'PRIVATE-TOKEN'] = this.o.token.value;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.o.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `did not answer within ${this.o.timeoutMs} ms` : `could not be reached (${this.redact(causeText(e))})`;
      throw new RegistryError('IO', `The GitLab API at ${this.o.apiUrl} ${why} while trying to ${subject.action}. Check the network and CI_API_V4_URL (self-managed GitLab: https://HOST/api/v4), then try again.`, { apiUrl: this.o.apiUrl }, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw this.failure(res, text, subject);
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (e) {
      throw new RegistryError('IO', `The GitLab API at ${this.o.apiUrl} answered a request to ${subject.action} with something that is not JSON. Check CI_API_V4_URL.`, { apiUrl: this.o.apiUrl, status: res.status }, { cause: e });
    }
  }

  private failure(res: Response, text: string, subject: GitlabSubject): RegistryError {
    const said = this.redact(gitlabMessage(parseErrorBody(text)) || res.statusText || 'no message');
    const mk = (code: ErrorCode, message: string) => new RegistryError(code, message, { status: res.status, apiUrl: this.o.apiUrl, gitlabMessage: said });
    const fix = `Set MODELREG_TOKEN to a project access token with the ${subject.scope} scope (role Reporter or higher; Developer to open merge requests)`;
    if (res.status === 401 || res.status === 403) {
      const who = !this.o.token ? 'GitLab needs a token' : this.o.token.kind === 'job' ? 'GitLab refused CI_JOB_TOKEN' : 'GitLab refused the token in MODELREG_TOKEN';
      const job = this.o.token?.kind === 'job' ? ' The CI job token cannot read or open merge requests on most GitLab versions.' : '';
      return mk('BAD_INPUT', `${who} to ${subject.action} (HTTP ${res.status}: ${said}).${job} ${fix}, then run the job again.`);
    }
    if (res.status === 404) {
      return mk('NOT_FOUND', `GitLab found no ${subject.what} (HTTP 404: ${said}). Check the project path and merge request number; a private project also answers 404 when the token cannot see it.`);
    }
    if (res.status === 409 || res.status === 422) return mk('CONFLICT', `GitLab would not ${subject.action}: ${said}.`);
    if (res.status === 429) return mk('BAD_INPUT', `GitLab's rate limit is used up (HTTP 429: ${said}). Wait, then try again.`);
    return mk('IO', `GitLab answered HTTP ${res.status} when asked to ${subject.action}: ${said}. Try again later; check ${this.o.apiUrl} if it persists.`);
  }

  private redact(s: string): string {
    return this.o.token ? s.split(this.o.token.value).join('***') : s;
  }
}

function parseErrorBody(text: string): GitlabErrorBody {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as GitlabErrorBody) : {};
  } catch {
    return {};
  }
}

/** `Another open merge request already exists for this source branch: !5`, `target_branch is invalid`, `401 Unauthorized`. */
export function gitlabMessage(b: GitlabErrorBody): string {
  const m = b.message;
  const parts = typeof m === 'string' ? [m]
    : Array.isArray(m) ? m.map(String)
    : m && typeof m === 'object' ? Object.entries(m).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    : [];
  if (b.error) parts.push(b.error_description ? `${b.error}: ${b.error_description}` : b.error);
  return parts.join('; ').replace(/\.+$/, '');
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
}
