#!/usr/bin/env node
/**
 * The web UI's write side, measured in process (CPU time of the server's process per request,
 * which a loaded machine disturbs far less than wall time): the Promotions page with N pending
 * proposal branches, and an action's preview and confirm, against the CLI's whole process for the
 * same dry run and the same write. Not part of `npm run bench` (a targeted run):
 *
 *   node bench/ui-actions.mjs [--size 10000] [--branches 10] [--runs 7]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_ENV, BUILD, CLI, ensureRepo, freshCopy, removeCopy } from './synth.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? def : Number(process.argv[i + 1]); };
const SIZE = arg('size', 10_000);
const BRANCHES = arg('branches', 10);
const RUNS = arg('runs', 7);
const TOKEN = 'bench-token-0123456789abcdef';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** The CLI's whole-process CPU time (user + system, ms) and its exit code. */
function cliCpu(dir, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...BENCH_ENV } });
  const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { ms: (u + s) * 1000, code: r.status };
}

async function main() {
  const { startServer } = await import(pathToFileURL(join(BUILD, 'dist', 'server', 'http.js')).href);
  const dir = freshCopy(await ensureRepo(SIZE), 'ui-actions');
  try {
    // N proposals: m<k> 1.9.0 None -> Staging, each on its own modelreg/* branch.
    for (let k = 1; k <= BRANCHES; k++) {
      const r = spawnSync(process.execPath, [CLI, 'promote', `m${k}`, '1.9.0', '--to', 'Staging', '--branch'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...BENCH_ENV } });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const tokens = join(mkdtempSync(join(tmpdir(), 'modelreg-bench-tokens-')), 'tokens.yaml');
    writeFileSync(tokens, `tokens:\n  - { token: ${TOKEN}, name: Bench Bob, email: bob@example.com }\n`);
    const session = async () => {
      const server = await startServer({ dir, port: 0, tokensFile: tokens, env: { ...BENCH_ENV, PATH: process.env.PATH }, onLog: () => undefined });
      const cookies = new Map();
      const keep = (h) => { for (const c of h.getSetCookie()) { const [p] = c.split(';'); const i = p.indexOf('='); cookies.set(p.slice(0, i), p.slice(i + 1)); } };
      const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const get = async (path) => { const r = await fetch(`${server.url}${path}`, { headers: { cookie: cookie() }, redirect: 'manual' }); keep(r.headers); return { status: r.status, text: await r.text() }; };
      const post = async (path, fields) => { const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' }); keep(r.headers); return { status: r.status, text: await r.text() }; };
      const csrfOf = (t) => /name="csrf" value="([^"]+)"/.exec(t)[1];
      await post('/sign-in', { token: TOKEN, csrf: csrfOf((await get('/sign-in')).text) });
      return { server, get, post, csrf: csrfOf((await get('/actions/promote')).text) };
    };
    const timed = async (fn) => { const c0 = cpuMs(); const t0 = performance.now(); const r = await fn(); return { cpu: cpuMs() - c0, wall: performance.now() - t0, r }; };
    const series = async (fn) => { const out = []; for (let i = 0; i < RUNS; i++) out.push(await timed(fn)); return out; };

    // A server started on a registry whose event index is not built yet (.git/modelreg/events-v1):
    // the first check --base derives it (once per repository; the CLI's history and policy explain share it).
    const cold = await session();
    const coldView = await timed(() => cold.get('/promotions'));
    await cold.server.close();
    const { server, get, post, csrf } = await session();
    const firstView = await timed(() => get('/promotions'));
    const promotions = await series(() => get('/promotions'));
    if (!promotions.every((x) => x.r.status === 200 && (x.r.text.match(/<article class="promotion"/g) ?? []).length === BRANCHES)) throw new Error('the Promotions page did not list every branch');
    const previews = await series(() => post('/actions/promote', { model: 'm20', version: '1.9.0', stage: 'Staging', csrf, step: 'preview' }));
    if (!previews.every((x) => x.r.status === 200 && x.r.text.includes('nothing has been written'))) throw new Error(`a preview failed: ${previews[0].r.text.slice(0, 500)}`);
    const cliDry = Array.from({ length: RUNS }, () => cliCpu(dir, ['promote', 'm20', '1.9.0', '--to', 'Staging', '--dry-run']));
    // Writes: tag m30..: one commit each, through the UI and through the CLI.
    const confirms = [];
    for (let i = 0; i < RUNS; i++) confirms.push(await timed(() => post('/actions/tag', { model: `m${30 + i}`, key: 'bench', value: 'ui', csrf, step: 'confirm', mode: 'commit' })));
    if (!confirms.every((x) => x.r.status === 200 && x.r.text.includes('Done:'))) throw new Error('a confirm failed');
    await server.close();
    const cliWrites = Array.from({ length: RUNS }, (_, i) => cliCpu(dir, ['tag', `m${50 + i}`, 'bench=cli']));
    const row = (label, xs, key = 'cpu') => `| ${label} | ${median(xs.map((x) => x[key] ?? x.ms)).toFixed(0)} ms |`;
    console.log(`${SIZE} versions, ${BRANCHES} proposal branches, median of ${RUNS} (CPU time: the server's process for a request, the CLI's whole process)`);
    console.log('| what | CPU |\n| --- | --- |');
    console.log(row(`GET /promotions, first view, event index not built yet (${BRANCHES} branches)`, [coldView]));
    console.log(row(`GET /promotions, first view of a server (${BRANCHES} branches, each a check --base)`, [firstView]));
    console.log(row('GET /promotions again (checklists kept by commit ids)', promotions));
    console.log(row('POST /actions/promote preview (dry run)', previews));
    console.log(row('CLI promote --dry-run, whole process', cliDry));
    console.log(row('POST /actions/tag confirm (one commit)', confirms));
    console.log(row('CLI tag, whole process', cliWrites));
    console.log(`wall (noisy): first promotions ${firstView.wall.toFixed(0)} ms, again ${median(promotions.map((x) => x.wall)).toFixed(0)} ms, preview ${median(previews.map((x) => x.wall)).toFixed(0)} ms, confirm ${median(confirms.map((x) => x.wall)).toFixed(0)} ms`);
  } finally {
    removeCopy(dir);
  }
}

await main();
