/**
 * The "real history" section of the benchmark (issue 16), run by bench/run.mjs with
 * `--history one:2000,one:10000[,many:100000]` (`one:2000,one:10000` by default; `--history none`
 * skips it). Registries come from bench/history-synth.mjs: one commit per change.
 *
 * Measured, whole process, against the same run's floor (`node -e 0`):
 *   - `git log --name-status -- registry/MODEL` and `history MODEL` (cold: no event index;
 *     warm: the index the previous run left), `history MODEL --limit 20` (cold and warm);
 *   - register, transition, alias set, tag set in the big model, and native `git add` + `git
 *     commit` of the same edited file; `check --base HEAD~1`; resolve by version, stage and
 *     alias; `show MODEL VERSION`;
 *   - in process (bench/inproc-history.mjs): a transition and an alias move, warm.
 */
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { commitCount, ensureHistoryRepo } from './history-synth.mjs';
import { signatureOf } from './synth.mjs';

export const HISTORY_TARGETS = {
  one2000: { historyRatio: 2, limit20: 50, memMB: 150, write: 60, checkBase: 60, read: 40 },
  one10000: { historyRatio: 2, limit20: 50, memMB: 150, write: 100, checkBase: 80, read: 40 },
  many100000: { historyRatio: 2, limit20: 80, memMB: 200, checkBase: 150, read: 60 },
};

export function parseHistorySpecs(text) {
  if (!text || text === 'none') return [];
  return text.split(',').map((s) => {
    const [kind, n] = s.trim().split(':');
    const size = Number(String(n).replace(/k$/i, '000'));
    if (!['one', 'many'].includes(kind) || !(size > 0)) throw new Error(`--history: '${s}' is not one:N or many:N`);
    return { kind, size };
  });
}

/**
 * `h`: run.mjs's helpers { series, runOnce, cli, git, freshCopy, dropCopy, log, NODE, ROOT, BUDGET_S }.
 */
