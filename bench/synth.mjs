#!/usr/bin/env node
/**
 * Synthetic registries for the benchmark, built with `git fast-import` (no per-file process,
 * no isomorphic-git): N versions as N/10 models x 10 versions, plus the files `modelreg init`
 * writes (modelreg.yaml, policies/default.yaml, schemas, CI templates).
 *
 * Layout of a built registry:
 *   commit 1  "init modelreg registry"  the files of a real `modelreg init`
 *   commit 2  "import N synthetic versions"  registry/m<i>/model.yaml + versions/1.<k>.0.yaml
 * Models m0, m5, m10, ... have 1.0.0-1.5.0 Archived, 1.6.0 Production (approved by a second
 * owner), 1.7.0 Staging; m0 has 1.0.0-1.6.0 Archived, 1.7.0 Production, 1.8.0 Staging and the
 * aliases champion -> 1.7.0, challenger -> 1.8.0; every other version is in None, and 1.9.0 is
 * None in every model (the benchmark's transitions move m<k> 1.9.0 None -> Staging).
 *
 * Built repositories are cached under os.tmpdir()/modelreg-bench-<size>-<hash>/{packed,loose},
 * where <hash> covers this file and the files `modelreg init` produces; a change to either
 * builds new ones. Callers copy a cached repository (cp -a) before using it.
 *
 * CLI: node bench/synth.mjs --size 1000 [--loose] [--force] [--check]
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository this benchmark lives in. */
export const ROOT = resolve(HERE, '..');
/**
 * The modelreg build that is measured: MODELREG_BENCH_BUILD (run.mjs points it at a private copy
 * of bin/ and dist/, so a rebuild in the shared checkout cannot change the code mid-run), else ROOT.
 */
export const BUILD = process.env.MODELREG_BENCH_BUILD || ROOT;
export const CLI = join(BUILD, 'bin', 'modelreg.js');
const SELF = fileURLToPath(import.meta.url);

/** Fixed identity and clock for everything the benchmark runs (deterministic commits). */
export const BENCH_ENV = {
  GIT_AUTHOR_NAME: 'Bench Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_COMMITTER_NAME: 'Bench Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};
const BASE_TIME = 1767225600; // 2026-01-01T00:00:00Z

function env() {
  return { ...process.env, ...BENCH_ENV };
}

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env(), maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').slice(0, 2000)}`);
  }
  return r.stdout;
}

// ---------- deterministic records ----------

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hex = (r, n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
};
const num = (x) => Math.round(x * 1e4) / 1e4;

const TEAMS = ['risk', 'growth', 'search', 'ads', 'fraud', 'platform'];
const FRAMEWORKS = [['sklearn', '1.5.0'], ['xgboost', '2.0.3'], ['pytorch', '2.3.1'], ['lightgbm', '4.3.0']];
const FORMATS = ['pickle', 'onnx', 'torchscript', 'pickle'];
const COLTYPES = ['double', 'integer', 'string', 'long', 'float', 'boolean'];
export const OWNER = 'alice@example.com';
export const APPROVER = 'bob@example.com';

/** The stage of version `k` (0-9, version 1.k.0) of model `i`. */
export function stageOf(i, k) {
  if (i === 0) return k <= 6 ? 'Archived' : k === 7 ? 'Production' : k === 8 ? 'Staging' : 'None';
  if (i % 5 === 0) return k <= 5 ? 'Archived' : k === 6 ? 'Production' : k === 7 ? 'Staging' : 'None';
  return 'None';
}

/** The signature every version of model `i` has (a change would need a major bump). */
export function signatureOf(i) {
  const r = rng(i * 7919 + 17);
  const ncols = 3 + Math.floor(r() * 4);
  const inputs = [];
  for (let c = 0; c < ncols; c++) inputs.push({ name: `f${c}_${['age', 'amount', 'country', 'tenure', 'clicks', 'score'][c % 6]}`, type: COLTYPES[Math.floor(r() * COLTYPES.length)] });
  return { inputs, outputs: [{ name: 'prediction', type: 'double' }] };
}

