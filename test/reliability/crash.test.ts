/**
 * Crashes and refusals of the file system.
 *
 * 1. Fault injection: a `register` is killed with SIGKILL at each point of a write
 *    (MODELREG_FAULT_AT: lock-acquired, objects-written, ref-locked, ref-updated,
 *    worktree-partial, index-locked) and, in the long run, from outside after a random delay
 *    or just after its lock appears. After each kill: `git fsck --strict` is clean (dangling
 *    objects allowed), HEAD is the commit before or the new one (exactly which one the fault
 *    point fixes), the next `register` succeeds on top of it (the dead writer's lock is cleared),
 *    and the working tree and index agree with HEAD, or `modelreg doctor` repairs them.
 * 2. A live writer's lock is never removed: a lock held by this test process, and one held by a
 *    separate writer process stopped with SIGSTOP, make a second writer wait and time out with
 *    LOCKED (exit 3) — through the library with a short `lockTimeoutMs`, through the CLI (which
 *    waits its fixed 60 s) in the long run — and `doctor` leaves them alone.
 * 3. A read-only repository and a full disk give a clear error (exit 2, "read-only" or "the disk
 *    is full") and leave the repository as it was. As root, chmod does not stop a write, so the
 *    suite uses a read-only bind mount and a small tmpfs instead (each probed first; a technique
 *    that is not available is skipped and said so); as another user, chmod a-w.
 *
 * Sizes: 10 fault trials by default, 100 with MODELREG_LONG=1 (npm run test:long).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, truncate, writeFile, open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADA, BOB, homeDir, tempDir } from '../helpers/repo.js';
import {
  LONG, SEED, SIZES, cliEnv, packageRoot, useBuildSnapshot, fsck, gitA, isRoot, logOf, reportFigures, rng, run, runCli, sleep, startCli, statusOf, type RunResult,
} from './util.js';

const POINTS = ['lock-acquired', 'objects-written', 'ref-locked', 'ref-updated', 'worktree-partial', 'index-locked'] as const;
type Point = (typeof POINTS)[number];
type Kind = Point | 'external-delay' | 'external-after-lock';
/**
 * Where the branch must be after a kill at each point. index.lock may be prepared before the
 * commit point (so a full disk fails with nothing changed) or after it; either is sound.
 */
const AFTER: Record<Point, 'old' | 'new' | 'either'> = {
  'lock-acquired': 'old', 'objects-written': 'old', 'ref-locked': 'old',
  'ref-updated': 'new', 'worktree-partial': 'new', 'index-locked': 'either',
};

let home: string;
const env = (extra: Record<string, string | undefined> = {}) => cliEnv(home, ADA, extra);

async function newRegistry(prefix: string): Promise<string> {
  const parent = await tempDir(prefix);
  const dir = join(parent, 'registry');
  const r = await runCli(['init', dir], { cwd: parent, env: env() });
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

async function head(dir: string): Promise<string> {
  return (await gitA(dir, ['rev-parse', 'main'])).trim();
}

async function gitFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, '.git'))).filter((n) => n.endsWith('.lock') || n.includes('takeover'));
}

async function lockFiles(dir: string): Promise<string[]> {
  const out = await gitFiles(dir);
  for (const n of await readdir(join(dir, '.git', 'refs', 'heads')).catch(() => [])) if (n.endsWith('.lock')) out.push(`refs/heads/${n}`);
  return out;
}

/** Every file of the repository: content hashes outside .git/objects, names inside it. */
async function snapshot(dir: string): Promise<{ files: Map<string, string>; objects: Set<string> }> {
  const files = new Map<string, string>();
  const objects = new Set<string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isDirectory()) { await walk(p); continue; }
      if (rel.startsWith(`.git/objects/`)) objects.add(rel);
      else files.set(rel, createHash('sha1').update(await readFile(p)).digest('hex'));
    }
  };
  await walk(dir);
  return { files, objects };
}

/** What changed between two snapshots, ignoring objects added (dangling objects are harmless). */
function changes(a: Awaited<ReturnType<typeof snapshot>>, b: Awaited<ReturnType<typeof snapshot>>): string[] {
  const out: string[] = [];
  for (const [k, v] of a.files) if (!b.files.has(k)) out.push(`removed ${k}`); else if (b.files.get(k) !== v) out.push(`changed ${k}`);
  for (const k of b.files.keys()) if (!a.files.has(k)) out.push(`added ${k}`);
  for (const k of a.objects) if (!b.objects.has(k)) out.push(`removed ${k}`);
  return out;
}

