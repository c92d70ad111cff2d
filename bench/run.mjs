#!/usr/bin/env node
/**
 * modelreg benchmark (issue 5, DESIGN.md §8). `npm run bench` builds, then runs this file.
 *
 *   node bench/run.mjs [--sizes 1000,10000] [--runs 7] [--out FILE] [--json FILE] [--packed] [--loose]
 *                      [--reads 200] [--writes 20] [--budget 120] [--wait-idle 30] [--wait-idle-total 900]
 *                      [--idle-max 0.25] [--in-place] [--no-serve] [--no-ui] [--ui-models 10000] [--ui-versions 1000]   (docs/performance.md explains each)
 *                      [--history one:2000,one:10000[,many:100000] | none]  (real histories: bench/history-bench.mjs)
 *
 * Every whole-process number is one fresh `node bin/modelreg.js ...` (what a user or a CI job
 * pays), timed from spawn to exit in this process; median, min and max of --runs runs; peak
 * RSS from `/usr/bin/time -v` (or, without it, process.resourceUsage().maxRSS reported by a
 * preloaded hook in the child). Synthetic registries come from bench/synth.mjs (cached in
 * os.tmpdir()); every measurement works on a fresh `cp -a` copy so nothing leaks between
 * benchmarks. Writes are compared with native `git add FILE && git commit` of the same
 * one-file change in a copy of the same repository.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

// ---------- arguments ----------
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(`--${n}`);
const opt = (n, d) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : d;
};
if (flag('help')) {
  const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  console.log(lines.slice(2, lines.indexOf(' */')).map((l) => l.replace(/^ \*\s?/, '')).join('\n'));
  process.exit(0);
}
const SIZES = opt('sizes', '1000,10000') === 'none' ? [] : opt('sizes', '1000,10000').split(',').map((s) => Number(s.trim().replace(/k$/i, '000'))).filter((n) => n > 0);
const RUNS = Math.max(1, Number(opt('runs', 7)));
const OUT = opt('out');
const JSON_OUT = opt('json');
const BUDGET_S = Number(opt('budget', 120)); // per operation: stop repeating after this (at least 3 runs)
const IN_READS = Number(opt('reads', 200));
const IN_WRITES = Number(opt('writes', 20));
const wantPacked = flag('packed');
const wantLoose = flag('loose');
const smallest = Math.min(...SIZES);
/** Which object-store layouts the reads are measured on at `size`. */
function readVariants(size) {
  if (wantPacked || wantLoose) return [...(wantPacked ? ['packed'] : []), ...(wantLoose ? ['loose'] : [])];
  return size === smallest ? ['packed', 'loose'] : ['packed'];
}

/** A hash of a build's dist/ and bin/ (which code is measured). */
function distFingerprint(root) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(p.slice(resolve(root).length)).update(readFileSync(p));
    }
  };
  try {
    walk(join(root, 'dist'));
    h.update(readFileSync(join(root, 'bin', 'modelreg.js')));
  } catch {
    return 'missing';
  }
  return h.digest('hex').slice(0, 12);
}