function iso(t) {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function modelName(i) {
  return `m${i}`;
}

/** The version record (plain object, in the key order modelreg renders). */
export function versionRecord(i, k) {
  const r = rng(i * 1000 + k + 1);
  const name = modelName(i);
  const version = `1.${k}.0`;
  const [fw, fwv] = FRAMEWORKS[i % FRAMEWORKS.length];
  const t = BASE_TIME + i * 600 + k * 60;
  const rec = {
    model: name,
    version,
    stage: stageOf(i, k),
  };
  if (k % 3 === 0) rec.description = `Retrained on the ${['weekly', 'monthly', 'daily'][k % 3]} snapshot with tuned regularisation`;
  rec.tags = { ...(k % 2 ? { candidate: 'true' } : {}), team: TEAMS[i % TEAMS.length] };
  rec.artifact = { uri: `s3://ml-models/${name}/${version}/model.bin`, digest: `sha256:${hex(r, 64)}`, size: 1000000 + Math.floor(r() * 90000000), format: FORMATS[i % FORMATS.length] };
  rec.framework = { name: fw, version: fwv };
  rec.signature = signatureOf(i);
  rec.metrics = { accuracy: num(0.8 + r() * 0.15), auc: num(0.85 + r() * 0.14), f1: num(0.7 + r() * 0.2), log_loss: num(0.1 + r() * 0.3), precision: num(0.75 + r() * 0.2), recall: num(0.7 + r() * 0.25) };
  rec.params = { early_stopping: k % 2 === 0, learning_rate: num(0.01 + r() * 0.2), max_depth: 3 + Math.floor(r() * 8), n_estimators: 100 + 50 * Math.floor(r() * 10), objective: 'binary' };
  const runId = hex(r, 32);
  rec.lineage = {
    run: { id: runId, uri: `https://mlflow.example.com/experiments/${i}/runs/${runId}`, experiment: `${name}-training` },
    code: { repo: `https://github.com/example/${name}-training`, commit: hex(r, 40) },
    data: [{ name: `${TEAMS[i % TEAMS.length]}-events`, version: `v${k + 1}` }, { name: 'customer-features', version: `v${20 + (i % 7)}` }],
    ...(k > 0 ? { parent: `models:/${name}/1.${k - 1}.0` } : {}),
  };
  rec.created = { at: iso(t), by: OWNER };
  if (rec.stage === 'Production') rec.approvals = [{ by: APPROVER, stage: 'Production', at: iso(t + 3600), comment: 'offline evaluation reviewed' }];
  return rec;
}

export function modelRecord(i) {
  const rec = { name: modelName(i) };
  if (i % 4 === 0) rec.description = `Model ${i} for ${TEAMS[i % TEAMS.length]} scoring`;
  rec.owners = [OWNER, APPROVER];
  rec.tags = { team: TEAMS[i % TEAMS.length] };
  if (i === 0) rec.aliases = { challenger: '1.8.0', champion: '1.7.0' };
  rec.created = { at: iso(BASE_TIME + i * 600 - 1), by: OWNER };
  return rec;
}

// ---------- rendering (the same text modelreg's renderer writes; checked by verifyRendering) ----------

const VERSION_HEADER = '# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json\n';
const MODEL_HEADER = '# yaml-language-server: $schema=../../.modelreg/schemas/model.schema.json\n';

/** Strings YAML would read as something else are double-quoted, as the yaml package does. */
function scalar(v) {
  return typeof v === 'string' && /^(true|false|null|~|[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?)$/i.test(v) ? JSON.stringify(v) : String(v);
}
function mapLines(obj, indent) {
  let s = '';
  for (const [k, v] of Object.entries(obj)) s += `${indent}${k}: ${scalar(v)}\n`;
  return s;
}

export function renderVersionText(rec) {
  let s = VERSION_HEADER;
  s += `model: ${rec.model}\nversion: ${rec.version}\nstage: ${rec.stage}\n`;
  if (rec.description) s += `description: ${rec.description}\n`;
  if (rec.tags) s += `tags:\n${mapLines(rec.tags, '  ')}`;
  s += `artifact:\n${mapLines(rec.artifact, '  ')}`;
  s += `framework:\n${mapLines(rec.framework, '  ')}`;
  s += 'signature:\n';
  for (const side of ['inputs', 'outputs']) {
    s += `  ${side}:\n`;
    for (const c of rec.signature[side]) s += `    - name: ${c.name}\n      type: ${c.type}\n`;
  }
  s += `metrics:\n${mapLines(rec.metrics, '  ')}`;
  s += `params:\n${mapLines(rec.params, '  ')}`;
  const l = rec.lineage;
  s += `lineage:\n  run:\n${mapLines(l.run, '    ')}  code:\n${mapLines(l.code, '    ')}  data:\n`;
  for (const d of l.data) s += `    - name: ${d.name}\n      version: ${scalar(d.version)}\n`;
  if (l.parent) s += `  parent: ${l.parent}\n`;
  s += `created:\n${mapLines(rec.created, '  ')}`;
  if (rec.approvals) {
    s += 'approvals:\n';
    for (const a of rec.approvals) s += `  - by: ${a.by}\n    stage: ${a.stage}\n    at: ${a.at}\n    comment: ${a.comment}\n`;
  }
  return s;
}

export function renderModelText(rec) {
  let s = MODEL_HEADER;
  s += `name: ${rec.name}\n`;
  if (rec.description) s += `description: ${rec.description}\n`;
  s += 'owners:\n' + rec.owners.map((o) => `  - ${o}\n`).join('');
  if (rec.tags) s += `tags:\n${mapLines(rec.tags, '  ')}`;
  if (rec.aliases) s += `aliases:\n${mapLines(rec.aliases, '  ')}`;
  s += `created:\n${mapLines(rec.created, '  ')}`;
  return s;
}

/**
 * Compares this generator's text with modelreg's own renderer (dist/domain/render.js) for a
 * sample of records; returns the list of mismatching files (empty when identical).
 */
export async function verifyRendering(samples = [0, 1, 2, 5, 7, 10, 13]) {
  const { renderVersion, renderModel } = await import(join(BUILD, 'dist', 'domain', 'render.js'));
  const { resolveConfig } = await import(join(BUILD, 'dist', 'domain', 'state.js'));
  const cfg = resolveConfig({ apiVersion: 'modelreg/v1', kind: 'Registry', registry: 'registry', policies: 'policies' });
  const bad = [];
  for (const i of samples) {
    const mfile = `registry/${modelName(i)}/model.yaml`;
    if (renderModel(cfg, mfile, modelRecord(i)) !== renderModelText(modelRecord(i))) bad.push(mfile);
    for (let k = 0; k < 10; k++) {
      const rec = versionRecord(i, k);
      const file = `registry/${rec.model}/versions/${rec.version}.yaml`;
      const want = renderVersion(cfg, file, rec);
      if (want !== renderVersionText(rec)) bad.push(file);
    }
  }
  return bad;
}

// ---------- building ----------

/** The files a real `modelreg init` commits (path -> text), to start the synthetic history. */
function initFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'modelreg-bench-init-'));
  try {
    sh(process.execPath, [CLI, 'init', dir]);
    const paths = sh('git', ['-C', dir, 'ls-files', '-z']).split('\0').filter(Boolean).sort();
    return paths.map((p) => ({ path: p, text: readFileSync(join(dir, p), 'utf8') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function generatorHash(files) {
  const h = createHash('sha256');
  h.update(readFileSync(SELF));
  for (const f of files) h.update(`${f.path}\0${f.text}\0`);
  return h.digest('hex').slice(0, 12);
}

async function fastImport(dir, size, files, log) {
  const child = spawn('git', ['-C', dir, 'fast-import', '--quiet', '--done'], { env: env(), stdio: ['pipe', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`git fast-import failed (${code}): ${stderr}`)))));
  let buf = [];
  let bytes = 0;
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
  const file = async (path, text) => {
    await put(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  };
  const commit = async (subject, body, t, parent) => {
    const msg = `${subject}\n\n${body}\n`;
    await put(`commit refs/heads/main\nmark :${parent ? 2 : 1}\nauthor ${BENCH_ENV.GIT_AUTHOR_NAME} <${BENCH_ENV.GIT_AUTHOR_EMAIL}> ${t} +0000\ncommitter ${BENCH_ENV.GIT_COMMITTER_NAME} <${BENCH_ENV.GIT_COMMITTER_EMAIL}> ${t} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`);
    if (parent) await put(`from :1\n`);
  };
  await commit('init modelreg registry', 'Modelreg-Action: init', BASE_TIME - 3600, false);
  for (const f of files) await file(f.path, f.text);
  await put('\n');
  await commit(`import ${size} synthetic versions`, 'Generated by bench/synth.mjs.', BASE_TIME + 1, true);
  const models = Math.ceil(size / 10);
  let written = 0;
  for (let i = 0; i < models; i++) {
    const name = modelName(i);
    await file(`registry/${name}/model.yaml`, renderModelText(modelRecord(i)));
    for (let k = 0; k < 10 && written < size; k++, written++) {
      const rec = versionRecord(i, k);
      await file(`registry/${name}/versions/${rec.version}.yaml`, renderVersionText(rec));
    }
    if (log && i && i % 2000 === 0) log(`  synth: ${i}/${models} models`);
  }
  await put('\ndone\n');
  await flush();
  child.stdin.end();
  await done;
}

/**
 * A built registry of `size` versions (cached); `variant` 'packed' (after `git gc`) or 'loose'
 * (every object a loose file, as isomorphic-git leaves them). Returns its directory; do not
 * write to it, copy it.
 */
export async function ensureRepo(size, variant = 'packed', { force = false, log = () => {} } = {}) {
  const files = initFiles();
  const base = join(tmpdir(), `modelreg-bench-${size}-${generatorHash(files)}`);
  const dir = join(base, variant);
  if (!force && existsSync(join(base, `${variant}.ready`))) return dir;
  mkdirSync(base, { recursive: true });
  if (variant === 'loose') {
    const packed = await ensureRepo(size, 'packed', { force, log });
    const t0 = Date.now();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(base, 'loose.ready'), { force: true });
    sh('cp', ['-a', packed, dir]);
    const packDir = join(dir, '.git', 'objects', 'pack');
    const packs = readdirSync(packDir).filter((f) => f.endsWith('.pack'));
    for (const p of packs) {
      const moved = join(base, `unpack-${p}`);
      renameSync(join(packDir, p), moved);
      rmSync(join(packDir, p.replace(/\.pack$/, '.idx')), { force: true });
      rmSync(join(packDir, p.replace(/\.pack$/, '.rev')), { force: true });
      sh('git', ['-C', dir, 'unpack-objects', '-q'], { input: readFileSync(moved) });
      rmSync(moved);
    }
    rmSync(join(dir, '.git', 'objects', 'info', 'commit-graph'), { force: true });
    writeFileSync(join(base, 'loose.ready'), new Date().toISOString());
    writeFileSync(join(base, 'loose.git-entries'), JSON.stringify(readdirSync(join(dir, '.git')).sort()));
    log(`  synth: loose copy of ${size} versions in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return dir;
  }
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(base, 'packed.ready'), { force: true });
  sh('git', ['init', '-q', '-b', 'main', dir]);
  sh('git', ['-C', dir, 'config', 'user.name', BENCH_ENV.GIT_AUTHOR_NAME]);
  sh('git', ['-C', dir, 'config', 'user.email', BENCH_ENV.GIT_AUTHOR_EMAIL]);
  sh('git', ['-C', dir, 'config', 'gc.auto', '0']); // no background gc inside a measurement
  await fastImport(dir, size, files, log);
  const t1 = Date.now();
  sh('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
  const t2 = Date.now();
  sh('git', ['-C', dir, 'gc', '-q']);
  const t3 = Date.now();
  writeFileSync(join(base, 'packed.ready'), new Date().toISOString());
  writeFileSync(join(base, 'packed.git-entries'), JSON.stringify(readdirSync(join(dir, '.git')).sort()));
  log(`  synth: ${size} versions built in ${((t3 - t0) / 1000).toFixed(1)} s (fast-import ${((t1 - t0) / 1000).toFixed(1)} s, checkout ${((t2 - t1) / 1000).toFixed(1)} s, gc ${((t3 - t2) / 1000).toFixed(1)} s) at ${dir}`);
  return dir;
}

/**
 * A fresh working copy of a cached registry (cp -a), in its own temporary folder. Anything a
 * command may have added to the cached repository's .git/ since it was built (e.g. a parsed-state
 * cache, if someone ran modelreg in it) is removed from the copy, so every copy starts cold.
 */
export function freshCopy(src, label = 'copy') {
  const parent = mkdtempSync(join(tmpdir(), `modelreg-bench-run-${label}-`));
  const dir = join(parent, 'repo');
  sh('cp', ['-a', src, dir]);
  const list = join(dirname(src), `${basename(src)}.git-entries`);
  if (existsSync(list)) {
    const known = new Set(JSON.parse(readFileSync(list, 'utf8')));
    for (const e of readdirSync(join(dir, '.git'))) if (!known.has(e)) rmSync(join(dir, '.git', e), { recursive: true, force: true });
  }
  return dir;
}

export function removeCopy(dir) {
  rmSync(dirname(dir), { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const args = process.argv.slice(2);
  const size = Number(args[args.indexOf('--size') + 1] || 1000);
  const variant = args.includes('--loose') ? 'loose' : 'packed';
  const bad = await verifyRendering();
  if (bad.length) console.error(`warning: the generator's text differs from modelreg's renderer for ${bad.join(', ')}`);
  const dir = await ensureRepo(size, variant, { force: args.includes('--force'), log: (m) => console.error(m) });
  console.log(dir);
  if (args.includes('--check')) {
    const r = spawnSync(process.execPath, [CLI, '-C', dir, 'check'], { encoding: 'utf8', env: env() });
    process.stdout.write(r.stdout + r.stderr);
    process.exitCode = r.status ?? 1;
  }
}