describe('crash and file-system failure suite', () => {
  beforeAll(async () => {
    await useBuildSnapshot();
    home = await homeDir();
  });

  // ------------------------------------------------------------------ 1. fault injection

  it(`a write killed at any point leaves the old or the new commit, and the next write succeeds (${SIZES.crash.trials} trials)`, async () => {
    const dir = await newRegistry('modelreg-crash-');
    const random = rng(SEED);
    const first = await runCli(['register', 'churn', '--artifact', 's3://crash/seed', '--json'], { cwd: dir, env: env() });
    expect(first.code, first.stderr).toBe(0);

    // How long a register takes here, to aim the outside kills at the write itself.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['register', 'churn', '--artifact', `s3://crash/calibrate-${i}`, '--json'], { cwd: dir, env: env() });
      expect(r.code, r.stderr).toBe(0);
      times.push(r.ms);
    }
    const typical = times.sort((a, b) => a - b)[1];

    const kinds: Kind[] = [];
    for (let i = 0; i < SIZES.crash.trials; i++) {
      if (!LONG || i < POINTS.length * 5) kinds.push(POINTS[i % POINTS.length]);
      else {
        const r = random();
        kinds.push(r < 0.25 ? 'external-delay' : r < 0.5 ? 'external-after-lock' : POINTS[Math.floor(random() * POINTS.length)]);
      }
    }

    interface Row { trial: number; kind: Kind; killed: boolean; exit: number | null; head: 'old' | 'new' | 'other'; lockLeft: boolean; nextMs: number; repairedBy: 'next write' | 'doctor first' | 'doctor after the next write' | 'none needed'; problems: string[] }
    const rows: Row[] = [];
    let expectedRegistrations = 4; // the seed and the three calibration runs

    for (const [trial, kind] of kinds.entries()) {
      const problems: string[] = [];
      const before = await head(dir);
      // Odd trials create a new model (two files: a crash can land between them), even ones add a version.
      const model = trial % 2 ? `crash-${trial}` : 'churn';
      const args = ['register', model, '--artifact', `s3://crash/${trial}`, '--json'];
      const external = kind.startsWith('external');
      const running = startCli(args, { cwd: dir, env: env(external ? {} : { MODELREG_FAULT_AT: kind }) });
      if (kind === 'external-delay') {
        await sleep(typical * (0.4 + 0.65 * random()));
        running.child.kill('SIGKILL');
      } else if (kind === 'external-after-lock') {
        const lock = join(dir, '.git', 'modelreg.lock');
        const deadline = Date.now() + typical * 3;
        while (!existsSync(lock) && running.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        await sleep(random() * 25);
        running.child.kill('SIGKILL');
      }
      const res = await running.done;
      const killed = res.signal === 'SIGKILL';
      if (!external && !killed) problems.push(`not killed at ${kind}: exit ${res.code}, signal ${res.signal}: ${res.stderr.trim()}`);
      if (!killed && res.code !== 0) problems.push(`finished on its own with exit ${res.code}: ${res.stderr.trim()}`);

      const after = await head(dir);
      let where: Row['head'] = 'other';
      if (after === before) where = 'old';
      else {
        const [c] = await logOf([], dir, after, ['-1']);
        if (c.parents.length === 1 && c.parents[0] === before && c.trailers['Modelreg-Action'] === 'register' && c.trailers['Modelreg-Model'] === model) where = 'new';
      }
      if (where === 'other') problems.push(`HEAD ${after.slice(0, 12)} is neither the old commit ${before.slice(0, 12)} nor a register of ${model} on top of it`);
      if (!external && AFTER[kind as Point] !== 'either' && where !== AFTER[kind as Point]) problems.push(`killed at ${kind}: HEAD is the ${where} commit, expected the ${AFTER[kind as Point]} one`);
      if (!killed && where !== 'new') problems.push('finished, but HEAD did not move');
      if (where === 'new') expectedRegistrations++;

      const f = await fsck(dir, [], true);
      if (f.code !== 0 || f.output !== '') problems.push(`git fsck --strict --no-dangling: ${f.output || `exit ${f.code}`}`);
      const lockLeft = existsSync(join(dir, '.git', 'modelreg.lock'));

      // In the long run every third trial lets `doctor` clear the dead writer's lock and repair first.
      let doctorFirst = false;
      if (LONG && trial % 3 === 2) {
        doctorFirst = true;
        const doc = await runCli(['doctor', '--json'], { cwd: dir, env: env() });
        if (doc.code !== 0) problems.push(`doctor (first) failed with exit ${doc.code}: ${doc.stderr.trim()}`);
        const st0 = await statusOf(dir);
        if (st0 !== '') problems.push(`after doctor (first), git status --porcelain: ${st0.replace(/\n/g, '; ')}`);
        if (existsSync(join(dir, '.git', 'modelreg.lock'))) problems.push('doctor left the dead writer\'s lock');
      }
      // The next write clears the dead writer's lock and lands on top of whatever HEAD is now.
      const next = await runCli(['register', 'churn', '--artifact', `s3://crash/${trial}-next`, '--json'], { cwd: dir, env: env() });
      if (next.code !== 0) problems.push(`the next register failed with exit ${next.code}: ${next.stderr.trim()}`);
      else {
        expectedRegistrations++;
        const out = JSON.parse(next.stdout) as { commit: string };
        const [c] = await logOf([], dir, out.commit, ['-1']);
        if (c.parents[0] !== after) problems.push(`the next register's commit has parent ${c.parents[0]?.slice(0, 12)}, not HEAD ${after.slice(0, 12)}`);
        if ((await head(dir)) !== out.commit) problems.push('the next register did not move the branch');
      }
      let repairedBy: Row['repairedBy'] = where === 'new' && killed ? (doctorFirst ? 'doctor first' : 'next write') : 'none needed';
      let st = await statusOf(dir);
      if (st !== '') {
        repairedBy = 'doctor after the next write';
        const doc = await runCli(['doctor', '--json'], { cwd: dir, env: env() });
        if (doc.code !== 0) problems.push(`doctor failed with exit ${doc.code}: ${doc.stderr.trim()}`);
        st = await statusOf(dir);
        if (st !== '') problems.push(`git status --porcelain after doctor: ${st.replace(/\n/g, '; ')}`);
      }
      const left = await lockFiles(dir);
      if (left.length) problems.push(`lock files left after the next write: ${left.join(', ')}`);
      rows.push({ trial, kind, killed, exit: res.code, head: where, lockLeft, nextMs: Math.round(next.ms), repairedBy, problems });
    }

    // The whole history: linear, every registration once, the registry valid.
    const history = await logOf([], dir, 'main');
    const regs = history.filter((c) => c.trailers['Modelreg-Action'] === 'register').map((c) => `${c.trailers['Modelreg-Model']}@${c.trailers['Modelreg-Version']}`);
    const final: string[] = [];
    if (regs.length !== expectedRegistrations) final.push(`${regs.length} registrations in the history, expected ${expectedRegistrations}`);
    if (new Set(regs).size !== regs.length) final.push('a version was registered twice');
    if (history.some((c) => c.parents.length > 1)) final.push('merge commits in the history');
    const check = await runCli(['check', '--json'], { cwd: dir, env: env() });
    if (check.code !== 0) final.push(`modelreg check exit ${check.code}: ${check.stdout.slice(0, 500)}`);

    const count = (pred: (r: Row) => boolean) => rows.filter(pred).length;
    const byKind = Object.fromEntries([...new Set(kinds)].map((k) => [k, { trials: count((r) => r.kind === k), killed: count((r) => r.kind === k && r.killed), oldHead: count((r) => r.kind === k && r.head === 'old'), newHead: count((r) => r.kind === k && r.head === 'new') }]));
    await reportFigures('crash-faults', {
      trials: rows.length, killed: count((r) => r.killed), finishedBeforeKill: count((r) => !r.killed), oldHead: count((r) => r.head === 'old'), newHead: count((r) => r.head === 'new'),
      locksLeftByKilledWriters: count((r) => r.lockLeft), repairedByNextWrite: count((r) => r.repairedBy === 'next write'), repairedByDoctorFirst: count((r) => r.repairedBy === 'doctor first'), neededDoctorAfterNextWrite: count((r) => r.repairedBy === 'doctor after the next write'),
      slowestNextWriteMs: Math.max(...rows.map((r) => r.nextMs)), registrations: regs.length, byKind,
      problems: [...rows.flatMap((r) => r.problems.map((p) => `trial ${r.trial} (${r.kind}): ${p}`)), ...final],
    });
    expect(rows.flatMap((r) => r.problems.map((p) => `trial ${r.trial} (${r.kind}): ${p}`))).toEqual([]);
    expect(final).toEqual([]);
    expect(count((r) => r.killed)).toBeGreaterThan(0);
  }, LONG ? 1_800_000 : 120_000);

  it(`a writer killed while others wait for its lock: they clear it once, all commit, nothing is lost (${LONG ? 20 : 3} rounds)`, async () => {
    const dir = await newRegistry('modelreg-crash-contention-');
    const random = rng(SEED + 1);
    const seed = await runCli(['register', 'churn', '--artifact', 's3://contention/seed', '--json'], { cwd: dir, env: env() });
    expect(seed.code, seed.stderr).toBe(0);
    const rounds = LONG ? 20 : 3;
    const waiters = 3;
    const problems: string[] = [];
    let killed = 0;
    let landed = 0;
    let commits = 0;
    const points: Point[] = [];
    for (let round = 0; round < rounds; round++) {
      // By default one kill before the ref update and two after it; random points in the long run.
      const point: Point = LONG ? POINTS[Math.floor(random() * POINTS.length)] : (['lock-acquired', 'ref-updated', 'worktree-partial'] as const)[round % 3];
      points.push(point);
      const before = await head(dir);
      const faulty = startCli(['register', 'churn', '--artifact', `s3://contention/${round}-faulty`, '--json'], { cwd: dir, env: env({ MODELREG_FAULT_AT: point }) });
      // The waiters start once the faulty writer holds the lock, so they find it (live, then dead).
      const lockPath = join(dir, '.git', 'modelreg.lock');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const owner = await readFile(lockPath, 'utf8').then((t) => { try { return JSON.parse(t).pid as number; } catch { return undefined; } }, () => undefined);
        if (owner === faulty.child.pid || faulty.child.exitCode !== null || faulty.child.signalCode !== null || Date.now() > deadline) break;
        await new Promise((r) => setImmediate(r));
      }
      const others = Array.from({ length: waiters }, (_, i) => startCli(['register', i % 2 ? 'fraud' : 'churn', '--artifact', `s3://contention/${round}-${i}`, '--json'], { cwd: dir, env: cliEnv(home, BOB) }));
      const f = await faulty.done;
      const rs = await Promise.all(others.map((o) => o.done));
      if (f.signal === 'SIGKILL') killed++;
      else problems.push(`round ${round}: the faulty writer (${point}) was not killed: exit ${f.code}`);
      const oks = rs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout) as { commit: string; version: string; model: string });
      for (const r of rs) if (r.code !== 0) problems.push(`round ${round} (${point}): a waiting writer failed with exit ${r.code}: ${r.stderr.trim()}`);
      const newCommits = await logOf([], dir, `${before}..main`);
      const faultyLanded = newCommits.filter((c) => !oks.some((o) => o.commit === c.commit));
      landed += faultyLanded.length;
      commits += oks.length;
      if (faultyLanded.length > (AFTER[point] === 'old' ? 0 : 1)) problems.push(`round ${round} (${point}): ${faultyLanded.length} commits nobody reported`);
      if (AFTER[point] === 'new' && f.signal === 'SIGKILL' && faultyLanded.length !== 1) problems.push(`round ${round} (${point}): the faulty writer's commit is not on the branch`);
      for (const o of oks) if (newCommits.filter((c) => c.commit === o.commit).length !== 1) problems.push(`round ${round}: ${o.model} ${o.version} (${o.commit.slice(0, 12)}) is not on the branch exactly once`);
      if (newCommits.some((c) => c.parents.length !== 1)) problems.push(`round ${round}: a merge or root commit`);
      const fk = await fsck(dir, [], true);
      if (fk.code !== 0 || fk.output) problems.push(`round ${round}: git fsck: ${fk.output}`);
      const st = await statusOf(dir);
      if (st) problems.push(`round ${round} (${point}): git status --porcelain: ${st.replace(/\n/g, '; ')}`);
      const left = await lockFiles(dir);
      if (left.length) problems.push(`round ${round} (${point}): lock files left: ${left.join(', ')}`);
    }
    const regs = (await logOf([], dir, 'main')).filter((c) => c.trailers['Modelreg-Action'] === 'register').map((c) => `${c.trailers['Modelreg-Model']}@${c.trailers['Modelreg-Version']}`);
    if (new Set(regs).size !== regs.length) problems.push('a version was registered twice');
    await reportFigures('crash-contention', { rounds, waitersPerRound: waiters, points: Object.fromEntries(POINTS.map((p) => [p, points.filter((x) => x === p).length])), killed, waitingWritersCommitted: commits, killedWritersCommitsOnBranch: landed, problems });
    expect(problems).toEqual([]);
  }, LONG ? 600_000 : 60_000);

  // ------------------------------------------------------------------ 2. a live writer's lock is never removed

  describe('a live writer\'s lock', () => {
    let dir: string;
    let holder: ChildProcess | undefined;
    let holderLock = '';

    beforeAll(async () => {
      dir = await newRegistry('modelreg-livelock-');
    });

    afterAll(async () => {
      if (holder && holder.exitCode === null) { holder.kill('SIGCONT'); holder.kill('SIGKILL'); }
    });

    it('held by this (live) process: a second writer times out with LOCKED (exit 3) and leaves the lock', async () => {
      const lockPath = join(dir, '.git', 'modelreg.lock');
      const mine = JSON.stringify({ pid: process.pid, host: hostname(), token: 'test-process', ref: 'refs/heads/main', at: new Date().toISOString() });
      await writeFile(lockPath, mine);
      const before = await head(dir);
      try {
        const { openRegistry, RegistryError } = await import('../../src/index.js');
        const reg = await openRegistry({ dir, lockTimeoutMs: 1200, env: env(), identity: { name: BOB.name, email: BOB.email } });
        const t0 = Date.now();
        const err = await reg.register({ model: 'churn', artifact: 's3://live/1' }).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryError);
        const e = err as InstanceType<typeof RegistryError>;
        expect(e.code).toBe('LOCKED');
        expect(e.exitCode).toBe(3);
        expect(e.message).toContain(`process ${process.pid}`);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);
        expect(await readFile(lockPath, 'utf8')).toBe(mine);
        expect(await head(dir)).toBe(before);
      } finally {
        await rm(lockPath, { force: true });
      }
    });

    it('held by a writer process stopped with SIGSTOP: the library, the CLI and doctor wait and never take it', async () => {
      const lockPath = join(dir, '.git', 'modelreg.lock');
      const lockModule = pathToFileURL(join(packageRoot(), 'dist', 'storage', 'lock.js')).href;
      const script = `
        const { acquireLock } = await import(${JSON.stringify(lockModule)});
        const lock = await acquireLock(${JSON.stringify(join(dir, '.git'))}, { ref: 'refs/heads/main' });
        process.stdout.write('locked\\n');
        process.kill(process.pid, 'SIGSTOP');
        await lock.release();
        process.stdout.write('released\\n');`;
      holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      holder.stdout!.setEncoding('utf8').on('data', (d) => { said += d; });
      const exited = new Promise<number | null>((r) => holder!.on('close', (c) => r(c)));
      for (let i = 0; i < 500 && !said.includes('locked'); i++) await sleep(10);
      expect(said).toContain('locked');
      // Stopped (state T) and alive.
      for (let i = 0; i < 100; i++) {
        const st = (await readFile(`/proc/${holder.pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.[0];
        if (st === 'T' || st === undefined) break;
        await sleep(10);
      }
      holderLock = await readFile(lockPath, 'utf8');
      expect(JSON.parse(holderLock).pid).toBe(holder.pid);
      const before = await head(dir);

      // The library, with a short timeout: LOCKED, exit 3, the lock untouched.
      const { openRegistry, RegistryError } = await import('../../src/index.js');
      const reg = await openRegistry({ dir, lockTimeoutMs: 1500, env: env(), identity: { name: BOB.name, email: BOB.email } });
      const err = await reg.register({ model: 'churn', artifact: 's3://live/2' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as InstanceType<typeof RegistryError>).code).toBe('LOCKED');
      expect((err as InstanceType<typeof RegistryError>).exitCode).toBe(3);
      expect(await readFile(lockPath, 'utf8')).toBe(holderLock);

      // doctor: does not remove it; gives up on its own 5 s lock wait with exit 3.
      const doc = await runCli(['doctor', '--json'], { cwd: dir, env: env() });
      expect(doc.code, doc.stderr).toBe(3);
      expect(doc.stderr).toMatch(/locked/i);
      expect(await readFile(lockPath, 'utf8')).toBe(holderLock);

      // The CLI (60 s lock wait, not configurable from the command line): still waiting after 3 s.
      const cli = startCli(['register', 'churn', '--artifact', 's3://live/3', '--json'], { cwd: dir, env: env() });
      let cliResult: RunResult | undefined;
      if (LONG) {
        cliResult = await cli.done;
        expect(cliResult.code, cliResult.stderr).toBe(3);
        expect(cliResult.stderr).toMatch(/locked by process \d+/i);
        expect(cliResult.ms).toBeGreaterThanOrEqual(59_000);
        expect(await readFile(lockPath, 'utf8')).toBe(holderLock);
      } else {
        await sleep(3000);
        expect(cli.child.exitCode, 'the CLI writer is still waiting').toBe(null);
        expect(await readFile(lockPath, 'utf8')).toBe(holderLock);
      }
      expect(await head(dir)).toBe(before);

      // Let the holder go: it releases its lock, and a waiting CLI writer gets it.
      holder.kill('SIGCONT');
      expect(await exited).toBe(0);
      expect(said).toContain('released');
      if (!LONG) {
        cliResult = await cli.done;
        expect(cliResult.code, cliResult.stderr).toBe(0);
        expect(JSON.parse(cliResult.stdout).commit).toBe(await head(dir));
      }
      expect(existsSync(lockPath)).toBe(false);
      expect(await statusOf(dir)).toBe('');
      await reportFigures('crash-livelock', { holderPid: holder.pid, libraryTimeout: 'LOCKED exit 3', doctor: `exit ${doc.code}`, cli: LONG ? `exit ${cliResult?.code} after ${Math.round((cliResult?.ms ?? 0) / 1000)} s` : 'waited 3 s without taking the lock, then succeeded after the holder released it' });
    }, LONG ? 180_000 : 60_000);
  });

  // ------------------------------------------------------------------ 3. read-only repository, full disk

  describe('a read-only repository or a full disk', () => {
    const mounts: string[] = [];
    const figures: Record<string, unknown> = {};

    async function mount(args: string[]): Promise<boolean> {
      const r = await run('mount', args);
      return r.code === 0;
    }
    async function unmount(target: string): Promise<void> {
      const r = await run('umount', [target]);
      if (r.code !== 0) await run('umount', ['-l', target]);
      const i = mounts.indexOf(target);
      if (i >= 0) mounts.splice(i, 1);
    }
    /** A read-only view of `source` at `target` (bind mount, then remount read-only). */
    async function readOnlyBind(source: string, target: string): Promise<boolean> {
      if (!(await mount(['--bind', source, target]))) return false;
      mounts.push(target);
      if (!(await mount(['-o', 'remount,bind,ro', target]))) { await unmount(target); return false; }
      return true;
    }

    afterAll(async () => {
      for (const m of [...mounts].reverse()) await unmount(m);
      await reportFigures('crash-readonly-full', figures);
    });

    /** Runs a register that the file system must refuse; returns what went wrong (empty when all is well). */
    async function refusedAndUnchanged(dir: string, runIn: string, label: string, message: RegExp): Promise<string[]> {
      const problems: string[] = [];
      const before = await snapshot(dir);
      const h = await head(dir);
      const r = await runCli(['register', 'churn', '--artifact', `s3://ro/${label.replace(/\W+/g, '-')}`, '--json'], { cwd: runIn, env: env() });
      if (r.code !== 2) problems.push(`${label}: exit ${r.code}, expected 2`);
      if (!message.test(r.stderr)) problems.push(`${label}: the message does not say the repository is read-only: ${r.stderr.trim()}`);
      if (/unexpected error|bug in modelreg/i.test(r.stderr)) problems.push(`${label}: reported as a bug: ${r.stderr.trim().split('\n')[0]}`);
      let parsed: { error?: { code?: string } } | undefined;
      try { parsed = JSON.parse(r.stdout); } catch { parsed = undefined; }
      if (!parsed?.error?.code) problems.push(`${label}: with --json, stdout holds no JSON error (stdout: ${JSON.stringify(r.stdout.slice(0, 80))})`);
      const diff = changes(before, await snapshot(dir));
      if (diff.length) problems.push(`${label}: the repository changed: ${diff.join(', ')}`);
      if ((await head(dir)) !== h) problems.push(`${label}: the branch moved`);
      figures[label] = { exit: r.code, message: r.stderr.trim(), problems };
      return problems;
    }

    it('maps ENOSPC, EDQUOT, EROFS, EACCES and EPERM to exit 2 with a clear message (library level)', async () => {
      const { handleError } = await import('../../src/cli/errors.js');
      const { RegistryError } = await import('../../src/errors/index.js');
      const writes: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { writes.push(String(s)); return true; });
      try {
        const errno = (code: string) => Object.assign(new Error(`${code}: failed, open '/x/.git/objects/ab/tmp'`), { code, path: '/x/.git/objects/ab/tmp' });
        for (const [code, want] of [['ENOSPC', /disk is full/], ['EDQUOT', /disk is full/], ['EROFS', /read-only/], ['EACCES', /read-only|permission/], ['EPERM', /read-only|permission/]] as const) {
          writes.length = 0;
          expect(await handleError(errno(code), { json: false, debug: false }), code).toBe(2);
          expect(writes.join(''), code).toMatch(want);
        }
        writes.length = 0;
        expect(await handleError(new RegistryError('IO', 'the repository is read-only'), { json: false, debug: false })).toBe(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('a read-only repository: exit 2, "read-only", nothing changed', async () => {
      const dir = await newRegistry('modelreg-ro-');
      const seed = await runCli(['register', 'churn', '--artifact', 's3://ro/seed', '--json'], { cwd: dir, env: env() });
      expect(seed.code, seed.stderr).toBe(0);
      const problems: string[] = [];
      const objects = join(dir, '.git', 'objects');
      let cases = 0;
      if (!isRoot) {
        // chmod works for an ordinary user.
        await run('chmod', ['-R', 'a-w', join(dir, '.git')]);
        try { problems.push(...(await refusedAndUnchanged(dir, dir, 'chmod -R a-w .git', /read-only/i))); cases++; } finally { await run('chmod', ['-R', 'u+w', join(dir, '.git')]); }
        await run('chmod', ['-R', 'a-w', objects]);
        try { problems.push(...(await refusedAndUnchanged(dir, dir, 'chmod -R a-w .git/objects', /read-only/i))); cases++; } finally { await run('chmod', ['-R', 'u+w', objects]); }
      } else {
        // Root writes through chmod. A read-only bind mount (EROFS) and the immutable attribute (EPERM) stop root too.
        const view = join(dir, '..', 'ro-view');
        await mkdir(view);
        if (await readOnlyBind(dir, view)) {
          const probe = await writeFile(join(view, '.git', 'probe'), 'x').then(() => 'written', (e: NodeJS.ErrnoException) => e.code);
          expect(probe, 'the read-only view refuses a write').toBe('EROFS');
          try { problems.push(...(await refusedAndUnchanged(dir, view, 'read-only mount of the whole repository', /read-only/i))); cases++; } finally { await unmount(view); }
          // Only the object database read-only: the lock is taken, then the object write fails.
          if (await readOnlyBind(objects, objects)) {
            // Twice: the first object may land in a fan-out folder (objects/xx) that exists or in one that must be created.
            try {
              problems.push(...(await refusedAndUnchanged(dir, dir, 'read-only mount of .git/objects', /read-only/i)));
              problems.push(...(await refusedAndUnchanged(dir, dir, 'read-only mount of .git/objects (again)', /read-only/i)));
              cases++;
            } finally { await unmount(objects); }
          }
        }
        if ((await run('chattr', ['+i', objects]).catch(() => ({ code: 1 }))).code === 0) {
          const probe = await mkdir(join(objects, 'zz')).then(() => 'written', (e: NodeJS.ErrnoException) => e.code);
          try {
            if (probe === 'EPERM') { problems.push(...(await refusedAndUnchanged(dir, dir, 'chattr +i .git/objects (immutable)', /read-only/i))); cases++; }
          } finally { await run('chattr', ['-i', objects]); await rm(join(objects, 'zz'), { recursive: true, force: true }); }
        }
        if (cases === 0) {
          figures['read-only'] = 'skipped: running as root, and neither bind mounts nor chattr are permitted here, so no read-only repository can be made; the mapping is tested at library level';
          console.warn(`[reliability] ${figures['read-only']}`);
          return;
        }
      }
      // Writable again: the next write succeeds and the repository is sound.
      const next = await runCli(['register', 'churn', '--artifact', 's3://ro/after', '--json'], { cwd: dir, env: env() });
      if (next.code !== 0) problems.push(`writable again, the next register failed: exit ${next.code}: ${next.stderr.trim()}`);
      const f = await fsck(dir, [], true);
      if (f.code !== 0 || f.output) problems.push(`git fsck --strict --no-dangling: ${f.output}`);
      const st = await statusOf(dir);
      if (st) problems.push(`git status --porcelain: ${st}`);
      expect(cases).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    }, 60_000);

    it('a full disk at every point of a write: exit 2, "the disk is full", nothing changed — or a clean success', async () => {
      if (!isRoot) {
        figures['full-disk'] = 'skipped: mounting a small tmpfs needs root';
        console.warn(`[reliability] ${figures['full-disk']}`);
        return;
      }
      const mnt = await tempDir('modelreg-fulldisk-');
      if (!(await mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]))) {
        figures['full-disk'] = 'skipped: tmpfs cannot be mounted here';
        console.warn(`[reliability] ${figures['full-disk']}`);
        return;
      }
      mounts.push(mnt);
      const template = await newRegistry('modelreg-fulldisk-template-');
      const seed = await runCli(['register', 'churn', '--artifact', 's3://full/seed', '--json'], { cwd: template, env: env() });
      expect(seed.code, seed.stderr).toBe(0);

      interface Step { freePages: number; exit: number | null; outcome: string; problems: string[] }
      const steps: Step[] = [];
      try {
        // Free space from 0 pages up, one 4 KiB page at a time, until the write fits.
        for (let pages = 0; pages <= 40; pages++) {
          const dir = join(mnt, `repo-${pages}`);
          await cp(template, dir, { recursive: true });
          const before = await snapshot(dir);
          const h = await head(dir);
          const filler = join(mnt, 'filler');
          const fh = await open(filler, 'w');
          try {
            for (const block of [Buffer.alloc(256 * 1024), Buffer.alloc(4096)]) {
              try { for (;;) await fh.write(block); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e; }
            }
          } finally { await fh.close(); }
          const size = (await stat(filler)).size;
          await truncate(filler, Math.max(0, size - pages * 4096));
          const r = await runCli(['register', 'churn', '--artifact', `s3://full/${pages}`, '--json'], { cwd: dir, env: env() });
          const problems: string[] = [];
          const after = await snapshot(dir);
          const moved = (await head(dir)) !== h;
          await rm(filler);
          let outcome: string;
          if (r.code === 0) {
            outcome = 'committed';
            if (!moved) problems.push('exit 0 but the branch did not move');
            const st = await statusOf(dir);
            if (st !== '') problems.push(`exit 0 but git status --porcelain: ${st.replace(/\n/g, '; ')}`);
          } else {
            outcome = `exit ${r.code}`;
            if (r.code !== 2) problems.push(`exit ${r.code}, expected 2: ${r.stderr.trim()}`);
            if (!/disk is full|no space/i.test(r.stderr)) problems.push(`message does not say the disk is full: ${r.stderr.trim()}`);
            // --json promises machine-readable output: the error too, as for every other failure.
            let parsed: { error?: { code?: string } } | undefined;
            try { parsed = JSON.parse(r.stdout); } catch { parsed = undefined; }
            if (!parsed?.error?.code) problems.push(`with --json, stdout holds no JSON error (stdout: ${JSON.stringify(r.stdout.slice(0, 80))}; stderr: ${r.stderr.trim()})`);
            const diff = changes(before, after);
            if (diff.length) problems.push(`the repository changed although the command failed: ${diff.join(', ')}`);
            if (moved) problems.push(`the command failed (saying "${r.stderr.trim()}") but the branch moved to a new commit`);
          }
          // With space again: the repository is sound and the next write succeeds and ends clean.
          const f = await fsck(dir, [], true);
          if (f.code !== 0) problems.push(`git fsck: ${f.output}`);
          const t0 = Date.now();
          const next = await runCli(['register', 'churn', '--artifact', `s3://full/${pages}-next`, '--json'], { cwd: dir, env: env() });
          if (next.code !== 0) problems.push(`the next register failed: ${next.stderr.trim()}`);
          if (Date.now() - t0 > 4000) problems.push(`the next register took ${Date.now() - t0} ms (waiting for a leftover lock)`);
          const st = await statusOf(dir);
          if (st !== '') {
            const doc = await runCli(['doctor', '--json'], { cwd: dir, env: env() });
            const fixed = (await statusOf(dir)) === '';
            problems.push(`after the next register, git status --porcelain: ${st.replace(/\n/g, '; ')} (${fixed ? `\`modelreg doctor\` repaired it: ${doc.stdout.replace(/\s+/g, ' ').slice(0, 200)}` : 'and `modelreg doctor` did not repair it'})`);
          }
          steps.push({ freePages: pages, exit: r.code, outcome, problems });
          await rm(dir, { recursive: true, force: true });
          if (r.code === 0) break;
        }
      } finally {
        await unmount(mnt);
      }
      figures['full-disk'] = { steps: steps.length, refused: steps.filter((s) => s.exit === 2).length, committed: steps.filter((s) => s.exit === 0).length, problems: steps.flatMap((s) => s.problems.map((p) => `${s.freePages} free pages: ${p}`)) };
      expect(steps.at(-1)?.exit, 'the write fits once there is room').toBe(0);
      expect(steps.flatMap((s) => s.problems.map((p) => `${s.freePages} free pages: ${p}`))).toEqual([]);
    }, LONG ? 600_000 : 120_000);
  });
});
