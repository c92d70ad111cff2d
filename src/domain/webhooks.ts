/**
 * The webhook contract, pure: which events a webhook takes, how a delivery is signed (Standard
 * Webhooks; Databricks' header too), which addresses are private, and how long to wait before
 * the next attempt. The HTTP itself is storage/webhook-http.ts; the run is ops/notify.ts.
 */
import { createHmac } from 'node:crypto';
import { aboutModel, typeMatcher, type CloudEvent, type FeedFormat } from './cloudevents.js';
import type { RegistryConfig } from './schema-types.js';

export type WebhookConfig = NonNullable<RegistryConfig['webhooks']>[number];

/** Whether `hook` takes `e` (its `events` and `models` filters; all when absent). */
export function webhookTakes(hook: WebhookConfig, e: CloudEvent): boolean {
  if (hook.models?.length && !hook.models.some((m) => aboutModel(e, m))) return false;
  return typeMatcher(hook.events ?? []).matches(e.type);
}

export function webhookFormat(hook: WebhookConfig): FeedFormat {
  return hook.format ?? 'cloudevents';
}

/** The signing key: a Standard Webhooks secret (`whsec_<base64>`) decoded, any other text as its bytes. */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The Standard Webhooks headers of one delivery: `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 * @example signatureHeaders('s3cret', 'abc:0', 1700000000, '{}')['webhook-signature'] // 'v1,…'
 */
export function signatureHeaders(secret: string | undefined, id: string, timestamp: number, body: string, format: FeedFormat): Record<string, string> {
  const h: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  if (secret === undefined) return h;
  const key = secretKey(secret);
  h['webhook-signature'] = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  // Databricks signs the body alone, hex-encoded, with the secret as given.
  if (format === 'databricks') h['X-Databricks-Signature'] = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
  return h;
}

function v4Private(a: number[]): boolean {
  const [x, y] = a;
  return x === 0 || x === 10 || x === 127 || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254)
    || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 192 && y === 0 && a[2] === 0)
    || (x === 198 && (y === 18 || y === 19)) || x >= 224;
}

/** Whether an IP address is loopback, private, link-local, shared, unspecified or multicast. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return v4Private(v4.slice(1).map(Number));
  if (!/^[0-9a-fA-F:.]+$/.test(ip) || !ip.includes(':')) return true; // not an address: never trusted
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return v4Private(mapped[1].split('.').map(Number));
  if (lower === '::' || lower === '::1') return true;
  const first = parseInt(lower.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

export interface RetryPolicy {
  /** Attempts per event, the first included. */
  maxAttempts: number;
  /** The first backoff, in milliseconds; each next one doubles, with full jitter. */
  baseMs: number;
  /** The longest wait; a Retry-After beyond it ends the run for that webhook. */
  maxDelayMs: number;
}

/** Whether a response status is worth another attempt. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After (seconds or an HTTP date) in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now.getTime());
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): exponential with full jitter, at least Retry-After. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: number, retryAfter?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
  const jittered = Math.round(exp / 2 + (random * exp) / 2);
  return Math.max(jittered, retryAfter ?? 0);
}
