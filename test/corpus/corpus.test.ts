/**
 * The hostile-input corpus (issue 6, "Hostile and broken input"): one test per file of
 * test/corpus/cases/, each run against the CLI and against the library. See README.md in this
 * folder for the case format. A failing test lists everything that went wrong with its case.
 */
import { describe, expect, test } from 'vitest';
import type { Issue } from '../../src/domain/issues.js';
import { EXIT_CODES, type ErrorCode } from '../../src/errors/index.js';
import {
  MAX_OUTPUT_CHARS, RAW_CONTROL, SECRET, STACK_LINE, buildRepo, caseFiles, codes, copyRepo, diffSnapshots, expandCase, exits, loadCase,
  printableParts, repoState, runCli, runLibraryInProcess, runLibraryIsolated, snapshotTree, type Built, type Case, type CliRun, type LibOutcome,
} from './runner.js';

const files = caseFiles();
if (files.length < 60) throw new Error(`the corpus needs at least 60 cases; test/corpus/cases holds ${files.length}`);

/** How long a run may take before it is killed, when the case sets no limit. */
const DEFAULT_TIMEOUT_S = 60;

function show(s: string, n = 600): string {
  const t = JSON.stringify(s);
  return t.length > n ? `${t.slice(0, n)}…(${s.length} chars)` : t;
}

/** Runs `run` on a fresh copy of the case's repository and reports what it changed that it must not have. */
async function guarded<T>(built: Built, run: (b: Built) => Promise<T>): Promise<{ out: T; changes: string[] }> {
  const b = await copyRepo(built);
  const stateBefore = await repoState(b.dir);
  const around = await snapshotTree(b.parent, ['repo']);
  const out = await run(b);
  const stateAfter = await repoState(b.dir);
  const changes: string[] = [];
  if (stateAfter.commits !== stateBefore.commits || stateAfter.refs !== stateBefore.refs) changes.push(`new commit or moved ref: ${stateBefore.commits} -> ${stateAfter.commits} commits; refs before ${show(stateBefore.refs)} after ${show(stateAfter.refs)}`);
  if (stateAfter.head !== stateBefore.head) changes.push(`HEAD moved: ${stateBefore.head} -> ${stateAfter.head}`);
  if (stateAfter.status !== stateBefore.status) changes.push(`git status changed: before ${show(stateBefore.status)} after ${show(stateAfter.status)}`);
  if (stateAfter.gitEntries !== stateBefore.gitEntries) changes.push(`written into .git: before [${stateBefore.gitEntries}] after [${stateAfter.gitEntries}]`);
  if (stateAfter.locks !== stateBefore.locks) changes.push(`lock files in .git: before [${stateBefore.locks}] after [${stateAfter.locks}]`);
  const outside = diffSnapshots(around, await snapshotTree(b.parent, ['repo']));
  if (outside.length) changes.push(`written outside the repository: ${outside.join(', ')}`);
  return { out, changes };
}

/**
 * When a run is killed. Time limits are asserted on CPU time for the CLI (it reports its own on
 * exit) and on the operation's own wall-clock time for the library; the kill comes later, so a
 * loaded machine does not turn a slow start into a failure, while a hang still ends.
 */
function timeoutOf(c: Case): number {
  return (c.limits?.seconds ? c.limits.seconds * 3 : DEFAULT_TIMEOUT_S) * 1000;
}

/** The worker loads the library before it starts the clock: give it that time too. */
const WORKER_STARTUP_MS = 4000;

