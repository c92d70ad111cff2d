/**
 * The persistent summary cache (.git/modelreg/cache) must never change an answer: after any
 * mix of writes, hand edits, branch switches, and a deleted or corrupted cache, `list` returns
 * exactly what a cold read (no cache file) returns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { openRegistry, initRegistry } from '../../src/index.js';
import { ADA, cleanup, commitFiles, fixedClock, git, runCli, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

const CACHE = (dir: string) => join(dir, '.git', 'modelreg', 'cache', 'summaries.v1.json');

async function listWith(dir: string) {
  const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
  return (await reg.list()).models;
}

async function coldList(dir: string) {
  const saved = existsSync(CACHE(dir)) ? await readFile(CACHE(dir)) : undefined;
  await rm(CACHE(dir), { force: true });
  const models = await listWith(dir);
  if (saved) await writeFile(CACHE(dir), saved);
  else await rm(CACHE(dir), { force: true });
  return models;
}

async function newRegistry(): Promise<string> {
  const dir = join(await tempDir('mrcache-'), 'reg');
  await initRegistry({ dir }, { identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
  return dir;
}

describe('summary cache', () => {
  it('is written under .git, and a warm list equals a cold list', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await reg.register({ model: 'churn', artifact: 's3://m/1' });
    await reg.register({ model: 'team/iris', artifact: 's3://i/1' });
    const first = await listWith(dir);
    expect(existsSync(CACHE(dir))).toBe(true);
    expect(git(dir, ['status', '--porcelain']).stdout).toBe('');
    const warm = await listWith(dir);
    expect(warm).toEqual(first);
    expect(warm.map((m) => m.name)).toEqual(['churn', 'team/iris']);
    expect(await coldList(dir)).toEqual(warm);
  });

  it('a corrupt or foreign-version cache is ignored and rebuilt', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await reg.register({ model: 'churn', artifact: 's3://m/1' });
    const truth = await coldList(dir);
    await listWith(dir);
    for (const bad of ['{not json', JSON.stringify({ format: 'modelreg-summaries', version: 999, entries: {} }),
      JSON.stringify({ format: 'modelreg-summaries', version: 1, entries: { ['a'.repeat(40)]: { name: 'evil' } } })]) {
      await writeFile(CACHE(dir), bad);
      expect(await listWith(dir)).toEqual(truth);
      const rewritten = JSON.parse(await readFile(CACHE(dir), 'utf8'));
      expect(rewritten.version).toBe(1);
    }
    // A well-formed entry under the wrong tree id can never be hit: ids name content.
    const data = JSON.parse(await readFile(CACHE(dir), 'utf8'));
    const [tree] = Object.keys(data.entries);
    data.entries[tree].stages = { '9.9.9': 'Production' };
    await writeFile(CACHE(dir), JSON.stringify(data));
    // (a tampered entry under the right id is trusted: the cache is local and per-user, like .git itself)
    await rm(CACHE(dir));
    expect(await listWith(dir)).toEqual(truth);
  });

  it('after any mix of writes, hand edits and branch switches, list equals a cold read', async () => {
    const dir = await newRegistry();
    let step = 0;
    const ops = fc.constantFrom('register', 'promote', 'tag', 'alias', 'hand-edit', 'branch', 'switch-back', 'delete-cache');
    await fc.assert(fc.asyncProperty(fc.array(ops, { minLength: 4, maxLength: 10 }), fc.integer({ min: 0, max: 2 }), async (seq, pick) => {
      for (const op of seq) {
        step++;
        const reg = await openRegistry({ dir, identity: ADA, now: fixedClock(`2026-01-01T00:00:${String(step % 60).padStart(2, '0')}Z`).now });
        const models = (await reg.list()).models;
        const target = models[pick % Math.max(models.length, 1)];
        switch (op) {
          case 'register': await reg.register({ model: ['churn', 'iris', 'ns/fraud'][pick], artifact: `s3://x/${step}` }); break;
          case 'promote': if (target?.latest && target.stages.None?.includes(target.latest)) await reg.transition({ model: target.name, version: target.latest, stage: 'Staging' }); break;
          case 'tag': if (target) await reg.tag({ model: target.name, set: { step: String(step) } }); break;
          case 'alias': if (target?.latest) await reg.alias({ model: target.name, alias: 'champion', version: target.latest }); break;
          case 'hand-edit':
            if (target) {
              const file = join(dir, 'registry', target.name, 'model.yaml');
              const text = await readFile(file, 'utf8');
              const edited = /^description: /m.test(text) ? text.replace(/^description: .*$/m, `description: edited by hand ${step}`) : `${text}description: edited by hand ${step}\n`;
              await commitFiles(dir, { [`registry/${target.name}/model.yaml`]: edited }, `hand edit ${step}`);
            }
            break;
          case 'branch': git(dir, ['switch', '-q', '-C', `side-${step % 3}`]); break;
          case 'switch-back': git(dir, ['switch', '-q', 'main']); break;
          case 'delete-cache': await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true }); break;
        }
        const warm = await listWith(dir);
        expect(warm).toEqual(await coldList(dir));
      }
    }), { numRuns: 6 });
  });

  it('the model-state cache (resolve, show) answers exactly as a cold read, and ignores corrupt entries', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await reg.register({ model: 'churn', artifact: 's3://m/1', metrics: { auc: 0.9 }, tags: { team: 'growth' } });
    await reg.register({ model: 'churn', artifact: 's3://m/2' });
    await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
    const models = join(dir, '.git', 'modelreg', 'cache', 'models-v1');
    const read = async () => {
      const r = await openRegistry({ dir, identity: ADA });
      return { show: await r.show({ model: 'churn' }), resolve: await r.resolve({ uri: 'models:/churn/Staging' }), old: await r.show({ model: 'churn', at: 'HEAD~2' }) };
    };
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    const cold = await read();
    expect(existsSync(models)).toBe(true);
    expect(await read()).toEqual(cold);
    // Corrupt every cached entry: they are ignored and rewritten, never trusted.
    for (const sub of await readdir(models)) {
      if (sub === 'config') continue;
      for (const f of await readdir(join(models, sub))) await writeFile(join(models, sub, f), '{"format":"modelreg-model-state","record":{"name":"evil"},"versions":[{"name":"9.9.9.yaml"}]}');
    }
    expect(await read()).toEqual(cold);
    // A hand edit committed with git is a new tree: read fresh, then cached.
    await commitFiles(dir, { 'registry/churn/versions/1.1.0.yaml': (await readFile(join(dir, 'registry/churn/versions/1.1.0.yaml'), 'utf8')).replace('stage: None', 'stage: Archived') }, 'archive by hand');
    const edited = await read();
    expect(edited.show.versions.find((v) => v.version === '1.1.0')!.stage).toBe('Archived');
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    expect(await read()).toEqual(edited);
  });
});

describe('list reads committed files, by a line scan where it can', () => {
  it('takes files from the checkout only when they are the committed bytes', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await reg.register({ model: 'churn', artifact: 's3://m/1' });
    await reg.register({ model: 'churn', artifact: 's3://m/2' });
    const file = join(dir, 'registry/churn/versions/1.0.0.yaml');
    // An uncommitted edit in the checkout is not the registry: list answers from the commit.
    await writeFile(file, (await readFile(file, 'utf8')).replace('stage: None', 'stage: Production'));
    await rm(join(dir, 'registry/churn/versions/1.1.0.yaml'));
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    const models = await listWith(dir);
    expect(models[0]).toMatchObject({ name: 'churn', latest: '1.1.0', versions: 2, stages: { None: ['1.1.0', '1.0.0'] } });
    git(dir, ['checkout', '--', '.']);
    // A file in a form the scan declines (quoted values, a comment after the stage) is parsed in full.
    await commitFiles(dir, { 'registry/churn/versions/1.0.0.yaml': (await readFile(file, 'utf8')).replace('stage: None', 'stage: "Staging" # by hand') }, 'quoted stage');
    expect((await coldList(dir))[0].stages).toEqual({ None: ['1.1.0'], Staging: ['1.0.0'] });
    // --at an older commit: the checkout no longer matches, the objects answer.
    expect((await (await openRegistry({ dir, identity: ADA })).list({ at: 'HEAD~1' })).models[0].stages).toEqual({ None: ['1.1.0', '1.0.0'] });
  });

  it('answers the same on two threads (the CLI, MODELREG_LIST_THREADS_FROM=0) as on one', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    for (const model of ['churn', 'iris', 'team/fraud', 'team/spam']) {
      for (let i = 0; i < 3; i++) await reg.register({ model, artifact: `s3://${model}/${i}` });
    }
    await reg.transition({ model: 'iris', version: '1.1.0', stage: 'Staging' });
    // A committed file the scan declines, an uncommitted edit, and a file missing from the checkout.
    const quoted = 'registry/team/fraud/versions/1.0.0.yaml';
    await commitFiles(dir, { [quoted]: (await readFile(join(dir, quoted), 'utf8')).replace('stage: None', "stage: 'Archived'") }, 'quoted by hand');
    const edited = join(dir, 'registry/churn/versions/1.2.0.yaml');
    await writeFile(edited, (await readFile(edited, 'utf8')).replace('stage: None', 'stage: Production'));
    await rm(join(dir, 'registry/team/spam/versions/1.1.0.yaml'));
    const list = async (threadsFrom: string) => {
      await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
      return runCli(['list', '--json'], { cwd: dir, env: { MODELREG_LIST_THREADS_FROM: threadsFrom } });
    };
    const one = await list('1000000');
    const two = await list('0');
    expect(one.code).toBe(0);
    expect(one.stderr).toBe('');
    expect(two.code).toBe(0);
    expect(two.stderr).toMatch(/read 12 version files not in the cache on 2 threads \(\d+ by a worker\)/);
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
    // A worker thread that dies hands its files back: the main thread reads them, same answer.
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    const crashed = await runCli(['list', '--json'], { cwd: dir, env: { MODELREG_LIST_THREADS_FROM: '0', MODELREG_FAULT_AT: 'head-worker' } });
    expect(crashed.code).toBe(0);
    expect(crashed.stderr).toBe(''); // no file was read by the worker
    expect(JSON.parse(crashed.stdout)).toEqual(JSON.parse(one.stdout));
    const models = JSON.parse(one.stdout).models as Array<{ name: string; stages: Record<string, string[]> }>;
    expect(Object.fromEntries(models.map((m) => [m.name, m.stages]))).toEqual({
      churn: { None: ['1.2.0', '1.1.0', '1.0.0'] },
      iris: { None: ['1.2.0', '1.0.0'], Staging: ['1.1.0'] },
      'team/fraud': { None: ['1.2.0', '1.1.0'], Archived: ['1.0.0'] },
      'team/spam': { None: ['1.2.0', '1.1.0', '1.0.0'] },
    });
  });

  it('refuses a version file it cannot read, naming it, and a file whose fields contradict its path', async () => {
    const dir = await newRegistry();
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await reg.register({ model: 'churn', artifact: 's3://m/1' });
    const file = 'registry/churn/versions/1.0.0.yaml';
    const good = await readFile(join(dir, file), 'utf8');
    await commitFiles(dir, { [file]: good.replace('stage: None', 'stage: [None') }, 'broken by hand');
    await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
    await expect(listWith(dir)).rejects.toMatchObject({ code: 'INVALID_FILE', data: { file } });
    await commitFiles(dir, { [file]: good.replace('version: 1.0.0', 'version: 2.0.0') }, 'wrong version by hand');
    await expect(listWith(dir)).rejects.toMatchObject({ code: 'INVALID_FILE', message: expect.stringContaining('does not match its path') });
    expect(existsSync(CACHE(dir))).toBe(false);
  });
});

describe('loaded policies cached by blob id', () => {
  it('decide exactly as a fresh load, follow a policy edit, and ignore corrupt entries', async () => {
    const dir = await newRegistry();
    const open = () => openRegistry({ dir, identity: ADA, now: fixedClock('2026-01-01T00:00:00Z').now });
    await (await open()).register({ model: 'churn', artifact: 's3://m/1', metrics: { auc: 0.8 } });
    const policies = join(dir, '.git', 'modelreg', 'cache', 'models-v1', 'policy');
    const blob = git(dir, ['rev-parse', 'HEAD:policies/default.yaml']).stdout.trim();
    expect(await readdir(policies)).toEqual([`${blob}.json`]);
    const explainNow = async () => (await open()).explain({ model: 'churn', version: '1.0.0', stage: 'Staging' });
    const cold = async () => {
      await rm(join(dir, '.git', 'modelreg'), { recursive: true, force: true });
      return explainNow();
    };
    const allowed = await cold();
    expect(allowed.decision.allowed).toBe(true);
    expect(await explainNow()).toEqual(allowed);
    // A guard added by a policy edit is a new blob: loaded afresh, then remembered with its guard.
    const text = await readFile(join(dir, 'policies/default.yaml'), 'utf8');
    await commitFiles(dir, { 'policies/default.yaml': text.replace('  - from: None\n    to: Staging\n', '  - from: None\n    to: Staging\n    when: version.metrics.auc >= 0.9\n') }, 'guard Staging');
    const denied = await explainNow();
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.message).toContain("auc");
    const edited = git(dir, ['rev-parse', 'HEAD:policies/default.yaml']).stdout.trim();
    const stored = JSON.parse(await readFile(join(policies, `${edited}.json`), 'utf8'));
    expect(stored.value.doc.transitions[0]).toMatchObject({ from: 'None', to: 'Staging', when: 'version.metrics.auc >= 0.9' });
    expect(await explainNow()).toEqual(denied);
    expect(await cold()).toEqual(denied);
    // Corrupt entries, and entries this version's schema or rules refuse (as one written by another
    // version might be), are never trusted: the policy is loaded from its file again.
    const entry = (doc: unknown) => JSON.stringify({ format: 'modelreg-model-state:policy', value: { doc } });
    const valid = stored.value.doc;
    for (const bad of ['{oops', entry({ name: 'default', stages: 'x' }), entry({ name: 'default', stages: [{ name: 'None' }] }),
      entry({ ...valid, transitions: [{ from: 'None', to: 'Nowhere' }] }), entry({ ...valid, transitions: [{ from: 'None', to: 'Staging', when: 'version.metricz.auc > 0' }] })]) {
      await writeFile(join(policies, `${edited}.json`), bad);
      expect(await explainNow()).toEqual(denied);
    }
  });
});

