/**
 * `check --base` reads only the trees on the paths of the models a pull request touches, yet
 * must still see a new model folder whose name differs only by case from one already there (one
 * folder on macOS and Windows), plain or namespaced, on either side of the change.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/repo.js';
import { MAINT, checkJson, commitAll, dump, errors, git, mrOk } from './helpers.js';

let base: string;

beforeAll(async () => {
  const parent = await tempDir('modelreg-case-');
  base = join(parent, 'registry');
  await mrOk(parent, ['init', base], MAINT);
  await mrOk(base, ['register', 'churn', '--artifact', 's3://models/churn/1.0.0']);
  await mrOk(base, ['register', 'team/fraud', '--artifact', 's3://models/fraud/1.0.0']);
  await mrOk(base, ['register', 'iris', '--artifact', 's3://models/iris/1.0.0']);
}, 60_000);

/** A clone of main on a new branch where `from` is copied to the model folder `to` (names rewritten). */
async function copyModel(from: string, to: string): Promise<string> {
  const parent = await tempDir('modelreg-case-pr-');
  const dir = join(parent, 'pr');
  await git(parent, ['clone', '-q', base, dir]);
  await git(dir, ['checkout', '-q', '-b', `add-${to.replace('/', '-')}`]);
  await cp(join(dir, 'registry', from), join(dir, 'registry', to), { recursive: true });
  for (const file of ['model.yaml', 'versions/1.0.0.yaml']) {
    const path = join(dir, 'registry', to, file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(new RegExp(`^(name|model): ${from}$`, 'm'), `$1: ${to}`));
  }
  await commitAll(dir, `add ${to}`, MAINT);
  return dir;
}

describe('check --base and names that differ only by case', () => {
  it('fails a pull request that adds Churn beside churn', async () => {
    const dir = await copyModel('churn', 'Churn');
    const r = await checkJson(dir, ['--base', 'main']);
    expect(r.code, dump(r.report)).toBe(1);
    expect(errors(r.report).filter((p) => p.rule === 'case-collision').map((p) => [p.file, p.message])).toEqual([
      ['registry/Churn/model.yaml', "model 'Churn' differs only by case from 'churn'; names that differ only by case are the same model"],
    ]);
  });

  it('fails one that adds Team/fraud beside team/fraud, or team/Fraud', async () => {
    for (const [to, twin] of [['Team/fraud', 'team/fraud'], ['team/Fraud', 'team/fraud']]) {
      const dir = await copyModel('team/fraud', to);
      const r = await checkJson(dir, ['--base', 'main']);
      expect(r.code, dump(r.report)).toBe(1);
      expect(errors(r.report).filter((p) => p.rule === 'case-collision').map((p) => p.message)).toEqual([
        `model '${to}' differs only by case from '${twin}'; names that differ only by case are the same model`,
      ]);
    }
  });

  it('passes a new model whose name matches no other, even one that shares a namespace or a prefix', async () => {
    for (const to of ['churn2', 'team/fraud-v2', 'team/churn']) {
      const dir = await copyModel(to.startsWith('team/') ? 'team/fraud' : 'churn', to);
      const r = await checkJson(dir, ['--base', 'main']);
      expect(errors(r.report).filter((p) => p.rule === 'case-collision'), dump(r.report)).toEqual([]);
    }
  });
});
