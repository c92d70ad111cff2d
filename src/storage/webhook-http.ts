/**
 * One webhook POST. The host is resolved here and every address it resolves to is checked
 * before anything is sent; the connection then goes to the address that was checked (a second
 * lookup could answer differently), so a name cannot point a webhook at an internal service
 * unless the webhook allows private networks.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../domain/webhooks.js';
import { RegistryError } from '../errors/index.js';

export interface PostResult {
  status: number;
  retryAfter?: string;
}

/** The address to connect to, after checking that it may be reached. */
async function checkedAddress(url: URL, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addrs = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  if (!addrs.length) throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' });
  const inner = addrs.find((a) => isPrivateAddress(a.address));
  if (inner && !allowPrivate) {
    throw new RegistryError('DENIED', `${url.origin} resolves to ${inner.address}, a private or loopback address. Webhooks reach such addresses only with \`allowPrivateNetwork: true\` in modelreg.yaml.`, { url: url.origin, address: inner.address });
  }
  return addrs[0];
}

/**
 * POSTs `body` to `url`; resolves with the status (any status), rejects on a connection error
 * (code ECONNREFUSED, ECONNRESET, ETIMEDOUT, …) and with DENIED for a forbidden address.
 */
export async function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, opts: { allowPrivate: boolean; timeoutMs: number }): Promise<PostResult> {
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RegistryError('BAD_INPUT', `${rawUrl} is not an http or https url; webhooks are sent over http(s) only.`, { url: rawUrl });
  }
  const target = await checkedAddress(url, opts.allowPrivate);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = mod.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'modelreg-notify', 'content-length': String(Buffer.byteLength(body)), ...headers },
      timeout: opts.timeoutMs,
      lookup: ((_host: string, options: { all?: boolean } | undefined, cb: (...a: unknown[]) => void) => {
        if (options?.all) cb(null, [target]);
        else cb(null, target.address, target.family);
      }) as unknown as LookupFunction,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}
