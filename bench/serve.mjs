#!/usr/bin/env node
/**
 * `modelreg serve` benchmark (issue 12): on the synthetic registries of bench/synth.mjs.
 *
 *   node bench/serve.mjs [--sizes 1000,10000] [--duration 10] [--connections 50] [--runs 5]
 *
 * Per size, on a fresh copy: `modelreg renumber` (whole process: every version gets its
 * integer number, one commit); the server's start (spawn to its listening line); autocannon
 * with 50 connections against GET registered-models/alias (one URL) and
 * model-versions/get-download-uri (one URL, and 200 URLs over as many models, each connection
 * cycling through them): requests/s, p50 and p99 latency, errors; the server's RSS after the
 * load (VmHWM: its peak); how long after a CLI write's process exits the server answers from
 * the new commit; and a transition through HTTP against the same transition by the CLI as a
 * whole process. run.mjs calls benchServe() after its own tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureRepo, freshCopy, removeCopy, CLI, BENCH_ENV } from './synth.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const env = () => ({ ...process.env, ...BENCH_ENV });

function cli(dir, args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: env(), encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`modelreg ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

async function startServer(dir) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--local-identity'], { cwd: dir, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let indexed;
  // The server fills the event index in the background after it listens (a clone's first walk parses every version file again).
  const filled = new Promise((r) => { indexed = r; });
  const url = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; if (/filled the event index|filling the event index/.test(err)) indexed(true); const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]); });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
  const indexFilled = (ms) => Promise.race([filled, new Promise((r) => setTimeout(() => r(false), ms))]);
  return { url, child, startMs: performance.now() - t0, indexFilled, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

async function load(url, paths, { duration, connections }) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url, connections, duration, requests: paths.map((path) => ({ method: 'GET', path })) });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total };
}

async function servedCommit(url) {
  const r = await fetch(`${url}/health`);
  return (await r.json()).commit;
}

/** Benchmarks serve at each size; returns the markdown section. */
export async function benchServe(sizes, { duration = 10, connections = 50, runs = 5, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const lines = ['## modelreg serve', '', `autocannon, ${connections} connections, ${duration} s per row, load generator and server on the same machine (they share its CPUs). Latency in ms.`, ''];
  for (const size of sizes) {
    const dir = freshCopy(await ensureRepo(size, 'packed', { log }), `serve-${size}`);
    try {
      log(`serve: ${size} versions`);
      const renumber = cli(dir, ['renumber']);
      // The first start of a clone reads every version file and fills .git/modelreg/cache; later starts read the cache.
      const cold = await startServer(dir);
      const coldMem = memory(cold.child.pid);
      const indexed = await cold.indexFilled(120_000);
      const coldAfterIndex = memory(cold.child.pid);
      await cold.stop();
      const s = await startServer(dir);
      const models = Math.ceil(size / 10);
      const api = '/api/2.0/mlflow';
      const rows = [];
      await load(s.url, [`${api}/registered-models/alias?name=m0&alias=champion`], { duration: 2, connections }); // warm-up: JIT, sockets
      const spread = Array.from({ length: Math.min(200, models) }, (_, i) => `${api}/model-versions/get-download-uri?name=m${i}&version=10`);
      for (const [label, paths] of [
        ['GET registered-models/alias (m0@champion)', [`${api}/registered-models/alias?name=m0&alias=champion`]],
        ['GET model-versions/get-download-uri (m0, 8)', [`${api}/model-versions/get-download-uri?name=m0&version=8`]],
        [`GET model-versions/get-download-uri (${spread.length} models in turn)`, spread],
      ]) {
        const r = await load(s.url, paths, { duration, connections });
        rows.push({ label, ...r });
        log(`  ${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}`);
      }
      const mem = memory(s.child.pid);
      // A new commit by the CLI: time from its process's exit until the server answers from it.
      const served = [];
      for (let i = 0; i < runs; i++) {
        cli(dir, ['tag', 'set', `m${1 + i}`, `bench${i}=x`]);
        const t0 = performance.now();
        const tip = spawnSync('git', ['-C', dir, 'rev-parse', 'main'], { encoding: 'utf8' }).stdout.trim();
        while ((await servedCommit(s.url)) !== tip) await new Promise((r) => setTimeout(r, 5));
        served.push(performance.now() - t0);
      }
      // A transition None -> Staging of 1.9.0 (#10): by HTTP on some models, by the CLI on others.
      const http = [];
      const viaCli = [];
      for (let i = 0; i < runs; i++) {
        const a = 1 + 2 * i + (i >= 2 ? 1 : 0);
        const pick = (n) => (n % 5 === 0 ? n + 1 : n);
        const t0 = performance.now();
        const r = await fetch(`${s.url}${api}/model-versions/transition-stage`, { method: 'POST', body: JSON.stringify({ name: `m${pick(a + 20)}`, version: '10', stage: 'Staging' }) });
        if (r.status !== 200) throw new Error(`transition via HTTP: ${r.status} ${await r.text()}`);
        http.push(performance.now() - t0);
        viaCli.push(cli(dir, ['transition', `m${pick(a + 40)}`, '1.9.0', 'Staging']).ms);
      }
      await s.stop();
      lines.push(`### ${size.toLocaleString('en-US')} versions (${models.toLocaleString('en-US')} models)`, '');
      lines.push('| measure | result | target |', '| --- | --- | --- |');
      for (const r of rows) lines.push(`| ${r.label} | ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.errors} errors of ${r.total} | ≥ 10,000 req/s, p99 ≤ 10 ms |`);
      lines.push(`| server memory after the load (warm start) | RSS ${mem.rssMB.toFixed(0)} MB, peak ${mem.peakMB.toFixed(0)} MB | ≤ 150 MB |`);
      lines.push(`| server start, first on this clone (spawn to listening: every version file read, cache filled) | ${fmt(cold.startMs)}, peak RSS ${coldMem.peakMB.toFixed(0)} MB; ${coldAfterIndex.peakMB.toFixed(0)} MB ${indexed ? 'once its background fill of the event index is done' : 'after 120 s (the event index fill had not finished)'} | ≤ 150 MB |`);
      lines.push(`| server start, later (from .git/modelreg/cache) | ${fmt(s.startMs)} | |`);
      lines.push(`| new commit served after the CLI's process exits (median of ${runs}) | ${fmt(median(served))} (max ${fmt(Math.max(...served))}) | ≤ 1 s |`);
      lines.push(`| transition None -> Staging via HTTP (median of ${runs}) | ${fmt(median(http))} | ≤ 1.5 × CLI |`);
      lines.push(`| the same transition by the CLI, whole process (median of ${runs}) | ${fmt(median(viaCli))} | |`);
      lines.push(`| \`modelreg renumber\` (${size} versions, one commit), whole process | ${fmt(renumber.ms)} | |`);
      lines.push('');
    } finally {
      removeCopy(dir);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const argv = process.argv.slice(2);
  const opt = (n, d) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : d; };
  const sizes = opt('sizes', '1000,10000').split(',').map((s) => Number(s.replace(/k$/i, '000')));
  console.log(await benchServe(sizes, { duration: Number(opt('duration', 10)), connections: Number(opt('connections', 50)), runs: Number(opt('runs', 5)) }));
}
