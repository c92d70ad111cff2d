#!/usr/bin/env node
/**
 * The zlib inflater behind odb.ts, measured in process (docs/performance.md, "Inflating"):
 *   node bench/inflate.mjs --dir REPO [--rounds 5]
 * 1. micro: every tree and blob at REPO's HEAD, deflated as Git does (default level, followed
 *    by other bytes as in a pack), inflated by each candidate: the reused native handle
 *    (storage/inflate.ts), public `zlib.inflateSync`, and pako (pure JS).
 * 2. walk: a cold read of every tree and blob at HEAD through ObjectDatabase in a fresh child
 *    process, with MODELREG_INFLATE=reused and =public (the guard in storage/inflate.ts).
 * Prints the median of `rounds` runs of each, in ms (the walk: wall and CPU time).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { BUILD } from './synth.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const dir = opt('dir');
const rounds = Number(opt('rounds', 5));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function walk() {
  const { ObjectDatabase } = await import(join(BUILD, 'dist', 'storage', 'odb.js'));
  const { ObjectStore } = await import(join(BUILD, 'dist', 'storage', 'objects.js'));
  const gitdir = join(dir, '.git');
  const store = new ObjectStore(gitdir, new ObjectDatabase(gitdir));
  const head = spawnSync('git', ['rev-parse', 'HEAD^{tree}'], { cwd: dir, encoding: 'utf8' }).stdout.trim();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const contents = [];
  const stack = [head];
  let bytes = 0;
  while (stack.length) {
    const oid = stack.pop();
    for (const e of store.readTreeSync(oid)) {
      if (e.type === 'tree') stack.push(e.oid);
      else if (e.type === 'blob') { const b = store.readBlobSync(e.oid); bytes += b.length; if (process.env.COLLECT) contents.push(b); }
    }
  }
  const cpu = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, bytes, contents, store, head };
}

if (process.env.WALK_CHILD) {
  const r = await walk();
  process.stdout.write(JSON.stringify({ ms: r.ms, cpuMs: r.cpuMs, bytes: r.bytes }));
  process.exit(0);
}

// 1. micro
process.env.COLLECT = '1';
const { contents } = await walk();
const tail = Buffer.from('trailing bytes of the next object in the pack');
const streams = contents.map((c) => ({ input: Buffer.concat([deflateSync(c), tail]), size: c.length }));
const { inflatePrefix, inflaterKind } = await import(join(BUILD, 'dist', 'storage', 'inflate.js'));
const pako = createRequire(join(BUILD, 'package.json'))('pako');
const candidates = {
  reused: (s) => inflatePrefix(s.input, s.size),
  inflateSync: (s) => inflateSync(s.input, { finishFlush: constants.Z_SYNC_FLUSH }),
  'inflateSync+chunkSize': (s) => inflateSync(s.input, { finishFlush: constants.Z_SYNC_FLUSH, chunkSize: Math.max(64, s.size + 64) }),
  pako: (s) => pako.inflate(s.input),
};
const micro = {};
for (const [name, f] of Object.entries(candidates)) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const s of streams) f(s);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  micro[name] = { ms: median(times), usPerObject: (median(times) * 1000) / streams.length };
}
// 2. walk, each in a fresh process, the two modes alternating (a busy machine affects both alike)
const runs = { reused: [], public: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of ['reused', 'public']) {
    const c = spawnSync(process.execPath, [process.argv[1], '--dir', dir], { env: { ...process.env, WALK_CHILD: '1', COLLECT: '', MODELREG_INFLATE: mode }, encoding: 'utf8' });
    if (c.status !== 0) throw new Error(c.stderr);
    runs[mode].push(JSON.parse(c.stdout));
  }
}
const walks = {};
for (const [mode, rs] of Object.entries(runs)) walks[mode] = { wallMs: median(rs.map((x) => x.ms)), cpuMs: median(rs.map((x) => x.cpuMs)) };
console.log(JSON.stringify({ objects: streams.length, inflater: inflaterKind(), micro, walks }, null, 2));
