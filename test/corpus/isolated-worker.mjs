// Runs one library operation in a worker thread, so the corpus can bound its memory
// (resourceLimits), measure the heap of this isolate alone (other tests run concurrently in the
// main thread), and stop it when it runs too long (worker.terminate() interrupts a loop that
// never yields). Plain JavaScript: a worker cannot load the TypeScript sources, so it uses the
// build (dist/), as the CLI does.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

const { lib, op, input, dir, identity, nowIso, env } = workerData;

function plain(v) {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x instanceof Map ? Object.fromEntries(x) : x)) ?? 'null');
}

const { openRegistry } = await import(lib);
// Load what the operations load lazily, so the heap measured is the operation's, not the modules'.
for (const m of ['ops/check.js', 'ops/read.js', 'ops/register.js', 'ops/transition.js', 'storage/files.js', 'policy/index.js']) {
  await import(new URL(m, lib).href).catch(() => undefined);
}
const before = getHeapStatistics();
const growth = () => {
  const after = getHeapStatistics();
  return Math.max(after.used_heap_size - before.used_heap_size, after.total_heap_size - before.total_heap_size, 0) / (1024 * 1024);
};
const started = Date.now();
try {
  const reg = await openRegistry({ dir, identity, env, now: () => new Date(nowIso) });
  const result = await reg[op](input);
  parentPort.postMessage({ ok: true, result: plain(result), ms: Date.now() - started, heapMB: growth() });
} catch (e) {
  parentPort.postMessage({ ok: false, error: { name: e?.name, code: e?.code, message: String(e?.message ?? e), exitCode: e?.exitCode, stack: e?.stack, data: plain(e?.data ?? {}) }, ms: Date.now() - started, heapMB: growth() });
}