export async function benchHistory({ kind, size }, floors, h) {
  const t0 = Date.now();
  h.log(`\n== real history ${kind}:${size} ==`);
  const src = await ensureHistoryRepo(kind, size, { log: h.log });
  const commits = commitCount(src);
  const model = kind === 'one' ? 'm0' : 'm5';
  const T = HISTORY_TARGETS[`${kind}${size}`] ?? HISTORY_TARGETS[kind === 'one' ? 'one10000' : 'many100000'];
  const rows = {};
  const dir = h.freshCopy(src, `history-${kind}-${size}`);
  const index = join(dir, '.git', 'modelreg');
  const fullLines = Number(h.git(dir, 'log', '--first-parent', '--format=%H', '--', `registry/${model}`).trim().split('\n').length);
  const verifyHistory = (limit) => (_, r) => {
    const n = (r.stdout.match(/^[0-9a-f]{12} {2}/gm) ?? []).length;
    const want = limit === undefined ? fullLines : Math.min(limit, fullLines); // a model of 11 commits prints 11 under --limit 20
    if (n !== want) throw new Error(`history printed ${n} entries, git log has ${want}`);
  };
  rows.gitLog = await h.series(`git log --name-status -- registry/${model}`, { prepare: () => ({ cmd: 'git', args: ['-C', dir, 'log', '--name-status', '--', `registry/${model}`], cwd: dir }) });
  // A first walk of 100,000 commits takes minutes: one run of each "no index" row there.
  const coldRuns = commits > 50_000 ? 1 : 3;
  rows.historyCold = await h.series(`history ${model} (no index)`, { runs: coldRuns, prepare: () => { rmSync(index, { recursive: true, force: true }); return h.cli(dir, 'history', model); }, verify: verifyHistory() });
  rows.historyWarm = await h.series(`history ${model} (indexed)`, { prepare: () => h.cli(dir, 'history', model), verify: verifyHistory() });
  rows.limitCold = await h.series(`history ${model} --limit 20 (no index)`, { runs: coldRuns, prepare: () => { rmSync(index, { recursive: true, force: true }); return h.cli(dir, 'history', model, '--limit', '20'); }, verify: verifyHistory(20) });
  h.runOnce(h.NODE, [h.CLI ?? join(h.ROOT, 'bin', 'modelreg.js'), '-C', dir, 'history'], { cwd: dir }); // the index again, whole (untimed)
  rows.limitWarm = await h.series(`history ${model} --limit 20 (indexed)`, { prepare: () => h.cli(dir, 'history', model, '--limit', '20'), verify: verifyHistory(20) });
  rows.historyAll = await h.series('history (every model, indexed)', { runs: 3, prepare: () => h.cli(dir, 'history') });

  // Reads.
  const top = kind === 'one' ? `1.${size - 1}.0` : '1.9.0';
  const prod = kind === 'one' ? (h.git(dir, 'log', '-1', '--format=%s', '--grep', '-> Production').match(/m0 (\S+):/)?.[1]) : undefined;
  rows.resolveVersion = await h.series(`resolve models:/${model}/${top}`, { prepare: () => h.cli(dir, 'resolve', `models:/${model}/${top}`) });
  if (prod) {
    rows.resolveStage = await h.series(`resolve models:/${model}/Production`, { prepare: () => h.cli(dir, 'resolve', `models:/${model}/Production`), verify: (_, r) => { if (!r.stdout.includes(prod)) throw new Error(`resolve printed ${r.stdout.slice(0, 100)}`); } });
    rows.resolveAlias = await h.series(`resolve models:/${model}@champion`, { prepare: () => h.cli(dir, 'resolve', `models:/${model}@champion`) });
  }
  rows.show = await h.series(`show ${model} ${top}`, { prepare: () => h.cli(dir, 'show', model, top) });
  rows.checkBase = await h.series('check --base HEAD~1 (one commit)', { prepare: () => h.cli(dir, 'check', '--base', 'HEAD~1') });

  // Writes in the big model (kind one), each run one commit on the same copy.
  if (kind === 'one') {
    const none = Array.from({ length: 9 }, (_, k) => `1.${size - 9 + k}.0`);
    // One version moved None -> Staging, then Archived, Staging, Archived... (each a move the default policy allows).
    rows.transition = await h.series(`transition ${model} ${none[0]} (Staging / Archived)`, { prepare: (i) => h.cli(dir, 'transition', model, none[0], i % 2 ? 'Archived' : 'Staging') });
    rows.alias = await h.series(`alias set ${model} bench`, { prepare: (i) => h.cli(dir, 'alias', 'set', model, 'bench', i % 2 ? none[1] : none[2]) });
    rows.tag = await h.series(`tag set ${model} ${top}`, { prepare: (i) => h.cli(dir, 'tag', 'set', model, top, `bench=${i}`) });
    const sig = join(dir, '..', 'signature.json');
    writeFileSync(sig, JSON.stringify(signatureOf(0)));
    rows.register = await h.series(`register ${model} (bump)`, { prepare: (i) => h.cli(dir, 'register', model, '--artifact', `s3://bench/${i}`, '--metric', 'auc=0.9', '--signature', sig) });
    rows.nativeEdit = await h.series('native git add + commit (edited version file)', {
      prepare: (i) => {
        const rel = `registry/${model}/versions/1.${i}.0.yaml`;
        writeFileSync(join(dir, rel), `${readFileSync(join(dir, rel), 'utf8')}# native edit ${i}\n`);
        return { cmd: 'sh', args: ['-c', `git add ${rel} && git commit -q -m x`], cwd: dir };
      },
    });
    const ip = h.runOnce(h.NODE, [join(h.ROOT, 'bench', 'inproc-history.mjs'), '--dir', dir, '--model', model, '--versions', none.slice(4).join(','), '--budget-ms', String(h.BUDGET_S * 1000)], { cwd: dir });
    try {
      const j = JSON.parse(ip.stdout);
      const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      rows.inproc = { transition: med(j.times.transition), alias: med(j.times.alias), n: j.times.transition.length, first: j.first };
    } catch {
      rows.inproc = { error: (ip.stderr || ip.stdout).slice(0, 400) };
    }
  }
  h.dropCopy(dir);
  return { kind, size, commits, model, rows, T, floors, totalMs: Date.now() - t0 };
}

