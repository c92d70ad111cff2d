/**
 * Sign-in for the web UI: a session per signed-in person, held in memory, named by a random id
 * in an HttpOnly, SameSite=Strict cookie, with a synchronizer CSRF token that every write form
 * carries and the server compares in constant time. The sign-in form itself (no session yet) is
 * protected by a short-lived pre-session cookie and an HMAC of it in the form.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../storage/repo.js';

export const SESSION_COOKIE = 'modelreg_session';
export const SIGNIN_COOKIE = 'modelreg_signin';

export interface Session {
  id: string;
  csrf: string;
  identity: Identity;
  /** How the person signed in: a token from the token file, or the server's local identity. */
  via: 'token' | 'local';
  expires: number;
}

export interface SessionOptions {
  /** How long a session lasts without use (default 8 hours); each request extends it. */
  ttlMs?: number;
  /** Sessions kept at most (default 10,000); the least recently used go first. */
  max?: number;
  now?: () => number;
}

const random = () => randomBytes(32).toString('base64url');
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality of two strings of any length (their SHA-256 digests are compared). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || !a || !b) return false;
  return timingSafeEqual(digest(a), digest(b));
}

/** The cookies of a request, by name (the first of a repeated name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/; Secure when the request came over HTTPS (a TLS proxy says so). */
export function cookie(name: string, value: string, maxAgeSeconds: number, req?: IncomingMessage): string {
  const secure = req && (req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted);
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure ? '; Secure' : ''}`;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  /** Signs the pre-session cookie of the sign-in form; new at every start, so a restart ends open forms too. */
  private readonly secret = randomBytes(32);
  readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 8 * 3600_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** A new session for `identity`; the caller sets its cookie. */
  create(identity: Identity, via: Session['via']): Session {
    while (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value!);
    // The whole identity is kept (a token's groups too, where the Identity carries them), never a secret.
    const s: Session = { id: random(), csrf: random(), identity: { ...identity }, via, expires: this.now() + this.ttlMs };
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session a request's cookie names (extended by this use), or undefined. */
  of(req: IncomingMessage): Session | undefined {
    const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    this.byId.delete(id);
    if (s.expires <= this.now()) return undefined;
    s.expires = this.now() + this.ttlMs;
    this.byId.set(id, s);
    return s;
  }

  end(s: Session): void {
    this.byId.delete(s.id);
  }

  /** Whether a form's CSRF token is the session's (constant time). */
  checkCsrf(s: Session, given: string | undefined): boolean {
    return sameSecret(s.csrf, given);
  }

  /** For the sign-in form: a random pre-session value (its cookie) and the token the form carries. */
  signInForm(): { cookieValue: string; csrf: string } {
    const value = `${this.now() + 3600_000}.${random()}`;
    return { cookieValue: value, csrf: this.mac(value) };
  }

  /** Whether a sign-in POST carries the token of its own pre-session cookie, within the hour it is valid. */
  checkSignIn(req: IncomingMessage, given: string | undefined): boolean {
    const value = parseCookies(req.headers.cookie).get(SIGNIN_COOKIE);
    if (!value || !(Number(value.split('.')[0]) > this.now())) return false;
    return sameSecret(this.mac(value), given);
  }

  private mac(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('base64url');
  }
}
