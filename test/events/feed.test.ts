/**
 * `modelreg events` (issue 14): the feed derived from the commits of the registry branch — every
 * kind of commit the CLI writes, hand edits, merges and reverts — with ids that are the same in
 * every clone and whatever a reader filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { initRegistry, openRegistry, type Registry } from '../../src/index.js';
import { policyYaml } from '../policy/fixtures.js';
import {
  ADA, BOB, CLI, baseEnv, cleanup, commitFiles, fixedClock, git, headCommit, homeDir, runCli, tempDir, versionYaml,
} from '../helpers/repo.js';
import { readFile, writeFile } from 'node:fs/promises';

afterAll(cleanup);

const POLICY = policyYaml({
  rules: [
    { from: 'None', to: 'Staging' },
    { from: 'Staging', to: 'Production', approvals: '{ min: 1, allowAuthor: false }' },
    { from: '*', to: 'Archived' },
  ],
  rollback: '{ min: 0 }',
});

interface Ev {
  specversion: string; id: string; source: string; type: string; subject: string; time: string;
  data: Record<string, unknown> & { model: string; commit: string; actor: string };
}

const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const short = (e: Ev) => `${e.type.replace('dev.modelreg.', '')} ${e.subject}`;

async function feed(dir: string, args: string[] = []): Promise<Ev[]> {
  const r = await runCli(['events', ...args], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return lines(r.stdout);
}

let dir: string;
const marks: Record<string, string> = {};

beforeAll(async () => {
  dir = join(await tempDir('mrevents-'), 'reg');
  const clock = fixedClock('2026-03-01T09:00:00Z');
  await initRegistry({ dir }, { identity: ADA, now: clock.now });
  await writeFile(join(dir, 'policies', 'default.yaml'), POLICY);
  git(dir, ['commit', '-qam', 'policy']);
  marks.policy = headCommit(dir);
  const as = (who = ADA): Promise<Registry> => openRegistry({ dir, identity: who, now: () => { clock.advance(60_000); return clock.now(); } });
  const ada = await as();
  const bob = await as(BOB);
  await ada.register({ model: 'churn', artifact: 's3://m/churn/1' });
  await ada.register({ model: 'churn', artifact: 's3://m/churn/2' });
  await ada.register({ model: 'fraud', artifact: 's3://m/fraud/1' });
  await ada.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
  await bob.approve({ model: 'churn', version: '1.0.0', stage: 'Production' });
  await ada.transition({ model: 'churn', version: '1.0.0', stage: 'Production' });
  marks.prod1 = headCommit(dir);
  await ada.transition({ model: 'churn', version: '1.1.0', stage: 'Staging' });
  await bob.approve({ model: 'churn', version: '1.1.0', stage: 'Production' });
  await ada.transition({ model: 'churn', version: '1.1.0', stage: 'Production' });
  await ada.alias({ model: 'churn', alias: 'champion', version: '1.1.0' });
  await ada.alias({ model: 'churn', alias: 'champion' });
  await ada.tag({ model: 'churn', version: '1.0.0', set: { team: 'growth' } });
  await ada.tag({ model: 'churn', version: '1.0.0', delete: ['team'] });
  await ada.rollback({ model: 'churn', stage: 'Production', reason: 'error rate up' });
  marks.rollback = headCommit(dir);
  await ada.deprecate({ model: 'fraud', version: '1.0.0' });
  await ada.deleteVersion({ model: 'fraud', version: '1.0.0' });
  marks.cli = headCommit(dir);
  // A hand edit: a person moves a version to Archived with plain git.
  const v110 = join(dir, 'registry/churn/versions/1.1.0.yaml');
  await commitFiles(dir, { 'registry/churn/versions/1.1.0.yaml': (await readFile(v110, 'utf8')).replace(/^stage: \w+$/m, 'stage: Archived') }, 'archive 1.1.0 by hand', { who: BOB });
  marks.hand = headCommit(dir);
  // A merge: a branch registers a version; main merges it with a merge commit.
  git(dir, ['switch', '-q', '-c', 'feature']);
  await commitFiles(dir, { 'registry/churn/versions/1.2.0.yaml': versionYaml('churn', '1.2.0') }, 'register 1.2.0 on a branch');
  git(dir, ['switch', '-q', 'main']);
  await commitFiles(dir, { 'notes.txt': 'unrelated\n' }, 'a commit without registry changes');
  git(dir, ['merge', '-q', '--no-ff', '-m', 'merge feature', 'feature']);
  marks.merge = headCommit(dir);
  // A plain git revert of the hand edit: the version comes back out of Archived.
  git(dir, ['revert', '--no-edit', marks.hand]);
  marks.revert = headCommit(dir);
}, 120_000);

describe('modelreg events', () => {
  it('lists every kind of commit the CLI writes, hand edits, merges and reverts, oldest first', async () => {
    const all = await feed(dir);
    expect(all.map(short)).toEqual([
      'model.created models/churn',
      'version.registered models/churn/1.0.0',
      'version.registered models/churn/1.1.0',
      'model.created models/fraud',
      'version.registered models/fraud/1.0.0',
      'version.transitioned models/churn/1.0.0',
      'version.approved models/churn/1.0.0',
      'version.transitioned models/churn/1.0.0',
      'version.transitioned models/churn/1.1.0',
      'version.approved models/churn/1.1.0',
      'version.transitioned models/churn/1.0.0',
      'version.transitioned models/churn/1.1.0',
      'alias.set models/churn/1.1.0',
      'alias.deleted models/churn',
      'tag.set models/churn/1.0.0',
      'tag.deleted models/churn/1.0.0',
      'stage.rolled_back models/churn/1.0.0',
      'stage.rolled_back models/churn/1.1.0',
      'version.deprecated models/fraud/1.0.0',
      'version.deleted models/fraud/1.0.0',
      'version.transitioned models/churn/1.1.0',
      'version.registered models/churn/1.2.0',
      'stage.rolled_back models/churn/1.1.0',
    ]);
    for (const e of all) {
      expect(e.specversion).toBe('1.0');
      expect(e.source).toBe(dir);
      expect(e.id).toMatch(new RegExp(`^${e.data.commit}:\\d+$`));
      expect(e.time).toBe(new Date(Number(git(dir, ['show', '-s', '--format=%ct', e.data.commit]).stdout.trim()) * 1000).toISOString());
    }
    // Every listed commit is on the first-parent line of main (the branch's own commit is not).
    const firstParent = new Set(git(dir, ['rev-list', '--first-parent', 'main']).stdout.trim().split('\n'));
    expect(all.every((e) => firstParent.has(e.data.commit))).toBe(true);
    // The merge commit carries the registration; the hand edit and the revert are there too.
    expect(all.find((e) => e.subject === 'models/churn/1.2.0')!.id).toBe(`${marks.merge}:0`);
    const revert = all[all.length - 1];
    expect(revert.id).toBe(`${marks.revert}:0`);
    expect(revert.data).toMatchObject({ fromStage: 'Archived', toStage: 'Staging' });
  });

  it('carries what a deployment tool needs in data', async () => {
    const all = await feed(dir);
    const reg = all.find((e) => e.subject === 'models/churn/1.0.0' && e.type.endsWith('registered'))!;
    expect(reg.data).toMatchObject({ model: 'churn', version: '1.0.0', toStage: 'None', actor: ADA.email, artifact: { uri: 's3://m/churn/1' } });
    const prod2 = all.filter((e) => e.type === 'dev.modelreg.version.transitioned' && e.data.toStage === 'Production')[1];
    expect(prod2.data).toMatchObject({ version: '1.1.0', fromStage: 'Staging', toStage: 'Production', artifact: { uri: 's3://m/churn/2' } });
    const archived = all.find((e) => e.data.commit === prod2.data.commit && e.data.version === '1.0.0')!;
    expect(archived.data).toMatchObject({ fromStage: 'Production', toStage: 'Archived' });
    const rolled = all.filter((e) => e.type === 'dev.modelreg.stage.rolled_back');
    expect(rolled.map((e) => [e.data.version, e.data.fromStage, e.data.toStage])).toEqual([['1.0.0', 'Archived', 'Production'], ['1.1.0', 'Production', 'Staging'], ['1.1.0', 'Archived', 'Staging']]);
    expect(rolled[0].data.reason).toBe('error rate up');
    const approval = all.find((e) => e.type === 'dev.modelreg.version.approved')!;
    expect(approval.data).toMatchObject({ approvedBy: BOB.email, toStage: 'Production', actor: BOB.email });
    const hand = all.filter((e) => e.data.actor === BOB.email && e.type === 'dev.modelreg.version.transitioned');
    expect(hand.map((e) => e.data.toStage)).toEqual(['Archived']);
  });

  it('filters by range, model and type without changing ids', async () => {
    const all = await feed(dir);
    const byId = new Map(all.map((e) => [e.id, e]));
    const since = await feed(dir, ['--since', marks.prod1]);
    expect(since).toEqual(all.filter((e) => all.findIndex((x) => x.data.commit === marks.prod1) < all.indexOf(e) && e.data.commit !== marks.prod1));
    const window = await feed(dir, ['--since', marks.prod1, '--until', marks.rollback]);
    expect(window.at(-1)!.data.commit).toBe(marks.rollback);
    expect(window[0].data.commit).not.toBe(marks.prod1);
    const fraud = await feed(dir, ['--model', 'FRAUD']);
    expect(fraud.map(short)).toEqual(['model.created models/fraud', 'version.registered models/fraud/1.0.0', 'version.deprecated models/fraud/1.0.0', 'version.deleted models/fraud/1.0.0']);
    const typed = await feed(dir, ['--type', 'alias.*', 'dev.modelreg.version.deleted']);
    expect(typed.map(short)).toEqual(['alias.set models/churn/1.1.0', 'alias.deleted models/churn', 'version.deleted models/fraud/1.0.0']);
    for (const e of [...since, ...window, ...fraud, ...typed]) expect(byId.get(e.id)).toEqual(e);
  });

  it('gives the same ids in a clone, and the same answer without the event index', async () => {
    const all = await feed(dir);
    const clone = join(await tempDir('mrevents-clone-'), 'reg');
    git(dir, ['clone', '-q', dir, clone]);
    const cloned = await feed(clone);
    expect(cloned.map((e) => ({ ...e, source: dir }))).toEqual(all);
    expect(cloned[0].source).toBe(`${dir}`);
    rmSync(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    expect(await feed(dir)).toEqual(all);
  });

  it('names the remote without credentials as the source', async () => {
    const clone = join(await tempDir('mrevents-src-'), 'reg');
    git(dir, ['clone', '-q', dir, clone]);
    git(clone, ['remote', 'set-url', 'origin', 'https://bot:s3cret@git.example.com/acme/registry.git']);
    const [first] = await feed(clone, ['--model', 'churn']);
    expect(first.source).toBe('https://git.example.com/acme/registry.git');
  });

  it('speaks the MLflow and Databricks webhook payloads', async () => {
    const mlflow = await feed(dir, ['--format', 'mlflow', '--model', 'churn']);
    expect(mlflow[0]).toEqual({ entity: 'registered_model', action: 'created', timestamp: expect.any(String), data: { name: 'churn', tags: {}, description: null } });
    expect(mlflow[1]).toMatchObject({ entity: 'model_version', action: 'created', data: { name: 'churn', version: '1.0.0', source: 's3://m/churn/1' } });
    expect(mlflow.map((e) => `${e.entity}.${e.action}`)).toContain('model_version_alias.deleted');
    const db = (await feed(dir, ['--format', 'databricks', '--model', 'churn'])) as unknown as Array<Record<string, unknown>>;
    const t = db.find((e) => e.event === 'MODEL_VERSION_TRANSITIONED_STAGE' && e.to_stage === 'Production')!;
    expect(t).toMatchObject({ model_name: 'churn', version: '1.0.0', from_stage: 'Staging', to_stage: 'Production' });
    expect(typeof t.event_timestamp).toBe('number');
    expect(t.text).toContain('transitioned from Staging to Production');
  });

  it('refuses an unknown type or format with exit code 2', async () => {
    for (const args of [['--type', 'version.exploded'], ['--format', 'xml']]) {
      const r = await runCli(['events', ...args], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--(type|format)/);
    }
  });

  it('--follow prints new events as commits arrive, each once', async () => {
    const work = join(await tempDir('mrevents-follow-'), 'reg');
    git(dir, ['clone', '-q', dir, work]);
    const env = { ...baseEnv(await homeDir()), GIT_AUTHOR_NAME: ADA.name, GIT_AUTHOR_EMAIL: ADA.email, GIT_COMMITTER_NAME: ADA.name, GIT_COMMITTER_EMAIL: ADA.email };
    const child = spawn(process.execPath, [CLI, 'events', '--follow', '--interval', '50', '--since', headCommit(work), '--type', 'version.registered'], { cwd: work, env });
    let out = '';
    let err = '';
    let exited: string | undefined;
    const waiting: Array<() => void> = [];
    const wake = () => waiting.splice(0).forEach((f) => f());
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; wake(); });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('exit', (code) => { exited = `events --follow exited (${code}): ${err}`; wake(); });
    const waitFor = async (n: number) => {
      while (lines(out).length < n) {
        if (exited) throw new Error(exited);
        await new Promise<void>((r) => waiting.push(r));
      }
    };
    try {
      const reg = await openRegistry({ dir: work, identity: ADA });
      await reg.register({ model: 'churn', version: '3.0.0', artifact: 's3://m/churn/3' });
      await waitFor(1);
      await reg.register({ model: 'fraud', version: '2.0.0', artifact: 's3://m/fraud/2' });
      await reg.register({ model: 'fraud', version: '2.1.0', artifact: 's3://m/fraud/3' });
      await waitFor(3);
    } finally {
      child.kill('SIGTERM');
    }
    expect(lines(out).map(short)).toEqual(['version.registered models/churn/3.0.0', 'version.registered models/fraud/2.0.0', 'version.registered models/fraud/2.1.0']);
  });
});
