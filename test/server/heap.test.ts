/**
 * The server's V8 heap settings (server/heap.ts). V8 refuses a code cache made under other
 * flags: that is how these tests see which flags are in force, and why the defaults must come
 * back before the CLI's launcher writes its cache after `serve` stops.
 */
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { keepHeapSmall } from '../../src/server/heap.js';

const SOURCE = 'function answer() { return 6 * 7; } answer();';
// Each script gets a name of its own: V8 would otherwise take it from its in-memory compilation cache and never look at the data.
let n = 0;
const named = () => ({ filename: `heap-test-${process.pid}-${n++}.js` });

function cacheMadeNow(): Buffer {
  const s = new Script(SOURCE, named());
  s.runInThisContext();
  return s.createCachedData();
}

const refused = (data: Buffer) => new Script(SOURCE, { ...named(), cachedData: data }).cachedDataRejected;

describe('keepHeapSmall', () => {
  it('sets V8 flags while the server runs and puts the defaults back (a code cache made before is refused, then accepted again)', () => {
    const before = cacheMadeNow();
    expect(refused(before)).toBe(false);
    const heap = keepHeapSmall([], '');
    try {
      expect(refused(before)).toBe(true);
      heap.serving(); // the young generation may grow now; the old-generation setting stays
      expect(refused(before)).toBe(true);
    } finally {
      heap.restore();
    }
    expect(refused(before)).toBe(false);
    heap.restore(); // a second call changes nothing
    expect(refused(before)).toBe(false);
  });

  it('leaves alone what the user set with node arguments or NODE_OPTIONS', () => {
    const before = cacheMadeNow();
    const heap = keepHeapSmall(['--semi-space-growth-factor=1'], '--max-old-space-size=512 --heap_growing_percent=20');
    try {
      expect(refused(before)).toBe(false);
      heap.serving();
      expect(refused(before)).toBe(false);
    } finally {
      heap.restore();
    }
    expect(refused(before)).toBe(false);
  });
});