/** The CLI part: exit code, the message naming the file and field, and what no output may hold. */
async function cliPart(c: Case, built: Built): Promise<string[]> {
  const e = c.expect;
  const args = c.target === 'check' ? ['check'] : c.cli!;
  const { out: r, changes } = await guarded<CliRun>(built, (b) => runCli(b.dir, b.home, args, timeoutOf(c)));
  const f = changes.map((x) => `CLI: ${x}`);
  const all = `${r.stdout}${r.stderr}`;
  const cmd = `modelreg ${args.map((a) => (a.length > 80 ? `${a.slice(0, 80)}…` : a)).join(' ')}`;
  if (r.timedOut) return [...f, `CLI: \`${cmd}\` did not finish within ${timeoutOf(c) / 1000}s and was killed`];
  if (c.limits?.seconds && (r.cpuMs ?? r.ms) > c.limits.seconds * 1000) f.push(`CLI: used ${r.cpuMs ?? r.ms} ms of CPU; the limit is ${c.limits.seconds} s`);
  if (!exits(e).includes(r.code)) f.push(`CLI: \`${cmd}\` exited ${r.code}, expected ${exits(e).join(' or ')}; output ${show(all)}`);
  if (all.includes(SECRET)) f.push('CLI: the output holds content of a file outside the repository');
  if (STACK_LINE.test(all)) f.push(`CLI: the output holds a stack trace: ${show(all)}`);
  if (/unexpected error/.test(all)) f.push(`CLI: reported an unexpected error: ${show(all)}`);
  if (RAW_CONTROL.test(all)) f.push(`CLI: the output holds raw control characters (terminal escapes must be escaped): ${show(all)}`);
  if (all.length > MAX_OUTPUT_CHARS) f.push(`CLI: the output is ${all.length} characters; a clear error does not echo the hostile input back in full`);
  if (c.target === 'check') {
    const lines = r.stdout.split('\n');
    if (e.rule) {
      const want = (l: string) => l.includes(`[${e.rule}]`) && l.includes(e.severity === 'warning' ? 'warning' : 'error')
        && (!e.file || printableParts(e.file).every((p) => l.includes(p)))
        && (!e.field || l.includes(`${e.field}: `))
        && (!e.message || l.includes(e.message));
      if (!lines.some(want)) f.push(`CLI: no line of \`modelreg check\` reports [${e.rule}] for ${e.file ?? '(any file)'}${e.field ? ` field ${e.field}` : ''}${e.message ? ` saying "${e.message}"` : ''}; output ${show(r.stdout, 1500)}`);
    }
    for (const file of e.clean ?? []) {
      const bad = lines.filter((l) => /^\s+error\s/.test(l) && l.includes(file));
      if (bad.length) f.push(`CLI: ${file} should have no error, but: ${bad.join(' | ')}`);
    }
  } else {
    if (e.message && !all.includes(e.message)) f.push(`CLI: the message does not say "${e.message}": ${show(all)}`);
    if (e.file && !printableParts(e.file).every((p) => all.includes(p))) f.push(`CLI: the message does not name the file ${e.file}: ${show(all)}`);
    if (e.field && !all.includes(e.field)) f.push(`CLI: the message does not name the field ${e.field}: ${show(all)}`);
  }
  return f;
}

function matchProblem(e: Case['expect'], p: Issue): boolean {
  return p.rule === e.rule && p.severity === (e.severity ?? 'error')
    && (!e.file || p.file === e.file) && (!e.field || p.field === e.field) && (!e.message || p.message.includes(e.message));
}

/**
 * The library part: check() problems, or the RegistryError code, and the same limits. In
 * process (the TypeScript sources), or isolated in a worker thread (the build) whose heap is
 * its own, so its growth can be measured while other cases run, and which can be stopped.
 */
