/**
 * A pull request that moves a model folder (issue 15): `git mv registry/fraud registry/fraud2`
 * stopped `check --base main` with "unexpected error … (reading 'versions')", exit 70. A folder
 * moved without its names is named with both names and exits 1, in every format; a clean
 * rename (the names inside edited, nothing else) is judged as `modelreg model rename` judges it
 * (issue 12): allowed unless a version holds a protected stage; `diff` lists the change instead
 * of failing; other models' changes are still judged.
 */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DANA, MAINT, STRICT_POLICY, checkJson, commitAll, dump, editText, errors, git, mr, mrOk, prBranch, registryWithPolicy } from './helpers.js';

let base: string;

beforeAll(async () => {
  base = await registryWithPolicy(STRICT_POLICY);
  await mrOk(base, ['register', 'fraud', '--artifact', 's3://models/fraud/1.0.0']);
  await mrOk(base, ['register', 'fraud', '--artifact', 's3://models/fraud/1.1.0']);
  await mrOk(base, ['register', 'churn', '--artifact', 's3://models/churn/1.0.0']);
  await mrOk(base, ['promote', 'churn', '1.0.0', '--to', 'Staging']);
}, 60_000);

const branch = (name: string) => prBranch(base, name);

function renames(report: Awaited<ReturnType<typeof checkJson>>['report']) {
  return errors(report).filter((p) => p.rule === 'model-renamed');
}

describe('check --base on a pull request that moves a model folder', () => {
  it('git mv registry/fraud registry/fraud2: a named violation with both names, exit 1, in every format', async () => {
    const dir = await branch('move');
    await git(dir, ['mv', 'registry/fraud', 'registry/fraud2']);
    await commitAll(dir, 'move fraud', DANA);
    const { code, report, raw } = await checkJson(dir, ['--base', 'main']);
    expect(raw.stderr).toBe('');
    expect(code, dump(report)).toBe(1);
    expect(renames(report).map((p) => [p.file, p.message]), dump(report)).toEqual([
      ['registry/fraud2/model.yaml', expect.stringMatching(/^model fraud was renamed or moved to fraud2 \(registry\/fraud → registry\/fraud2\); it is not a clean rename/)],
    ]);
    const text = await mr(dir, ['check', '--base', 'main'], MAINT);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/error {2}registry\/fraud2\/model\.yaml:1:1: model fraud was renamed or moved to fraud2 .*\[model-renamed\]/);
    const github = await mr(dir, ['check', '--base', 'main', '--format', 'github'], MAINT);
    expect(github.code).toBe(1);
    expect(github.stdout).toMatch(/^::error file=registry\/fraud2\/model\.yaml,line=1,col=1,title=modelreg model-renamed::model fraud was renamed or moved to fraud2/m);
  });

  it('diff lists the move instead of failing', async () => {
    const dir = await branch('move-diff');
    await git(dir, ['mv', 'registry/fraud', 'registry/fraud2']);
    await commitAll(dir, 'move fraud', DANA);
    const r = await mr(dir, ['diff', 'main'], MAINT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fraud: model removed/);
  });

  it('a clean move into a namespace (the names inside edited, nothing else) of a model with no version in a protected stage passes, judged as one rename', async () => {
    const dir = await branch('namespace');
    await mkdir(join(dir, 'registry/risk'));
    await git(dir, ['mv', 'registry/fraud', 'registry/risk/fraud']);
    await editText(dir, 'registry/risk/fraud/model.yaml', (s) => s.replace(/^name: fraud$/m, 'name: risk/fraud'));
    for (const v of ['1.0.0', '1.1.0']) await editText(dir, `registry/risk/fraud/versions/${v}.yaml`, (s) => s.replace(/^model: fraud$/m, 'model: risk/fraud'));
    await commitAll(dir, 'move fraud into the risk namespace', DANA);
    const { code, report } = await checkJson(dir, ['--base', 'main']);
    expect(code, dump(report)).toBe(0);
    expect(errors(report).map((p) => p.rule), dump(report)).toEqual([]);
  });

  it('a clean rename that also changes a field is not clean: named as a rename, exit 1', async () => {
    const dir = await branch('namespace-and-edit');
    await git(dir, ['mv', 'registry/fraud', 'registry/fraud2']);
    await editText(dir, 'registry/fraud2/model.yaml', (s) => s.replace(/^name: fraud$/m, 'name: fraud2'));
    for (const v of ['1.0.0', '1.1.0']) await editText(dir, `registry/fraud2/versions/${v}.yaml`, (s) => s.replace(/^model: fraud$/m, 'model: fraud2'));
    await editText(dir, 'registry/fraud2/versions/1.1.0.yaml', (s) => s.replace(/^stage: None$/m, 'stage: Production'));
    await commitAll(dir, 'rename fraud and promote', DANA);
    const { code, report } = await checkJson(dir, ['--base', 'main']);
    expect(code, dump(report)).toBe(1);
    expect(renames(report).map((p) => p.message), dump(report)).toEqual([expect.stringContaining('model fraud was renamed or moved to fraud2 (registry/fraud → registry/fraud2); it is not a clean rename')]);
  });

  it('other models changed beside a move are still judged by the base policy', async () => {
    const dir = await branch('move-and-promote');
    await git(dir, ['mv', 'registry/fraud', 'registry/fraud2']);
    await editText(dir, 'registry/churn/versions/1.0.0.yaml', (s) => s.replace(/^stage: Staging$/m, 'stage: Production'));
    await commitAll(dir, 'move fraud, promote churn', DANA);
    const { code, report } = await checkJson(dir, ['--base', 'main']);
    expect(code).toBe(1);
    expect(errors(report).map((p) => p.rule), dump(report)).toEqual(expect.arrayContaining(['model-renamed', 'policy-transition']));
  });

  it('a copy that keeps the original is not a rename (positive control)', async () => {
    const dir = await branch('copy');
    await cp(join(dir, 'registry/fraud'), join(dir, 'registry/fraud2'), { recursive: true });
    await editText(dir, 'registry/fraud2/model.yaml', (s) => s.replace(/^name: fraud$/m, 'name: fraud2'));
    for (const v of ['1.0.0', '1.1.0']) await editText(dir, `registry/fraud2/versions/${v}.yaml`, (s) => s.replace(/^model: fraud$/m, 'model: fraud2'));
    await commitAll(dir, 'a new model fraud2 from fraud', DANA);
    const { code, report } = await checkJson(dir, ['--base', 'main']);
    expect(renames(report), dump(report)).toEqual([]);
    expect(code, dump(report)).toBe(0);
  });
});
