/** A cookie-keeping HTTP client for the UI's forms (what a browser does, without one), and the server the action suites start. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/http.js';
import { tempDir } from '../helpers/repo.js';

export const TOKENS = { dana: 'dana-token-0123456789abcdef', alice: 'alice-token-0123456789abcdef' };

export async function tokenFile(): Promise<string> {
  const file = join(await tempDir('mrui-tokens-'), 'tokens.yaml');
  await writeFile(file, `tokens:
  - { token: ${TOKENS.dana}, name: Dana Scientist, email: dana@example.com }
  - { token: ${TOKENS.alice}, name: Alice Lead, email: alice@example.com, groups: [ml-leads] }
`);
  return file;
}

const servers: RunningServer[] = [];
afterAll(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

export async function serveUi(dir: string, opts: ServeOptions = {}): Promise<RunningServer> {
  const s = await startServer({ dir, port: 0, env: {}, onLog: () => undefined, ...opts });
  servers.push(s);
  return s;
}

export interface Page { status: number; text: string; headers: Headers }

export class Browserish {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private keep(h: Headers): void {
    for (const c of h.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(c) || !value) this.cookies.delete(name); else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async get(path: string, method = 'GET'): Promise<Page> {
    const r = await fetch(`${this.base}${path}`, { method, headers: this.cookieHeader(), redirect: 'manual' });
    this.keep(r.headers);
    return { status: r.status, text: await r.text(), headers: r.headers };
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const r = await fetch(`${this.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader(), ...headers }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
    this.keep(r.headers);
    return { status: r.status, text: await r.text(), headers: r.headers };
  }

  async signIn(token: string): Promise<Page> {
    const form = await this.get('/sign-in');
    return this.post('/sign-in', { token, csrf: csrfOf(form.text), next: '/promotions' });
  }
}

/** The CSRF token a page's form carries. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF field in the page:\n${html.slice(0, 2000)}`);
  return m[1];
}

/** The hidden fields of the confirm form of a preview page. */
export function confirmFields(html: string): Record<string, string> {
  const form = /<form method="post" action="[^"]+" class="confirm">([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no confirm form in the page:\n${html.slice(0, 3000)}`);
  const out: Record<string, string> = {};
  for (const m of form[1].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]] = m[2].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#96;/g, '`').replace(/&amp;/g, '&');
  return out;
}

