#!/usr/bin/env node
/**
 * One writer of the concurrency suites: a separate process that runs its share of operations
 * one after the other through the real CLI, and appends one JSON line per operation to its log
 * (every success with the commit and version the CLI reported, every failure with its exit code
 * and message). The suites start several of these at once on one repository (local) or on
 * clones of one remote (remote), then read the logs and compare them with the history.
 *
 * Usage: node worker.mjs '<json>' where json is
 *   { id, dir, log, ops, seed, cli, mode: 'local' | 'remote', models, env }
 */
import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';

const cfg = JSON.parse(process.argv[2]);
const { id, dir, log, ops, cli, mode, models } = cfg;

let seed = cfg.seed >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

function modelreg(args) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: cfg.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
}

async function record(entry) {
  await appendFile(log, `${JSON.stringify({ worker: id, at: new Date().toISOString(), ...entry })}\n`);
}

/** What this worker registered (only it tags, aliases and moves these, so its plans stay valid). */
const mine = []; // { model, version, stage }
const aliasAt = new Map(); // model -> version this worker's alias points at
const alias = `w${id}`;

function plan(i) {
  if (mode === 'remote') {
    const artifact = `s3://bucket/${models[0]}/c${id}-${i}`;
    return { op: 'register', model: models[0], artifact, args: ['register', models[0], '--artifact', artifact, '--bump', 'patch', '--push', '--json'] };
  }
  const kind = mine.length === 0 ? 'register' : pick(['register', 'register', 'tag', 'alias', 'transition']);
  if (kind === 'register') {
    const model = pick(models);
    const bump = pick([undefined, 'patch', 'minor']);
    const artifact = `s3://bucket/${model}/w${id}-${i}`;
    return { op: 'register', model, artifact, args: ['register', model, '--artifact', artifact, ...(bump ? ['--bump', bump] : []), '--json'] };
  }
  const v = pick(mine);
  if (kind === 'tag') {
    const key = `w${id}_op${i}`;
    return { op: 'tag', model: v.model, version: v.version, key, args: ['tag', 'set', v.model, v.version, `${key}=value-${i}`, '--json'], target: v };
  }
  if (kind === 'alias') {
    const others = mine.filter((x) => x.model === v.model && x.version !== aliasAt.get(v.model));
    if (others.length === 0) return plan(i); // the alias already points at the only choice
    const to = pick(others);
    return { op: 'alias', model: to.model, version: to.version, alias, args: ['alias', 'set', to.model, alias, to.version, '--json'], target: to };
  }
  const next = v.stage === 'Staging' ? 'Archived' : 'Staging'; // None -> Staging -> Archived -> Staging ...
  return { op: 'transition', model: v.model, version: v.version, from: v.stage, stage: next, args: ['transition', v.model, v.version, next, '--json'], target: v };
}

const maxReruns = cfg.maxReruns ?? 0;
for (let i = 0; i < ops; i++) {
  const p = plan(i);
  let reruns = 0;
  for (;;) {
    const r = await modelreg(p.args);
    let out;
    try { out = JSON.parse(r.stdout); } catch { out = undefined; }
    if (r.code === 0 && out && !out.error) {
      const entry = { ok: true, op: p.op, index: i, model: out.model ?? p.model, version: out.version ?? p.version, commit: out.commit, pushed: out.pushed, attempts: out.attempts, reruns, ms: r.ms };
      if (p.op === 'register') entry.artifact = p.artifact;
      if (p.op === 'tag') entry.key = p.key;
      if (p.op === 'alias') entry.alias = p.alias;
      if (p.op === 'transition') { entry.from = out.from; entry.stage = out.stage; }
      await record(entry);
      if (p.op === 'register') mine.push({ model: entry.model, version: entry.version, stage: out.stage ?? 'None' });
      if (p.op === 'alias') aliasAt.set(p.model, p.version);
      if (p.op === 'transition') p.target.stage = p.stage;
      break;
    }
    const failure = { ok: false, op: p.op, index: i, model: p.model, version: p.version, code: r.code, signal: r.signal, error: out?.error?.code, message: (out?.error?.message ?? r.stderr).trim().slice(0, 600), reruns, ms: r.ms };
    // The remote suite re-runs a command that gave up after its push retries, as the message says to.
    if (r.code === 3 && out?.error?.code === 'CONFLICT' && reruns < maxReruns) {
      await record({ ...failure, rerun: true });
      reruns++;
      continue;
    }
    await record(failure);
    break;
  }
}