// ---------- a private copy of the build ----------
// /work/main is shared: a rebuild (which starts with `rm -rf dist`) in the middle of a run would
// make commands fail or mix two versions. Every command runs from a copy of bin/ and dist/ taken
// now (node_modules is linked, not copied). --in-place measures the checkout itself.
const scratch = mkdtempSync(join(tmpdir(), 'modelreg-bench-scratch-'));
const copies = new Set(); // working copies of registries, removed when their benchmark is done
let dropRepo = (d) => rmSync(d, { recursive: true, force: true });
process.on('exit', () => {
  for (const d of copies) dropRepo(d);
  rmSync(scratch, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'bin', 'modelreg.js'))) {
  console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds).');
  process.exit(2);
}
if (!flag('in-place')) {
  const build = join(scratch, 'build');
  for (let attempt = 1; ; attempt++) {
    rmSync(build, { recursive: true, force: true });
    mkdirSync(build);
    const before = distFingerprint(ROOT);
    for (const f of ['bin', 'dist', 'schemas', 'policies', 'package.json']) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(build, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
    const works = spawnSync(process.execPath, [join(build, 'bin', 'modelreg.js'), '--help'], { encoding: 'utf8' }).status === 0;
    if (works && before !== 'missing' && before === distFingerprint(ROOT) && before === distFingerprint(build)) break;
    if (attempt === 10) {
      console.error('Could not take a consistent copy of dist/ (someone keeps rebuilding it); try again, or pass --in-place.');
      process.exit(2);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  }
  process.env.MODELREG_BENCH_BUILD = build;
}
const { BENCH_ENV, BUILD, CLI, ensureRepo, freshCopy: copyRepo, removeCopy, sh, signatureOf, modelName, verifyRendering } = await import('./synth.mjs');
dropRepo = removeCopy;

const ENV = { ...process.env, ...BENCH_ENV, NO_COLOR: '1', FORCE_COLOR: '0' };
delete ENV.NODE_OPTIONS;
const NODE = process.execPath;
const TIME = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8' }).stderr?.includes('Maximum resident') ? '/usr/bin/time' : undefined;
let rssHook;
if (!TIME) {
  rssHook = join(scratch, 'rss-hook.mjs');
  writeFileSync(rssHook, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { try { const u = process.resourceUsage(); writeFileSync(process.env.MODELREG_BENCH_RSS, `${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}`); } catch {} });\n");
}

const log = (m) => process.stderr.write(`${m}\n`);

// Working copies live until their benchmark is done; an interrupted run removes them too.
// Each copy (and each removal) is written back to disk before timing goes on: the write-back of
// a 100k copy (hundreds of MB) otherwise overlaps the first measurements and shows up as spread.
function freshCopy(src, label) {
  const dir = copyRepo(src, label);
  copies.add(dir);
  sh('sync', []);
  return dir;
}
function dropCopy(dir) {
  dropRepo(dir);
  copies.delete(dir);
  sh('sync', []);
}

// ---------- a shared machine: wait for other work to quiet down before each run ----------
const IDLE_WAIT_S = Number(opt('wait-idle', 30)); // per run; 0: never wait
const IDLE_WAIT_TOTAL_S = Number(opt('wait-idle-total', 900)); // over the whole benchmark
const IDLE_MAX = Number(opt('idle-max', 0.25)); // share of all CPUs other processes may use (before and during a run)
const NCPU = cpus().length || 1;
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
/** Busy fraction of the CPUs over `ms` (other processes; this one is idle meanwhile). */
function busyFraction(ms = 300) {
  const a = cpuTimes();
  sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return 0;
  return 1 - (b.idle - a.idle) / (b.total - a.total);
}
/**
 * Whether other processes took a real share of the CPUs during a run: more than --idle-max of
 * the capacity, and more than 40 ms (the kernel's accounting ticks are 10 ms, and a write's own
 * writeback in kernel threads is counted as "others" too).
 */
function isDisturbed(othersMs, ms) {
  return othersMs > Math.max(IDLE_MAX * NCPU * ms, 40);
}
let waitedMs = 0;
const tick = () => new Promise((r) => setImmediate(r));
const totals = { runs: 0, discarded: 0, disturbedKept: 0 };
function noteRuns(r) {
  totals.runs += r.runs;
  totals.discarded += r.discarded;
  totals.disturbedKept += r.disturbedKept;
}
/** Waits (up to --wait-idle seconds) until other processes leave the CPUs mostly idle; returns the last busy fraction seen. */
function waitIdle() {
  if (IDLE_WAIT_S <= 0) return 0;
  const start = Date.now();
  let b = busyFraction(200);
  while (b > IDLE_MAX && Date.now() - start < IDLE_WAIT_S * 1000 && waitedMs + (Date.now() - start) < IDLE_WAIT_TOTAL_S * 1000) b = busyFraction(1000);
  waitedMs += Date.now() - start;
  return b;
}

// ---------- targets (issue 5) ----------
const TARGETS = {
  1000: { resolve: 100, show: 120, list: 200, write: 200, check: 1500, checkBase: 300, memMB: 150 },
  10000: { resolve: 110, show: 130, list: 400, write: 250, check: 5000, checkBase: 400, memMB: 200 },
  100000: { resolve: 150, show: 180, list: 2000, writeRatio: 1.5, check: 30000, checkBase: 1000, memMB: 500 },
};
function targetsFor(size) {
  const key = size <= 1000 ? 1000 : size <= 10000 ? 10000 : 100000;
  return { key, ...TARGETS[key] };
}

// ---------- measuring one process ----------
/** Runs one command; returns wall ms (spawn to exit, measured here), peak RSS in MB, output. */
function runOnce(cmd, args, { cwd, timeoutMs = 30 * 60 * 1000 } = {}) {
  let file;
  let spawnCmd = cmd;
  let spawnArgs = args;
  const env = { ...ENV };
  if (TIME) {
    file = join(scratch, `time-${process.pid}.txt`);
    spawnCmd = TIME;
    spawnArgs = ['-v', '-o', file, cmd, ...args];
  } else if (cmd === NODE) {
    file = join(scratch, `rss-${process.pid}.txt`);
    spawnArgs = ['--import', `file://${rssHook}`, ...args];
    env.MODELREG_BENCH_RSS = file;
  }
  if (file) rmSync(file, { force: true });
  const s0 = cpuTimes();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(spawnCmd, spawnArgs, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, timeout: timeoutMs });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const s1 = cpuTimes();
  let rssMB;
  let cpuMs;
  if (file && existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const m = TIME ? /Maximum resident set size \(kbytes\): (\d+)/.exec(text) : /^(\d+)/.exec(text);
    if (m) rssMB = Number(m[1]) / 1024;
    const u = /User time \(seconds\): ([\d.]+)/.exec(text);
    const k = /System time \(seconds\): ([\d.]+)/.exec(text);
    if (u && k) cpuMs = (Number(u[1]) + Number(k[1])) * 1000;
    else if (!TIME) cpuMs = Number(/ (\d+)$/.exec(text.trim())?.[1]) / 1000 || undefined;
  }
  // CPU time all processes used meanwhile (USER_HZ = 100: 10 ms a tick), less what the command used.
  const allBusyMs = s0 && s1 ? (s1.total - s1.idle - (s0.total - s0.idle)) * 10 : 0;
  const othersMs = Math.max(0, allBusyMs - (cpuMs ?? 0));
  const others = othersMs / (NCPU * ms);
  return { ms, cpuMs, others, othersMs, rssMB, status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/**
 * Repeats a measurement: `prepare(i)` (untimed) returns the command of attempt i; `verify(i,
 * result)` (untimed) throws when the run did not do what it should. Waits for quiet CPUs before
 * each attempt; an attempt during which other processes used more than --idle-max of the CPUs
 * is discarded and made again (up to `runs` extra attempts; after that disturbed runs are kept
 * and flagged). Stops after `runs` kept runs, or after BUDGET_S seconds of runs once it has 3.
 */
async function series(label, { prepare, verify, cleanup, runs = RUNS }) {
  const maxAttempts = runs + Math.max(3, runs);
  const ms = [];
  const cpu = [];
  let rss = 0;
  let rssKnown = false;
  const errors = [];
  let attempts = 0;
  let discarded = 0;
  let disturbedKept = 0;
  let spent = 0;
  while (ms.length < runs && attempts < maxAttempts) {
    await tick(); // lets a SIGINT/SIGTERM handler run between runs
    const i = attempts++;
    const { cmd, args, cwd } = prepare(i);
    waitIdle();
    const r = runOnce(cmd, args, { cwd });
    spent += r.ms;
    if (r.status !== 0 || r.error) {
      errors.push(`run ${i + 1}: exit ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 6).join(' | ').slice(0, 600)}`);
    } else {
      try {
        verify?.(i, r);
      } catch (e) {
        errors.push(`run ${i + 1}: ${e.message}`);
      }
    }
    cleanup?.(i, r);
    if (r.rssMB !== undefined) {
      rss = Math.max(rss, r.rssMB);
      rssKnown = true;
    }
    const disturbed = isDisturbed(r.othersMs, r.ms);
    const overBudget = spent / 1000 > BUDGET_S;
    if (disturbed && !errors.length && maxAttempts - attempts >= runs - ms.length && !(overBudget && ms.length >= 3) && spent / 1000 < 2 * BUDGET_S) {
      discarded++;
      continue;
    }
    if (disturbed) disturbedKept++;
    ms.push(r.ms);
    if (r.cpuMs !== undefined) cpu.push(r.cpuMs);
    if (errors.length) break;
    if (overBudget && ms.length >= 3) break;
  }
  const res = { label, runs: ms.length, attempts, discarded, disturbedKept, ms, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), first: ms[0], cpu, cpuMedian: cpu.length ? median(cpu) : undefined, rssMB: rssKnown ? rss : undefined, errors };
  noteRuns(res);
  log(`  ${label.padEnd(44)} median ${fmtMs(res.median).padStart(9)}  min ${fmtMs(res.min).padStart(9)}  max ${fmtMs(res.max).padStart(9)}  cpu ${fmtMs(res.cpuMedian).padStart(9)}  n=${res.runs}${discarded ? ` (+${discarded} disturbed, discarded)` : ''}${disturbedKept ? ` (${disturbedKept} kept although disturbed)` : ''}${res.rssMB ? `  rss ${res.rssMB.toFixed(0)} MB` : ''}${errors.length ? `  FAILED: ${errors[0]}` : ''}`);
  return res;
}

function fmtMs(x) {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  if (x >= 10000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (x >= 10) return `${x.toFixed(0)} ms`;
  return `${x.toFixed(2)} ms`;
}

const cli = (dir, ...args) => ({ cmd: NODE, args: [CLI, '-C', dir, ...args], cwd: dir });
const git = (dir, ...args) => sh('git', ['-C', dir, ...args]);

function assertClean(dir, what) {
  const s = git(dir, 'status', '--porcelain');
  if (s.trim()) throw new Error(`${what}: git status --porcelain is not empty: ${s.trim().split('\n').slice(0, 3).join('; ')}`);
}

/** Top-level entries of .git/, to remove whatever a run adds there (e.g. a parsed-state cache). */
function gitEntries(dir) {
  return new Set(readdirSync(join(dir, '.git')));
}
function dropNewGitEntries(dir, before) {
  for (const e of readdirSync(join(dir, '.git'))) if (!before.has(e)) rmSync(join(dir, '.git', e), { recursive: true, force: true });
}

function sigFile(i) {
  const f = join(scratch, `sig-${i}.json`);
  if (!existsSync(f)) writeFileSync(f, JSON.stringify(signatureOf(i)));
  return f;
}

function registerArgs(i, version) {
  const name = modelName(i);
  return ['register', name, '--artifact', `s3://ml-models/${name}/${version}/model.bin`, '--signature', sigFile(i),
    '--metric', 'auc=0.9312', '--metric', 'accuracy=0.8874', '--metric', 'log_loss=0.2011', '--param', 'learning_rate=0.05', '--param', 'max_depth=6',
    '--tag', 'team=bench', '--framework', 'lightgbm@4.3.0', '--format', 'pickle', '--run-id', `benchrun${i}`, '--experiment', `${name}-training`,
    '--source-repo', `https://github.com/example/${name}-training`, '--source-commit', '0123456789abcdef0123456789abcdef01234567',
    '--dataset', 'ads-events@v11', '--description', 'weekly retrain (benchmark)'];
}

// ---------- one size ----------
async function benchSize(size, floors) {
  const t0 = Date.now();
  const models = Math.ceil(size / 10);
  const T = targetsFor(size);
  log(`\n== ${size} versions (${models} models) ==`);
  const packed = await ensureRepo(size, 'packed', { log });
  const setupMs = { build: Date.now() - t0 };
  const rows = { floors };
  const notes = [];

  // Reads, on each requested object layout.
  rows.reads = {};
  for (const variant of readVariants(size)) {
    const src = variant === 'packed' ? packed : await ensureRepo(size, 'loose', { log });
    const tc = Date.now();
    const dir = freshCopy(src, `read-${variant}`);
    setupMs[`copy-read-${variant}`] = Date.now() - tc;
    const before = gitEntries(dir); // .git/ as built: anything added later is modelreg's cache
    const r = {};
    r.resolve = await series(`resolve models:/m0/Production [${variant}]`, {
      prepare: () => cli(dir, 'resolve', 'models:/m0/Production'),
      verify: (_, x) => { if (!x.stdout.startsWith('m0 1.7.0')) throw new Error(`unexpected output: ${x.stdout.slice(0, 80)}`); },
    });
    r.show = await series(`show m0 [${variant}]`, {
      prepare: () => cli(dir, 'show', 'm0'),
      verify: (_, x) => { if (!/^1\.9\.0\s/m.test(x.stdout) || !/^1\.0\.0\s/m.test(x.stdout)) throw new Error(`show m0 lacks versions: ${x.stdout.slice(0, 80)}`); },
    });
    const listOk = (_, x) => { const n = x.stdout.trim().split('\n').length - 1; if (n !== models) throw new Error(`list printed ${n} models, expected ${models}`); };
    // Cold: whatever a previous run left in .git/ (modelreg's parsed-state cache) is removed first.
    r.listCold = await series(`list, cold cache [${variant}]`, {
      prepare: () => { dropNewGitEntries(dir, before); return cli(dir, 'list'); },
      verify: listOk,
    });
    // Warm: the cache the previous run left (the first run finds the last cold run's).
    r.list = await series(`list, warm cache [${variant}]`, { prepare: () => cli(dir, 'list'), verify: listOk });
    r.check = await series(`check (full) [${variant}]`, {
      prepare: () => { dropNewGitEntries(dir, before); return cli(dir, 'check'); },
      verify: (_, x) => {
        const m = /(\d+) versions: (\d+) errors?/.exec(x.stdout + x.stderr);
        if (!m) throw new Error(`check output not understood: ${(x.stdout + x.stderr).slice(-200)}`);
        if (Number(m[1]) !== size) throw new Error(`check counted ${m[1]} versions, expected ${size}`);
        if (m[2] !== '0') throw new Error(`check reported ${m[2]} errors`);
      },
      cleanup: () => dropNewGitEntries(dir, before),
    });
    rows.reads[variant] = r;
    dropCopy(dir);
  }

  // Writes (on the packed repository). register: run i registers a new version of model m<i+1>.
  const runsW = Math.min(RUNS, Math.floor((models - 2) / 2)); // each attempt uses a model of its own
  let tc = Date.now();
  const reg = freshCopy(packed, 'register');
  setupMs['copy-register'] = Date.now() - tc;
  const regHead0 = Number(git(reg, 'rev-list', '--count', 'HEAD'));
  rows.register = await series('register (new version, one commit)', {
    runs: runsW,
    prepare: (i) => cli(reg, ...registerArgs(i + 1, '1.10.0')),
    verify: (i, x) => {
      if (!x.stdout.includes(`Registered ${modelName(i + 1)} 1.10.0`)) throw new Error(`unexpected output: ${x.stdout.slice(0, 120)}`);
      assertClean(reg, 'after register');
      const n = Number(git(reg, 'rev-list', '--count', 'HEAD'));
      if (n !== regHead0 + i + 1) throw new Error(`expected one new commit per register, HEAD has ${n - regHead0} after ${i + 1} runs`);
    },
  });
  let tf = Date.now();
  const fsckReg = spawnSync('git', ['-C', reg, 'fsck', '--no-progress'], { encoding: 'utf8', env: ENV });
  rows.fsck = { register: { ok: fsckReg.status === 0 && !/error|missing|broken|corrupt/i.test(fsckReg.stdout + fsckReg.stderr), out: (fsckReg.stdout + fsckReg.stderr).trim().slice(0, 400), ms: Date.now() - tf } };

  rows.checkBase = await series('check --base HEAD~1 (one registration)', {
    prepare: () => cli(reg, 'check', '--base', 'HEAD~1'),
    verify: (_, x) => {
      const out = x.stdout + x.stderr;
      if (!/register m\d+ 1\.10\.0/.test(out)) throw new Error(`check --base did not evaluate the registration: ${out.slice(0, 200)}`);
      if (!/ 0 errors/.test(out)) throw new Error(`check --base reported errors: ${out.slice(-200)}`);
    },
  });
  // The exact files modelreg wrote, for the native comparison.
  const regFiles = [];
  for (let i = 0; i < rows.register.attempts; i++) {
    const p = `registry/${modelName(i + 1)}/versions/1.10.0.yaml`;
    if (existsSync(join(reg, p))) regFiles.push({ path: p, text: readFileSync(join(reg, p), 'utf8') });
  }
  dropCopy(reg);

  // transition: run i moves m<i+1> 1.9.0 None -> Staging.
  tc = Date.now();
  const tr = freshCopy(packed, 'transition');
  setupMs['copy-transition'] = Date.now() - tc;
  const trHead0 = Number(git(tr, 'rev-list', '--count', 'HEAD'));
  rows.transition = await series('transition (None -> Staging, one commit)', {
    runs: runsW,
    prepare: (i) => cli(tr, 'transition', modelName(i + 1), '1.9.0', 'Staging'),
    verify: (i, x) => {
      if (!x.stdout.includes('None -> Staging')) throw new Error(`unexpected output: ${x.stdout.slice(0, 120)}`);
      assertClean(tr, 'after transition');
      const n = Number(git(tr, 'rev-list', '--count', 'HEAD'));
      if (n !== trHead0 + i + 1) throw new Error(`expected one new commit per transition, HEAD has ${n - trHead0} after ${i + 1} runs`);
    },
  });
  tf = Date.now();
  const fsckTr = spawnSync('git', ['-C', tr, 'fsck', '--no-progress'], { encoding: 'utf8', env: ENV });
  rows.fsck.transition = { ok: fsckTr.status === 0 && !/error|missing|broken|corrupt/i.test(fsckTr.stdout + fsckTr.stderr), out: (fsckTr.stdout + fsckTr.stderr).trim().slice(0, 400), ms: Date.now() - tf };
  const trFiles = [];
  for (let i = 0; i < rows.transition.attempts; i++) {
    const p = `registry/${modelName(i + 1)}/versions/1.9.0.yaml`;
    trFiles.push({ path: p, text: readFileSync(join(tr, p), 'utf8') });
  }
  dropCopy(tr);

  // Native git: the same one-file changes, `git add FILE && git commit -q -m x` (two processes).
  tc = Date.now();
  const nat = freshCopy(packed, 'native');
  setupMs['copy-native'] = Date.now() - tc;
  const nativeSeries = async (label, files) => {
    const ms = [];
    const cpu = [];
    let rss = 0;
    let discarded = 0;
    let disturbedKept = 0;
    const errors = [];
    let left = files.length;
    for (const f of files) {
      if (ms.length >= RUNS) break;
      await tick();
      left--;
      writeFileSync(join(nat, f.path), f.text);
      waitIdle();
      const a = runOnce('git', ['add', f.path], { cwd: nat });
      const c = runOnce('git', ['commit', '-q', '-m', 'x'], { cwd: nat });
      if (a.status !== 0 || c.status !== 0) errors.push(`${f.path}: ${a.stderr}${c.stderr}${c.stdout}`.slice(0, 300));
      rss = Math.max(rss, a.rssMB ?? 0, c.rssMB ?? 0);
      const disturbed = isDisturbed(a.othersMs + c.othersMs, a.ms + c.ms);
      if (disturbed && !errors.length && left >= RUNS - ms.length) {
        discarded++;
        continue;
      }
      if (disturbed) disturbedKept++;
      ms.push(a.ms + c.ms);
      if (a.cpuMs !== undefined && c.cpuMs !== undefined) cpu.push(a.cpuMs + c.cpuMs);
      if (errors.length) break;
    }
    const res = { label, runs: ms.length, attempts: ms.length + discarded, discarded, disturbedKept, ms, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu, cpuMedian: cpu.length ? median(cpu) : undefined, rssMB: rss || undefined, errors };
    noteRuns(res);
    log(`  ${label.padEnd(44)} median ${fmtMs(res.median).padStart(9)}  min ${fmtMs(res.min).padStart(9)}  max ${fmtMs(res.max).padStart(9)}  cpu ${fmtMs(res.cpuMedian).padStart(9)}  n=${res.runs}${discarded ? ` (+${discarded} disturbed, discarded)` : ''}${disturbedKept ? ` (${disturbedKept} kept although disturbed)` : ''}${errors.length ? `  FAILED: ${errors[0]}` : ''}`);
    return res;
  };
  rows.nativeAdd = await nativeSeries('native git add + commit (new file)', regFiles);
  rows.nativeEdit = await nativeSeries('native git add + commit (edited file)', trFiles);
  try {
    assertClean(nat, 'after native commits');
  } catch (e) {
    notes.push(e.message);
  }

  // In process (library, warm), on the same copy: registers models after those used above.
  const first = Math.min(Math.max(rows.register.attempts, rows.transition.attempts) + 2, models - 1);
  waitIdle();
  const ip = runOnce(NODE, [join(ROOT, 'bench', 'inproc.mjs'), '--dir', nat, '--reads', String(IN_READS), '--writes', String(Math.min(IN_WRITES, models - first - 1)), '--first-model', String(first), '--models', String(Math.max(1, models - first - 1)), '--budget-ms', String(BUDGET_S * 1000)], { cwd: nat });
  if (ip.status === 0) {
    const j = JSON.parse(ip.stdout);
    const st = (xs) => ({ runs: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
    rows.inproc = { openMs: j.openMs, first: j.first, resolve: st(j.times.resolve), show: st(j.times.show), register: st(j.times.register), rssMB: j.rssMB, others: ip.others, othersMs: ip.othersMs, ms: ip.ms };
    try {
      assertClean(nat, 'after in-process registrations');
    } catch (e) {
      notes.push(e.message);
    }
    log(`  in process: resolve ${fmtMs(rows.inproc.resolve.median)}, show ${fmtMs(rows.inproc.show.median)}, register ${fmtMs(rows.inproc.register.median)} (first calls ${fmtMs(j.first.resolve)}, ${fmtMs(j.first.show)}, ${fmtMs(j.first.register)})`);
  } else {
    rows.inproc = { error: `${ip.stderr || ip.stdout}`.trim().slice(0, 600) };
    log(`  in process FAILED: ${rows.inproc.error}`);
  }
  dropCopy(nat);

  const totalMs = Date.now() - t0;
  const fp = distFingerprint(BUILD);
  if (fp !== DIST_AT_START) notes.push(`dist/ changed while this size was measured (build ${DIST_AT_START} at the start, ${fp} now): someone rebuilt modelreg; these numbers mix versions, run again`);
  return { size, models, targets: T, rows, setupMs, totalMs, notes, dist: fp };
}

// ---------- reporting ----------
const ok = (b) => (b === undefined ? '–' : b ? '✓' : '✗');
const mb = (x) => (x === undefined ? 'n/a' : `${x.toFixed(0)} MB`);

function table(res) {
  const { size, models, targets: T, rows } = res;
  const lines = [];
  const exact = [1000, 10000, 100000].includes(size);
  lines.push(`### ${size.toLocaleString('en-US')} versions (${models.toLocaleString('en-US')} models × 10)`);
  lines.push('');
  if (!exact) lines.push(`Targets shown are issue 5's targets for ${T.key.toLocaleString('en-US')} versions.\n`);
  lines.push('Whole process (fresh `node bin/modelreg.js` per run; wall time from spawn to exit):');
  lines.push('');
  lines.push('| operation | median | min | max | 1st run | runs | CPU (user+sys, median) | peak RSS | target | met |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
  const memLimit = T.memMB;
  const row = (name, r, target, met, note = '') => {
    if (!r) return;
    const failed = r.errors?.length;
    const runs = `${r.runs}${r.discarded ? ` (+${r.discarded})` : ''}${r.disturbedKept ? ` ${r.disturbedKept}†` : ''}`;
    lines.push(`| ${name}${note} | ${failed ? '**failed** ' : ''}${fmtMs(r.median)} | ${fmtMs(r.min)} | ${fmtMs(r.max)} | ${fmtMs(r.ms[0])} | ${runs} | ${fmtMs(r.cpuMedian)} | ${mb(r.rssMB)} | ${target ?? ''} | ${failed ? '✗' : ok(met)} |`);
  };
  row('`node -e 0` (start-up floor)', rows.floors.node, 'reference ≈ 70 ms', undefined);
  row('`modelreg --help` (start-up floor)', rows.floors.help, '', undefined);
  const variants = Object.keys(rows.reads);
  for (const v of variants) {
    const r = rows.reads[v];
    const tag = variants.length > 1 || v === 'loose' ? ` (${v})` : '';
    row(`\`resolve models:/m0/Production\`${tag}`, r.resolve, `≤ ${T.resolve} ms`, r.resolve.median <= T.resolve);
    row(`\`show m0\` (10 versions)${tag}`, r.show, `≤ ${T.show} ms`, r.show.median <= T.show);
    row(`\`list\` (${models} models), cold: no cache in .git/${tag}`, r.listCold, `≤ ${fmtMs(T.list)}`, r.listCold?.median <= T.list);
    row(`\`list\` (${models} models), warm: cache of the previous run${tag}`, r.list, `≤ ${fmtMs(T.list)}`, r.list.median <= T.list);
    row(`\`check\` (full)${tag}`, r.check, `≤ ${fmtMs(T.check)}`, r.check.median <= T.check);
  }
  const wt = (r, native) => (T.write !== undefined ? { text: `≤ ${T.write} ms`, met: r.median <= T.write } : { text: `≤ ${T.writeRatio} × native`, met: r.median / native.median <= T.writeRatio });
  const regT = wt(rows.register, rows.nativeAdd);
  row('`register` (one commit)', rows.register, regT.text, regT.met);
  row('`transition` None→Staging (one commit)', rows.transition, (wt(rows.transition, rows.nativeEdit)).text, wt(rows.transition, rows.nativeEdit).met);
  row('`check --base HEAD~1` (one registration)', rows.checkBase, `≤ ${fmtMs(T.checkBase)}`, rows.checkBase.median <= T.checkBase);
  row('native `git add` + `git commit` (same new file)', rows.nativeAdd, 'reference', undefined);
  row('native `git add` + `git commit` (same edited file)', rows.nativeEdit, 'reference', undefined);
  const rr = rows.register.median / rows.nativeAdd.median;
  const tr = rows.transition.median / rows.nativeEdit.median;
  lines.push(`| ratio register / native (medians) | ${rr.toFixed(2)} × | | | | | | | ${T.writeRatio ? `≤ ${T.writeRatio} ×` : '(≤ 1.5 × at 100k)'} | ${T.writeRatio ? ok(rr <= T.writeRatio) : ''} |`);
  lines.push(`| ratio transition / native (medians) | ${tr.toFixed(2)} × | | | | | | | ${T.writeRatio ? `≤ ${T.writeRatio} ×` : '(≤ 1.5 × at 100k)'} | ${T.writeRatio ? ok(tr <= T.writeRatio) : ''} |`);
  const all = [...variants.flatMap((v) => Object.values(rows.reads[v])), rows.register, rows.transition, rows.checkBase];
  const peak = Math.max(...all.map((r) => r.rssMB ?? 0));
  const worst = all.find((r) => r.rssMB === peak);
  lines.push(`| peak memory (max over modelreg commands) | ${mb(peak || undefined)} | | | | | | (${worst?.label ?? ''}) | ≤ ${memLimit} MB | ${peak ? ok(peak <= memLimit) : '–'} |`);
  lines.push('');
  const hit = all.concat([rows.nativeAdd, rows.nativeEdit, rows.floors.node, rows.floors.help]).filter((r) => r.discarded || r.disturbedKept);
  if (hit.length) lines.push(`Runs: "(+k)" = k more runs were made and discarded because other processes used more than ${Math.round(IDLE_MAX * 100)}% of the CPUs during them; "k†" = k of the kept runs were disturbed that way (no undisturbed retry left), so those numbers are inflated.\n`);
  const f = rows.fsck;
  lines.push(`Writes verified: after every run \`git status --porcelain\` was empty and HEAD had exactly one new commit; \`git fsck\` after all registrations: ${f.register.ok ? 'clean' : `**not clean**: ${f.register.out}`}; after all transitions: ${f.transition.ok ? 'clean' : `**not clean**: ${f.transition.out}`}.`);
  lines.push('');
  const ip = rows.inproc;
  if (ip && !ip.error) {
    lines.push('In process (library, warm: `openRegistry({ dir })` once, one untimed warm-up call, then per call):');
    lines.push('');
    lines.push('| operation | median | min | max | calls | first (cold) call | target | met |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
    lines.push(`| resolve | ${fmtMs(ip.resolve.median)} | ${fmtMs(ip.resolve.min)} | ${fmtMs(ip.resolve.max)} | ${ip.resolve.runs} | ${fmtMs(ip.first.resolve)} | ≤ 1 ms | ${ok(ip.resolve.median <= 1)} |`);
    lines.push(`| show | ${fmtMs(ip.show.median)} | ${fmtMs(ip.show.min)} | ${fmtMs(ip.show.max)} | ${ip.show.runs} | ${fmtMs(ip.first.show)} | ≤ 2 ms | ${ok(ip.show.median <= 2)} |`);
    const ratio = ip.register.median / rows.nativeAdd.median;
    lines.push(`| register | ${fmtMs(ip.register.median)} | ${fmtMs(ip.register.min)} | ${fmtMs(ip.register.max)} | ${ip.register.runs} | ${fmtMs(ip.first.register)} | ≤ 1.5 × native (${fmtMs(1.5 * rows.nativeAdd.median)}); ratio ${ratio.toFixed(2)} × | ${ok(ratio <= 1.5)} |`);
    lines.push('');
    lines.push(`(\`openRegistry\` took ${fmtMs(ip.openMs)}; the in-process run peaked at ${mb(ip.rssMB)} RSS${isDisturbed(ip.othersMs, ip.ms) ? `; **other processes used ${Math.round(ip.others * 100)}% of the CPUs meanwhile**, so these times are inflated` : ''}.)`);
  } else if (ip) {
    lines.push(`In process: **failed**: ${ip.error}`);
  }
  const errs = [...variants.flatMap((v) => Object.values(rows.reads[v])), rows.register, rows.transition, rows.checkBase, rows.nativeAdd, rows.nativeEdit].filter((r) => r.errors?.length);
  if (errs.length || res.notes.length) {
    lines.push('');
    lines.push('Problems:');
    for (const r of errs) lines.push(`- ${r.label}: ${r.errors.join('; ')}`);
    for (const n of res.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  const setup = Object.entries(res.setupMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ');
  lines.push(`Bench time for this size: ${(res.totalMs / 1000).toFixed(0)} s (setup: ${setup}).`);
  return lines.join('\n');
}

function machine() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model;
  const nproc = (spawnSync('nproc', [], { encoding: 'utf8' }).stdout ?? '').trim() || String(cpus().length);
  const gitv = (spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
  const head = (spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout ?? '').trim();
  const dirty = (spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout ?? '').trim() ? ' + uncommitted changes in src/' : '';
  const fs = (spawnSync('df', ['-T', tmpdir()], { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[1]?.split(/\s+/)[1] ?? '?';
  return { nproc, model, memGB: (totalmem() / 2 ** 30).toFixed(1), node: process.version, git: gitv, date: new Date().toISOString(), commit: `${head}${dirty}`, tmp: `${tmpdir()} (${fs})`, rss: TIME ? '/usr/bin/time -v' : 'process.resourceUsage().maxRSS (preloaded hook)' };
}

// ---------- main ----------
const bad = await verifyRendering();
if (bad.length) log(`warning: bench/synth.mjs renders differently from modelreg's renderer for ${bad.join(', ')} (the files still have to pass \`modelreg check\`)`);
const DIST_AT_START = distFingerprint(BUILD);
const m = machine();
m.dist = DIST_AT_START;
log(`machine: ${m.nproc} × ${m.model}, ${m.memGB} GiB, Node ${m.node}, ${m.git}; modelreg ${m.commit}; runs ${RUNS}; tmp ${m.tmp}`);
const started = Date.now();
log('start-up floor:');
const floors = {
  node: await series('node -e 0', { prepare: () => ({ cmd: NODE, args: ['-e', '0'], cwd: scratch }) }),
  help: await series('modelreg --help', { prepare: () => ({ cmd: NODE, args: [CLI, '--help'], cwd: scratch }), verify: (_, x) => { if (!x.stdout.includes('Usage')) throw new Error('no usage text'); } }),
};
const results = [];
for (const size of SIZES) results.push(await benchSize(size, floors));
const { benchHistory, historyTable, parseHistorySpecs } = await import('./history-bench.mjs');
const historyResults = [];
for (const spec of parseHistorySpecs(opt('history', 'one:2000,one:10000'))) {
  historyResults.push(await benchHistory(spec, floors, { series, runOnce, cli, git, freshCopy, dropCopy, log, NODE, ROOT, CLI, BUDGET_S, RUNS }));
}

const md = [];
md.push(`Machine: ${m.nproc} CPUs (${m.model}), ${m.memGB} GiB RAM, Node ${m.node}, ${m.git}; modelreg at ${m.commit} (dist/ fingerprint ${m.dist}); ${m.date}.`);
md.push(`Repositories under ${m.tmp}; ${RUNS} runs per operation (fewer where marked); peak RSS by ${m.rss}.`);
md.push('');
for (const r of results) {
  md.push(table(r));
  md.push('');
}
for (const r of historyResults) {
  md.push(historyTable(r));
  md.push('');
}
// modelreg serve (bench/serve.mjs): throughput and latency under autocannon, memory, write paths.
if (!flag('no-serve')) md.push(await (await import('./serve.mjs')).benchServe(SIZES, { log }), '');
// The web UI (bench/ui.mjs): time to interactive in Chromium of the Models page and a large Model page.
if (!flag('no-ui')) md.push(await (await import('./ui.mjs')).benchUi({ models: Number(opt('ui-models', 10000)), versions: Number(opt('ui-versions', 1000)), log }), '');
md.push(`Total: ${((Date.now() - started) / 1000).toFixed(0)} s for sizes ${SIZES.join(', ')}${waitedMs > 1000 ? `, of which ${(waitedMs / 1000).toFixed(0)} s waiting for other processes to leave the CPUs idle` : ''}; ${totals.runs} runs kept, ${totals.discarded} discarded as disturbed, ${totals.disturbedKept} kept although disturbed.`);
const text = md.join('\n');
console.log(text);
if (OUT) writeFileSync(OUT, `${text}\n`);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ machine: m, runs: RUNS, results, history: historyResults }, null, 2));
rmSync(scratch, { recursive: true, force: true });
const failed = results.some((r) => r.notes.length || Object.values(r.rows.reads).some((x) => Object.values(x).some((s) => s.errors.length)) || [r.rows.register, r.rows.transition, r.rows.checkBase].some((s) => s.errors.length) || !r.rows.fsck.register.ok || !r.rows.fsck.transition.ok || r.rows.inproc?.error);
process.exitCode = failed ? 1 : 0;
