/**
 * Inflating many small zlib streams (Git objects in a pack) with one zlib handle.
 *
 * `zlib.inflateSync` builds a new stream object and native zlib state per call: about 9 µs
 * for a tree of a few hundred bytes, which is nearly all of what it costs. A cold listing
 * inflates every tree of the registry (2,000 at 10k versions, 20,000 at 100k), and a read
 * from a pack one object per blob. Here one Inflate's native handle is reset and written
 * synchronously for each stream (about 0.5 µs for such a tree). That handle API
 * (`_handle.writeSync`, `_writeState`) is Node's own, undocumented but unchanged since Node
 * 10; when it is missing or behaves unexpectedly, this falls back to `inflateSync`, so the
 * answer is the same either way.
 */
import { constants, createInflate, deflateSync, inflateSync } from 'node:zlib';

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

interface Reusable {
  stream: { destroyed: boolean };
  handle: NativeHandle;
  /** [avail_out, avail_in] after the last write. */
  state: Uint32Array;
}

/** Objects smaller than this are inflated into a scratch buffer and copied out; larger ones straight into their result. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;
/** undefined: not tried yet; null: not available here. */
let reusable: Reusable | null | undefined;

function acquire(): Reusable | undefined {
  if (reusable !== undefined) return reusable ?? undefined;
  // MODELREG_INFLATE=public: public zlib only (the benchmark's comparison, and a way out should
  // a Node ever misbehave here in a way the self-test does not catch).
  if (process.env.MODELREG_INFLATE === 'public') {
    reusable = null;
    return undefined;
  }
  try {
    const stream = createInflate() as unknown as { destroyed: boolean; _handle?: NativeHandle; _writeState?: unknown; on(ev: 'error', f: (e: unknown) => void): void };
    const handle = stream._handle;
    const state = stream._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
      reusable = null;
      return undefined;
    }
    const r: Reusable = { stream, handle, state };
    // zlib reports a data error by destroying the stream at once (closing its handle) and
    // emitting 'error' later; the listener keeps that from being an uncaught error.
    stream.on('error', () => undefined);
    // The handle is used only if it inflates a known stream (followed by other bytes, as in a
    // pack) to exactly the known bytes: a Node whose internals mean something else falls back.
    reusable = selfTest(r) ? r : null;
    return reusable ?? undefined;
  } catch {
    reusable = null;
    return undefined;
  }
}

const PROBE = Buffer.from('tree 0\u0000100644 model.yaml\u0000'.repeat(9));

function selfTest(r: Reusable): boolean {
  const input = Buffer.concat([deflateSync(PROBE), Buffer.from('PACK trailing bytes')]);
  const out = Buffer.allocUnsafe(SCRATCH_BYTES);
  r.handle.reset();
  r.handle.writeSync(constants.Z_SYNC_FLUSH, input, 0, input.length, out, 0, out.length);
  const produced = out.length - r.state[0];
  return !r.stream.destroyed && produced === PROBE.length && out.subarray(0, produced).equals(PROBE);
}

/**
 * The first `size` bytes inflated from the zlib stream at the start of `input` (which may hold
 * more bytes after the stream), or fewer when `input` ends early. The same bytes as
 * `inflateSync(input, { finishFlush: Z_SYNC_FLUSH }).subarray(0, size)`; throws on corrupt data.
 * `alloc` gives the memory of the result (its length at least the bytes asked for).
 *
 * A large object (a model folder's tree of 10,000 versions: 450 kB) is inflated by the same
 * handle straight into its result: `inflateSync` built a stream, its native state and an output
 * buffer of its own for each, which a history walk did once a commit, and that garbage (60 MB
 * at 10,000 versions) was most of the walk's peak memory outside the heap.
 */
export function inflatePrefix(input: Uint8Array, size: number, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const r = acquire();
  if (r) {
    const direct = size >= SCRATCH_BYTES;
    const into = direct ? alloc(size) : (scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
    const room = direct ? size : SCRATCH_BYTES;
    let ok = false;
    let produced = 0;
    try {
      r.handle.reset();
      r.handle.writeSync(constants.Z_SYNC_FLUSH, input, 0, input.length, into, 0, room);
      produced = room - r.state[0];
      ok = !r.stream.destroyed && produced >= 0 && produced <= room;
    } catch {
      ok = false;
    }
    if (ok) {
      const n = Math.min(produced, size);
      if (direct) return n === into.length ? into : into.subarray(0, n);
      const out = alloc(n);
      scratch!.copy(out, 0, 0, n);
      return out.length === n ? out : out.subarray(0, n);
    }
    // Corrupt data, or the handle misbehaved: drop it, and let inflateSync give the answer
    // (or the error) as it always did.
    reusable = undefined;
  }
  return inflateSync(input, { finishFlush: constants.Z_SYNC_FLUSH, chunkSize: Math.max(64, size + 64) }).subarray(0, size);
}

/** Which inflater this Node gives: `reused` (one handle for every object) or `inflateSync`. */
export function inflaterKind(): 'reused' | 'inflateSync' {
  return acquire() ? 'reused' : 'inflateSync';
}
