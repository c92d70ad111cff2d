#!/usr/bin/env node
/**
 * The web UI's benchmark (issue 13): time to interactive of the Models page at a registry of
 * many models and of a Model page with many versions, in Debian's Chromium driven by
 * playwright-core, against `modelreg serve` as a user starts it.
 *
 *   node bench/ui.mjs [--ui-models 10000] [--ui-versions 1000] [--runs 5]
 *
 * The registry is bench/synth.mjs's (N models of 10 versions each, so 10,000 models is its
 * 100,000-version registry), plus a model `big` of --ui-versions versions (one commit) and 30
 * promotions of it (one commit each, so its stage timeline has a history to walk). Time to
 * interactive is the page's own `performance.mark('modelreg-ready')` (set by the UI's script
 * once the page, its script and the chart are done), measured from the navigation's start.
 * "first" is the first load after the server started and filled the event index (the
 * server renders the page and reads what it needs); "again" is the median of --runs further
 * loads with the browser's cache off (the server answers from its page cache); a filter query
 * that the server has not rendered before is "new query". run.mjs calls benchUi() unless --no-ui.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ENV, CLI, ensureRepo, freshCopy, removeCopy, renderVersionText, versionRecord, sh } from './synth.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const env = () => ({ ...process.env, ...BENCH_ENV });

function chromiumPath() {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`No Chromium at ${p}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  return p;
}

/** Adds model `big` with `n` versions (one commit) and 30 promotions of it (a commit each). */
function addBigModel(dir, n) {
  const folder = join(dir, 'registry', 'big');
  sh('mkdir', ['-p', join(folder, 'versions')]);
  writeFileSync(join(folder, 'model.yaml'), `# yaml-language-server: $schema=../../.modelreg/schemas/model.schema.json\nname: big\ndescription: A model with ${n} versions\nowners:\n  - alice@example.com\ncreated:\n  at: 2026-01-01T00:00:00Z\n  by: alice@example.com\n`);
  const file = (k) => join(folder, 'versions', `1.${k}.0.yaml`);
  for (let k = 0; k < n; k++) {
    const rec = versionRecord(7, k % 10);
    rec.model = 'big';
    rec.version = `1.${k}.0`;
    rec.stage = 'None';
    delete rec.approvals;
    delete rec.lineage.parent;
    rec.created = { at: new Date(Date.UTC(2026, 0, 1) + k * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), by: 'alice@example.com' };
    writeFileSync(file(k), renderVersionText(rec));
  }
  const git = (args, t) => sh('git', ['-C', dir, ...args], { env: { ...env(), GIT_AUTHOR_DATE: `@${t} +0000`, GIT_COMMITTER_DATE: `@${t} +0000` } });
  let t = 1_790_000_000;
  git(['add', '-A'], t);
  git(['commit', '-q', '-m', `register big: ${n} versions`], t);
  const setStage = (k, stage) => writeFileSync(file(k), readFileSync(file(k), 'utf8').replace(/^stage: .*$/m, `stage: ${stage}`));
  let prev;
  for (let j = 0; j < 30; j++) {
    const k = Math.floor((j * n) / 30);
    setStage(k, 'Production');
    if (prev !== undefined) setStage(prev, 'Archived');
    prev = k;
    t += 86_400;
    git(['commit', '-q', '-am', `promote big 1.${k}.0: None -> Production`], t);
  }
}

async function startServer(dir) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: dir, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]); });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
  // The history page answers once the server's first walk has filled the event index.
  const t0 = performance.now();
  const warmed = fetch(`${url}/history`).then(async (r) => { await r.text(); return { ms: performance.now() - t0 }; });
  return { url, warmed, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** Navigation to `url` until the page marks itself ready: ms from the navigation's start. */
async function tti(page, url) {
  await page.goto(url, { waitUntil: 'commit', timeout: 120_000 });
  await page.waitForSelector('html[data-ready="1"]', { timeout: 120_000 });
  return page.evaluate(() => performance.getEntriesByName('modelreg-ready')[0]?.startTime ?? NaN);
}

/** Benchmarks the UI; returns the markdown section. */
export async function benchUi({ models = 10000, versions = 1000, runs = 5, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const { chromium } = await import('playwright-core');
  const dir = freshCopy(await ensureRepo(models * 10, 'packed', { log }), `ui-${models}`);
  const lines = ['## Web UI', '', `Chromium ${''}(playwright-core), viewport 1200x800, browser cache off; \`modelreg serve\` on a copy of the ${models * 10}-version synthetic registry (${models} models) plus model \`big\` of ${versions} versions with 30 promotions. Time to interactive = the page's \`modelreg-ready\` mark from the navigation's start; "first load" is a page's first after one navigation to the Policy page (the browser's own start is not counted); "again" is the median of ${runs} loads.`, '', '| page | first load | again | HTML size |', '| --- | --- | --- | --- |'];
  let server;
  let browser;
  try {
    log(`ui: adding big (${versions} versions)`);
    addBigModel(dir, versions);
    server = await startServer(dir);
    // A clone's first server derives every commit's events once (stored in .git/modelreg/events-v3); pages wait for it.
    const warm = await server.warmed;
    lines.splice(lines.length - 2, 0, `The server filled the event index (a clone's first start only; a commit's events are derived once) and answered /history ${fmt(warm.ms)} after it listened; the loads below start after that.`, '');
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const version = browser.version();
    lines[2] = lines[2].replace('Chromium ', `Chromium ${version} `);
    // One navigation to another page first (Policy), so "first load" times each page's first
    // render by the server and not the browser starting its first renderer process.
    await tti(page, `${server.url}/policy`);
    for (const [label, path] of [
      [`Models (${models} models, page 1)`, '/'],
      [`Models, text filter (new query)`, '/?q=team'],
      [`Model big (${versions} versions: table, chart, timeline)`, '/model?name=big'],
      [`Version big 1.${Math.floor(versions / 2)}.0`, `/version?name=big&v=1.${Math.floor(versions / 2)}.0`],
      ['History (first 50 entries)', '/history'],
    ]) {
      log(`ui: ${label}`);
      const first = await tti(page, `${server.url}${path}`);
      const again = [];
      for (let i = 0; i < runs; i++) again.push(await tti(page, `${server.url}${path}`));
      const size = Buffer.byteLength(await page.content());
      lines.push(`| ${label} | ${fmt(first)} | ${fmt(median(again))} (${fmt(Math.min(...again))}–${fmt(Math.max(...again))}) | ${(size / 1024).toFixed(0)} kB |`);
    }
  } finally {
    await browser?.close();
    await server?.stop();
    removeCopy(dir);
  }
  return lines.join('\n');
}

if (process.argv[1] && process.argv[1].endsWith('ui.mjs')) {
  const argv = process.argv.slice(2);
  const opt = (n, d) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : d; };
  console.log(await benchUi({ models: Number(opt('ui-models', 10000)), versions: Number(opt('ui-versions', 1000)), runs: Number(opt('runs', 5)) }));
}
