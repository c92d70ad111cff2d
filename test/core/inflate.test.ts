/**
 * storage/inflate.ts reuses one zlib handle for the many small objects of a pack; it must give
 * exactly what inflateSync gives (and fail where it fails), and keep working after a failure.
 */
import fc from 'fast-check';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { inflatePrefix, inflaterKind } from '../../src/storage/inflate.js';

const reference = (input: Buffer, size: number) => inflateSync(input, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, size);

describe('inflatePrefix', () => {
  it('reuses one handle on this Node (it passed its self-test), so the fast path is what the other tests check', () => {
    expect(inflaterKind()).toBe('reused');
  });

  it('inflates streams followed by other bytes, as in a pack, exactly as inflateSync', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 9 }), (content, after, level) => {
      const input = Buffer.concat([deflateSync(content, { level }), after]);
      const out = inflatePrefix(input, content.length);
      expect(Buffer.compare(out, Buffer.from(content))).toBe(0);
      expect(Buffer.compare(out, reference(input, content.length))).toBe(0);
    }), { numRuns: 500 });
  });

  it('returns what a cut stream holds, handles objects larger than its buffer, and recovers from corrupt data', () => {
    const text = Buffer.from('model: churn\nversion: 1.0.0\nstage: None\n'.repeat(200));
    const z = deflateSync(text);
    const cut = z.subarray(0, z.length >> 1);
    expect(Buffer.compare(inflatePrefix(cut, text.length), reference(cut, text.length))).toBe(0);
    const big = Buffer.alloc(200_000, 'abcdefgh');
    expect(Buffer.compare(inflatePrefix(deflateSync(big), big.length), big)).toBe(0);
    const bad = Buffer.from(z);
    bad[10] ^= 0xff;
    bad[11] ^= 0xff;
    let expected: unknown;
    try { reference(bad, text.length); } catch (e) { expected = e; }
    if (expected) expect(() => inflatePrefix(bad, text.length)).toThrow();
    else expect(Buffer.compare(inflatePrefix(bad, text.length), reference(bad, text.length))).toBe(0);
    expect(() => inflatePrefix(Buffer.from('not zlib at all'), 10)).toThrow();
    // and the next stream is read as before, by a reused handle again
    expect(Buffer.compare(inflatePrefix(z, text.length), text)).toBe(0);
    expect(inflaterKind()).toBe('reused');
  });
});

describe('inflatePrefix into given memory', () => {
  it('inflates a large object straight into the memory `alloc` gives, and a small one into a copy of its size', () => {
    const big = Buffer.from(Array.from({ length: 9000 }, (_, i) => `100644 ${i}.yaml\0${'x'.repeat(20)}`).join(''));
    const given: Buffer[] = [];
    const alloc = (n: number) => { const b = Buffer.allocUnsafeSlow(n); given.push(b); return b; };
    const input = Buffer.concat([deflateSync(big), Buffer.from('PACK next object')]);
    const out = inflatePrefix(input, big.length, alloc);
    expect(Buffer.compare(out, big)).toBe(0);
    expect(given).toHaveLength(1);
    expect(out.buffer).toBe(given[0].buffer);
    // A stream cut short gives what inflateSync gives: its first bytes, fewer than asked for.
    const cut = input.subarray(0, input.length >> 1);
    const partial = inflatePrefix(cut, big.length, alloc);
    expect(partial.length).toBeLessThan(big.length);
    expect(Buffer.compare(partial, reference(cut, big.length))).toBe(0);
    const small = Buffer.from('model: churn\n');
    const s = inflatePrefix(deflateSync(small), small.length, alloc);
    expect(Buffer.compare(s, small)).toBe(0);
    expect(s.buffer).toBe(given[2].buffer);
    expect(inflaterKind()).toBe('reused');
  });
});

describe('MODELREG_INFLATE=public', () => {
  it('turns the reused native handle off, and the answers are the same', async () => {
    const before = process.env.MODELREG_INFLATE;
    process.env.MODELREG_INFLATE = 'public';
    try {
      vi.resetModules();
      const fresh = await import('../../src/storage/inflate.js');
      expect(fresh.inflaterKind()).toBe('inflateSync');
      fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 32 }), (content, after) => {
        const input = Buffer.concat([deflateSync(content), after]);
        expect(Buffer.compare(fresh.inflatePrefix(input, content.length), inflatePrefix(input, content.length))).toBe(0);
      }), { numRuns: 200 });
      expect(() => fresh.inflatePrefix(Buffer.from('not zlib at all'), 10)).toThrow();
    } finally {
      if (before === undefined) delete process.env.MODELREG_INFLATE;
      else process.env.MODELREG_INFLATE = before;
      vi.resetModules();
    }
  });
});