const f = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mb = (x) => (x === undefined ? 'n/a' : `${x.toFixed(0)} MB`);
const ok = (b) => (b === undefined ? '' : b ? '✓' : '✗');

export function historyTable(res) {
  const { rows, T, floors } = res;
  const floor = floors.node.median;
  const lines = [`### Real history: ${res.kind === 'one' ? `one model (${res.model}) of ${res.size} versions` : `${res.size / 10} models of 10 versions`}, ${res.commits} commits`, ''];
  lines.push('| operation | median | min | max | CPU (median) | runs (disturbed) | peak RSS | target | met |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
  const row = (label, r, target, met) => r && lines.push(`| ${label} | ${f(r.median)} | ${f(r.min)} | ${f(r.max)} | ${f(r.cpuMedian)} | ${r.runs}${r.disturbedKept ? ` (${r.disturbedKept})` : ''} | ${mb(r.rssMB)} | ${target} | ${ok(met)} |${r.errors?.length ? ` **${r.errors[0].slice(0, 160)}**` : ''}`);
  row('floor: `node -e 0`', floors.node, 'reference');
  row(`\`git log --name-status -- registry/${res.model}\``, rows.gitLog, 'reference');
  row(`\`history ${res.model}\` (indexed)`, rows.historyWarm, `≤ ${T.historyRatio} × git log (${f(T.historyRatio * rows.gitLog.median)})`, rows.historyWarm.median <= T.historyRatio * rows.gitLog.median);
  row(`\`history ${res.model}\` (no index yet)`, rows.historyCold, `≤ ${T.historyRatio} × git log`, rows.historyCold.median <= T.historyRatio * rows.gitLog.median);
  row(`\`history ${res.model} --limit 20\` (indexed)`, rows.limitWarm, `≤ floor + ${T.limit20} ms (${f(floor + T.limit20)})`, rows.limitWarm.median <= floor + T.limit20);
  row(`\`history ${res.model} --limit 20\` (no index yet)`, rows.limitCold, `≤ floor + ${T.limit20} ms`, rows.limitCold.median <= floor + T.limit20);
  row('`history` (every model, indexed)', rows.historyAll, '');
  const peak = Math.max(...[rows.historyWarm, rows.historyCold, rows.limitWarm, rows.limitCold, rows.historyAll].map((r) => r.rssMB ?? 0));
  lines.push(`| peak memory of the history reads above | | | | | | ${mb(peak)} | ≤ ${T.memMB} MB | ${ok(peak <= T.memMB)} |`);
  for (const [k, label] of [['register', 'register (bump)'], ['transition', 'transition (Staging, Archived)'], ['alias', 'alias set'], ['tag', 'tag set']]) {
    if (rows[k]) row(`\`${label}\` in the big model`, rows[k], `≤ floor + ${T.write} ms (${f(floor + T.write)})`, rows[k].median <= floor + T.write);
  }
  row('native `git add` + `git commit` (edited version file)', rows.nativeEdit, 'reference');
  row('`check --base HEAD~1` (one commit)', rows.checkBase, `≤ floor + ${T.checkBase} ms (${f(floor + T.checkBase)})`, rows.checkBase.median <= floor + T.checkBase);
  for (const k of ['resolveVersion', 'resolveStage', 'resolveAlias', 'show']) row(rows[k]?.label.replace(/^(\S+)/, '`$1').concat('`'), rows[k], `≤ floor + ${T.read} ms (${f(floor + T.read)})`, rows[k] && rows[k].median <= floor + T.read);
  if (rows.inproc) {
    lines.push('');
    if (rows.inproc.error) lines.push(`In process: **failed**: ${rows.inproc.error}`);
    else {
      const n = rows.nativeEdit.median;
      lines.push(`In process (library, warm, median of ${rows.inproc.n}): transition ${f(rows.inproc.transition)}, alias move ${f(rows.inproc.alias)}; target ≤ 2 × native \`git add\` + \`git commit\` (${f(2 * n)}): ${ok(rows.inproc.transition <= 2 * n)} / ${ok(rows.inproc.alias <= 2 * n)}.`);
    }
  }
  lines.push('', `Section time: ${(res.totalMs / 1000).toFixed(0)} s.`);
  return lines.join('\n');
}