async function libraryPart(c: Case, built: Built, isolated: boolean): Promise<string[]> {
  const e = c.expect;
  const op = c.target === 'check' ? 'check' : c.library!.op;
  const input = c.target === 'check' ? {} : c.library!.input;
  const heapLimit = c.limits?.heapMB ?? 100;
  const hardLimit = 96 + heapLimit;
  const { out: o, changes } = await guarded<LibOutcome>(built, (b) => (isolated
    ? runLibraryIsolated(op, input, b.dir, b.home, timeoutOf(c) + WORKER_STARTUP_MS, hardLimit)
    : runLibraryInProcess(op, input, b.dir, b.home)));
  const who = isolated ? 'library (worker)' : 'library';
  const f = changes.map((x) => `${who}: ${x}`);
  const call = `${op}(${show(JSON.stringify(input), 200)})`;
  if (o.kind === 'timeout') return [...f, `${who}: ${call} did not finish within ${(timeoutOf(c) + WORKER_STARTUP_MS) / 1000}s (worker terminated)`];
  if (o.kind === 'out-of-memory') return [...f, `${who}: ${call} ran out of a ${hardLimit} MB heap: ${o.message}`];
  if (c.limits?.seconds && o.ms > c.limits.seconds * 1000) f.push(`${who}: took ${o.ms} ms; the limit is ${c.limits.seconds} s`);
  if (isolated && c.limits?.heapMB && o.heapMB !== undefined && o.heapMB > c.limits.heapMB) f.push(`${who}: the heap grew by ${o.heapMB.toFixed(0)} MB; the limit is ${c.limits.heapMB} MB`);
  const text = o.kind === 'ok' ? JSON.stringify(o.result, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v)) ?? '' : `${o.error.message} ${JSON.stringify(o.error.data ?? {})}`;
  if (text.includes(SECRET)) f.push(`${who}: the result holds content of a file outside the repository`);

  if (c.target === 'check') {
    if (o.kind !== 'ok') return [...f, `${who}: check() threw instead of returning problems: ${o.error.code ?? o.error.name}: ${o.error.message}\n${o.error.stack ?? ''}`];
    const r = o.result as { ok: boolean; problems: Issue[] };
    const wantOk = exits(e).includes(0);
    if (r.ok !== wantOk) f.push(`${who}: check().ok is ${r.ok}, expected ${wantOk}; problems ${show(JSON.stringify(r.problems), 1500)}`);
    if (e.rule && !r.problems.some((p) => matchProblem(e, p))) {
      f.push(`${who}: no problem with rule ${e.rule}${e.file ? `, file ${e.file}` : ''}${e.field ? `, field ${e.field}` : ''}${e.message ? `, message containing "${e.message}"` : ''}; problems ${show(JSON.stringify(r.problems), 1500)}`);
    }
    for (const file of e.clean ?? []) {
      const bad = r.problems.filter((p) => p.severity === 'error' && p.file === file);
      if (bad.length) f.push(`${who}: ${file} should have no error, but: ${JSON.stringify(bad)}`);
    }
    return f;
  }

  if (exits(e).includes(0) && codes(e).length === 0) {
    if (o.kind !== 'ok') f.push(`${who}: ${call} threw ${o.error.code ?? o.error.name}: ${o.error.message}`);
    return f;
  }
  let code: string | undefined;
  let message: string;
  if (o.kind === 'ok') {
    const res = o.result as { allowed?: boolean } | undefined;
    if (res && res.allowed === false) {
      code = 'DENIED';
      message = text;
    } else {
      return [...f, `${who}: ${call} succeeded (${show(text, 400)}); expected ${codes(e).join(' or ')}`];
    }
  } else {
    if (!o.registryError) return [...f, `${who}: ${call} threw a plain ${o.error.name ?? 'error'} (not a RegistryError): ${o.error.message}\n${o.error.stack ?? ''}`];
    code = o.error.code;
    message = o.error.message;
  }
  if (!codes(e).includes(code!)) f.push(`${who}: ${call} gave ${code}, expected ${codes(e).join(' or ')}: ${show(message)}`);
  else if (!exits(e).includes(EXIT_CODES[code as ErrorCode])) f.push(`${who}: code ${code} maps to exit ${EXIT_CODES[code as ErrorCode]}, expected ${exits(e).join(' or ')}`);
  if (e.message && !message.includes(e.message)) f.push(`${who}: the message does not say "${e.message}": ${show(message)}`);
  if (e.file && !message.includes(e.file)) f.push(`${who}: the message does not name the file ${e.file}: ${show(message)}`);
  if (e.field && !message.includes(e.field)) f.push(`${who}: the message does not name the field ${e.field}: ${show(message)}`);
  return f;
}

class CaseFailed extends Error {
  constructor(file: string, c: Case, failures: string[]) {
    super(`${file}: ${c.description}\n${failures.map((x) => `  - ${x}`).join('\n')}`);
    this.name = 'CaseFailed';
  }
}

// Cases run concurrently (each in its own folders; the CLI and the worker are other threads
// or processes); heap growth is measured only in worker threads, whose heap is their own.
describe.concurrent(`hostile-input corpus (${files.length} cases)`, () => {
  for (const file of files) {
    test(file, async () => {
      const c = expandCase(loadCase(file));
      const built = await buildRepo(c);
      const parts: Array<Promise<string[]>> = [];
      if (!c.cliUnsupported) parts.push(cliPart(c, built));
      // A case that may hang runs its library part only in a worker, which can be stopped.
      if (!c.isolate) parts.push(libraryPart(c, built, false));
      if (c.isolate || c.limits?.heapMB) parts.push(libraryPart(c, built, true));
      const failures = (await Promise.all(parts)).flat();
      if (failures.length) throw new CaseFailed(file, c, failures);
      expect(failures).toEqual([]);
    }, 180_000);
  }
});
