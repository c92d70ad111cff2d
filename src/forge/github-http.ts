/**
 * The HTTP layer of the GitHub adapter: Node's global fetch with GitHub's documented headers,
 * Link-header pagination, and every failure turned into a RegistryError whose message says
 * what to do next. The token travels only in the Authorization header and never appears in
 * a message or in error data.
 */
import { RegistryError, type ErrorCode } from '../errors/index.js';

export const DEFAULT_API_URL = 'https://api.github.com';
const MAX_PAGES = 100;

export interface GithubClientOptions {
  /** API root without a trailing slash, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  apiUrl: string;
  token?: string;
  timeoutMs: number;
  userAgent: string;
}

/** What a request is about, for error messages, and the token permission it needs. */
export interface Subject {
  /** `open a pull request in o/r` */
  action: string;
  /** What a 404 says is missing: `repository o/r`, `pull request o/r#7`. */
  what: string;
  /** `Pull requests: read` */
  permission: string;
}

/** The error body GitHub documents: `{ message, errors?: [{ message?, code? }], documentation_url }`. */
interface GithubErrorBody {
  message?: string;
  errors?: Array<{ message?: string; code?: string; field?: string } | string>;
  documentation_url?: string;
}

export class GithubClient {
  constructor(private readonly o: GithubClientOptions) {}

  get apiUrl(): string {
    return this.o.apiUrl;
  }

  get hasToken(): boolean {
    return Boolean(this.o.token);
  }

  /** One request; `path` starts with `/`, or is an absolute URL from a Link header. */
  async request<T>(method: 'GET' | 'POST', path: string, subject: Subject, body?: unknown): Promise<{ body: T; next?: string }> {
    const url = path.startsWith('/') ? `${this.o.apiUrl}${path}` : path;
    const headers: Record<string, string> = {
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': this.o.userAgent,
    };
    if (this.o.token) headers.Authorization = `Bearer ${this.o.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `did not answer within ${this.o.timeoutMs} ms` : `could not be reached (${this.redact(causeText(e))})`;
      throw new RegistryError('IO', `The GitHub API at ${this.o.apiUrl} ${why} while trying to ${subject.action}. Check the network and GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3), then try again.`, { apiUrl: this.o.apiUrl }, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw this.failure(res, text, subject);
    try {
      return { body: (text ? JSON.parse(text) : undefined) as T, next: this.nextPage(res.headers.get('link')) };
    } catch (e) {
      throw new RegistryError('IO', `The GitHub API at ${this.o.apiUrl} answered a request to ${subject.action} with something that is not JSON. Check GITHUB_API_URL.`, { apiUrl: this.o.apiUrl, status: res.status }, { cause: e });
    }
  }

  /** Every item of a list endpoint, following `rel="next"` links. */
  async paginate<T>(path: string, subject: Subject): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const r: { body: T[]; next?: string } = await this.request<T[]>('GET', next, subject);
      if (!Array.isArray(r.body)) throw new RegistryError('IO', `The GitHub API at ${this.o.apiUrl} did not answer with a list when asked to ${subject.action}. Check GITHUB_API_URL.`, { apiUrl: this.o.apiUrl });
      items.push(...r.body);
      next = r.next;
    }
    return items;
  }

  /** The `rel="next"` URL of a Link header, only when it stays on the API's origin (the token goes with it). */
  private nextPage(link: string | null): string | undefined {
    const next = parseNextLink(link);
    if (!next) return undefined;
    if (new URL(next, this.o.apiUrl).origin !== new URL(this.o.apiUrl).origin) {
      throw new RegistryError('IO', `The GitHub API at ${this.o.apiUrl} pointed the next page at another host; modelreg does not send the token there.`, { apiUrl: this.o.apiUrl });
    }
    return new URL(next, this.o.apiUrl).href;
  }

  private failure(res: Response, text: string, subject: Subject): RegistryError {
    const gh = parseErrorBody(text);
    const said = this.redact(githubMessage(gh) || res.statusText || 'no message');
    const data = { status: res.status, apiUrl: this.o.apiUrl, githubMessage: said, ...(gh.documentation_url ? { documentationUrl: gh.documentation_url } : {}) };
    const mk = (code: ErrorCode, message: string) => new RegistryError(code, message, data);
    const limited = res.headers.get('x-ratelimit-remaining') === '0';
    if ((res.status === 403 || res.status === 429) && limited) {
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      const when = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
      return mk('BAD_INPUT', `GitHub's API rate limit is used up${when} (HTTP ${res.status}: ${said}). ${this.o.token ? 'Wait, then try again.' : 'Set MODELREG_TOKEN or GITHUB_TOKEN for a higher limit, or wait.'}`);
    }
    if (res.status === 401 || res.status === 403) {
      const token = this.o.token ? 'GitHub refused the token' : 'GitHub needs a token';
      return mk('BAD_INPUT', `${token} to ${subject.action} (HTTP ${res.status}: ${said}). Set MODELREG_TOKEN or GITHUB_TOKEN to a token with ${subject.permission}, then try again.`);
    }
    if (res.status === 404) {
      return mk('NOT_FOUND', `GitHub found no ${subject.what} (HTTP 404). Check the owner, repository and number; a private repository also answers 404 when the token (MODELREG_TOKEN or GITHUB_TOKEN) cannot see it.`);
    }
    if (res.status === 422) return mk('CONFLICT', `GitHub would not ${subject.action}: ${said}.`);
    return mk('IO', `GitHub answered HTTP ${res.status} when asked to ${subject.action}: ${said}. Try again later; check ${this.o.apiUrl} if it persists.`);
  }

  private redact(s: string): string {
    return this.o.token ? s.split(this.o.token).join('***') : s;
  }
}

/**
 * The `rel="next"` target of an RFC 8288 Link header, as GitHub sends it for paginated lists.
 *
 * @example
 * parseNextLink('<https://api.github.com/repositories/1/pulls/7/reviews?page=2>; rel="next", <…?page=3>; rel="last"');
 * // 'https://api.github.com/repositories/1/pulls/7/reviews?page=2'
 */
export function parseNextLink(link: string | null | undefined): string | undefined {
  for (const m of (link ?? '').matchAll(/<([^>]*)>([^,<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]*)"?/i.exec(m[2])?.[1] ?? '';
    if (rel.trim().split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}

function parseErrorBody(text: string): GithubErrorBody {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as GithubErrorBody) : {};
  } catch {
    return {};
  }
}

/** `Validation Failed: A pull request already exists for o:branch.` from GitHub's error body. */
function githubMessage(gh: GithubErrorBody): string {
  const details = (gh.errors ?? [])
    .map((e) => (typeof e === 'string' ? e : e.message ?? [e.field, e.code].filter(Boolean).join(' ')))
    .filter(Boolean);
  return [gh.message, ...details].filter(Boolean).join(': ').replace(/\.+$/, '');
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
}
