/** The pure webhook contract (domain/webhooks.ts, domain/cloudevents.ts): signing, address classes, backoff, filters. */
import { describe, expect, it } from 'vitest';
import { typeMatcher } from '../../src/domain/cloudevents.js';
import { isPrivateAddress, retryAfterMs, retryDelay, signatureHeaders } from '../../src/domain/webhooks.js';

describe('webhook signing', () => {
  it('matches the Standard Webhooks reference example', () => {
    // The example of the Standard Webhooks specification (github.com/standard-webhooks/standard-webhooks).
    const h = signatureHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}', 'cloudevents');
    expect(h).toEqual({ 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' });
  });

  it('sends no signature without a secret', () => {
    expect(signatureHeaders(undefined, 'a:0', 1, '{}', 'databricks')).toEqual({ 'webhook-id': 'a:0', 'webhook-timestamp': '1' });
  });
});

describe('private addresses', () => {
  it.each([
    ['127.0.0.1', true], ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true], ['192.168.1.1', true],
    ['169.254.169.254', true], ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['::1', true], ['::', true],
    ['fc00::1', true], ['fd12:3456::1', true], ['fe80::1', true], ['::ffff:127.0.0.1', true], ['::ffff:10.0.0.1', true], ['not-an-ip', true],
    ['8.8.8.8', false], ['172.32.0.1', false], ['192.169.0.1', false], ['100.128.0.1', false], ['2606:4700::1111', false], ['::ffff:8.8.8.8', false],
  ])('%s private: %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});

describe('backoff', () => {
  const policy = { maxAttempts: 6, baseMs: 1000, maxDelayMs: 60_000 };
  it('doubles with jitter between half and the whole step, capped', () => {
    expect([1, 2, 3].map((a) => retryDelay(policy, a, 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => retryDelay(policy, a, 1))).toEqual([1000, 2000, 4000]);
    expect(retryDelay(policy, 20, 1)).toBe(60_000);
  });
  it('never waits less than Retry-After', () => {
    expect(retryDelay(policy, 1, 0, 7000)).toBe(7000);
    const now = new Date('2026-03-01T09:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 01 Mar 2026 09:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('type filters', () => {
  it('take full and short names and a trailing *, and name what matches nothing', () => {
    const m = typeMatcher(['version.*', 'dev.modelreg.alias.set', 'nothing.here']);
    expect(m.matches('dev.modelreg.version.registered')).toBe(true);
    expect(m.matches('dev.modelreg.alias.set')).toBe(true);
    expect(m.matches('dev.modelreg.alias.deleted')).toBe(false);
    expect(m.unknown).toEqual(['nothing.here']);
    expect(typeMatcher([]).matches('dev.modelreg.tag.set')).toBe(true);
  });
});
