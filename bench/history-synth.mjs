#!/usr/bin/env node
/**
 * "Real history" registries for the benchmark (issue 16): made one commit per change, as a team
 * that registers, promotes, approves and moves aliases makes them, built with `git fast-import`.
 *
 *   one:N   one model (m0) of N versions: per version a registration; every 10th version is also
 *           promoted to Staging; every 50th is approved for Production, promoted (archiving the
 *           previous holder) and made `champion`. About 1.16 N commits. The last 9 versions stay
 *           in None (the benchmark's writes move them).
 *   many:N  N/10 models of 10 versions, registered round-robin (1.0.0 of every model, then 1.1.0
 *           of every model, ...), every 10th registration of a model followed by its promotion to
 *           Staging: about 1.1 N commits.
 *
 * Version files are the ones bench/synth.mjs renders (modelreg's own text), with the stage, the
 * approvals and the aliases each commit gives them. Cached under os.tmpdir() as synth.mjs does.
 *
 * CLI: node bench/history-synth.mjs --kind one|many --size 2000 [--force]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BENCH_ENV, APPROVER, modelName, modelRecord, renderModelText, renderVersionText, sh, versionRecord } from './synth.mjs';

const SELF = fileURLToPath(import.meta.url);
const BASE_TIME = 1767225600; // 2026-01-01T00:00:00Z
const INIT_FILES = [
  ['modelreg.yaml', 'apiVersion: modelreg/v1\nkind: Registry\nregistry: registry\npolicies: policies\n'],
  ['policies/default.yaml', readFileSync(join(resolve(fileURLToPath(new URL('..', import.meta.url))), 'policies', 'default.yaml'), 'utf8')],
];

const iso = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Feeds `git fast-import` one commit at a time; `commit(subject, trailers, files)` with files path -> text|null. */
function importer(dir) {
  const child = spawn('git', ['-C', dir, 'fast-import', '--quiet', '--done'], { env: { ...process.env, ...BENCH_ENV }, stdio: ['pipe', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`git fast-import failed (${code}): ${stderr}`)))));
  let buf = [];
  let bytes = 0;
  let n = 0;
  const flush = async () => {
    if (!buf.length) return;
    const chunk = buf.join('');
    buf = [];
    bytes = 0;
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  };
  const put = async (s) => {
    buf.push(s);
    bytes += s.length;
    if (bytes > 1 << 20) await flush();
  };
  return {
    get count() { return n; },
    async commit(subject, trailers, files, who = BENCH_ENV.GIT_AUTHOR_EMAIL) {
      const t = BASE_TIME + n * 60;
      const msg = `${subject}\n\n${trailers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
      const name = who === APPROVER ? 'Bench Bob' : BENCH_ENV.GIT_AUTHOR_NAME;
      await put(`commit refs/heads/main\nauthor ${name} <${who}> ${t} +0000\ncommitter ${name} <${who}> ${t} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`);
      for (const [path, text] of Object.entries(files)) {
        if (text === null) await put(`D ${path}\n`);
        else await put(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
      }
      await put('\n');
      n++;
    },
    async end() {
      await put('done\n');
      await flush();
      child.stdin.end();
      await done;
    },
  };
}

/** A model's files as its commits change them. */
class Model {
  constructor(i) {
    this.i = i;
    this.name = modelName(i);
    this.record = { ...modelRecord(i) };
    delete this.record.aliases;
    this.versions = new Map();
  }
  file(v) { return `registry/${this.name}/versions/${v}.yaml`; }
  get modelFile() { return `registry/${this.name}/model.yaml`; }
  register(k) {
    const rec = { ...versionRecord(this.i, k), stage: 'None' };
    delete rec.approvals;
    this.versions.set(rec.version, rec);
    return rec;
  }
  text(v) { return renderVersionText(this.versions.get(v)); }
}

async function registerCommit(imp, m, k) {
  const rec = m.register(k);
  const files = { [m.file(rec.version)]: m.text(rec.version) };
  if (m.versions.size === 1) files[m.modelFile] = renderModelText(m.record);
  await imp.commit(`register ${m.name} ${rec.version}`, [['Modelreg-Action', 'register'], ['Modelreg-Model', m.name], ['Modelreg-Version', rec.version], ['Modelreg-Stage', 'None']], files);
  return rec;
}

async function promote(imp, m, version, to, archive = []) {
  const rec = m.versions.get(version);
  const from = rec.stage;
  rec.stage = to;
  const files = { [m.file(version)]: m.text(version) };
  for (const o of archive) {
    m.versions.get(o).stage = 'Archived';
    files[m.file(o)] = m.text(o);
  }
  await imp.commit(`promote ${m.name} ${version}: ${from} -> ${to}`, [['Modelreg-Action', 'transition'], ['Modelreg-Model', m.name], ['Modelreg-Version', version], ['Modelreg-From', from], ['Modelreg-To', to], ...(archive.length ? [['Modelreg-Archived', archive.join(', ')]] : [])], files);
}

async function buildOne(imp, size) {
  const m = new Model(0);
  let production;
  for (let k = 0; k < size; k++) {
    const rec = await registerCommit(imp, m, k);
    const v = rec.version;
    if (k >= size - 9) continue;
    if (k % 10 === 9) await promote(imp, m, v, 'Staging');
    if (k % 50 === 49) {
      const at = iso(BASE_TIME + imp.count * 60);
      rec.approvals = [{ by: APPROVER, stage: 'Production', at, comment: 'offline evaluation reviewed' }];
      await imp.commit(`approve ${m.name} ${v} for Production`, [['Modelreg-Action', 'approve'], ['Modelreg-Model', m.name], ['Modelreg-Version', v]], { [m.file(v)]: m.text(v) }, APPROVER);
      await promote(imp, m, v, 'Production', production ? [production] : []);
      production = v;
      m.record.aliases = { champion: v };
      await imp.commit(`alias ${m.name}@champion -> ${v}`, [['Modelreg-Action', 'alias'], ['Modelreg-Model', m.name], ['Modelreg-Alias', 'champion'], ['Modelreg-Version', v]], { [m.modelFile]: renderModelText(m.record) });
    }
  }
}

async function buildMany(imp, size) {
  const models = Array.from({ length: Math.ceil(size / 10) }, (_, i) => new Model(i));
  for (let k = 0; k < 10; k++) {
    for (const m of models) {
      if (m.i * 10 + k >= size) continue;
      const rec = await registerCommit(imp, m, k);
      if (k === 8) await promote(imp, m, rec.version, 'Staging');
    }
  }
}

/** A built registry (cached; copy it before writing). `kind` 'one' or 'many'. */
export async function ensureHistoryRepo(kind, size, { force = false, log = () => {} } = {}) {
  const hash = createHash('sha256').update(readFileSync(SELF)).update(readFileSync(new URL('./synth.mjs', import.meta.url))).update(JSON.stringify(INIT_FILES)).digest('hex').slice(0, 12);
  const base = join(tmpdir(), `modelreg-bench-history-${kind}-${size}-${hash}`);
  const dir = join(base, 'packed');
  if (!force && existsSync(join(base, 'packed.ready'))) return dir;
  const t0 = Date.now();
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  sh('git', ['init', '-q', '-b', 'main', dir]);
  sh('git', ['-C', dir, 'config', 'user.name', BENCH_ENV.GIT_AUTHOR_NAME]);
  sh('git', ['-C', dir, 'config', 'user.email', BENCH_ENV.GIT_AUTHOR_EMAIL]);
  sh('git', ['-C', dir, 'config', 'gc.auto', '0']);
  const imp = importer(dir);
  await imp.commit('init modelreg registry', [['Modelreg-Action', 'init']], Object.fromEntries(INIT_FILES));
  if (kind === 'one') await buildOne(imp, size);
  else await buildMany(imp, size);
  await imp.end();
  const t1 = Date.now();
  sh('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
  // As a clone would hold it: one pack, deltas against nearby versions.
  sh('git', ['-C', dir, 'gc', '-q']);
  const commits = Number(sh('git', ['-C', dir, 'rev-list', '--count', 'HEAD']).trim());
  writeFileSync(join(base, 'packed.ready'), JSON.stringify({ commits, built: new Date().toISOString() }));
  writeFileSync(join(base, 'packed.git-entries'), JSON.stringify(readdirSync(join(dir, '.git')).sort()));
  log(`  history-synth: ${kind}:${size} (${commits} commits) built in ${((Date.now() - t0) / 1000).toFixed(1)} s (fast-import ${((t1 - t0) / 1000).toFixed(1)} s) at ${dir}`);
  return dir;
}

/** The number of commits of a built registry. */
export function commitCount(dir) {
  return JSON.parse(readFileSync(join(dir, '..', 'packed.ready'), 'utf8')).commits;
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const args = process.argv.slice(2);
  const kind = args.includes('--kind') ? args[args.indexOf('--kind') + 1] : 'one';
  const size = Number(args.includes('--size') ? args[args.indexOf('--size') + 1] : 2000);
  console.log(await ensureHistoryRepo(kind, size, { force: args.includes('--force'), log: (m) => console.error(m) }));
}
