/**
 * Policy bypass (issue 6): attack pull requests, each a branch made with plain `git` (YAML edited
 * with fs, `git commit` under the attacker's identity) on a real repository, each of which
 * `modelreg check --base main` must fail (exit 1) with a problem that names the attack; and the
 * positive controls (a genuine promotion with two genuine approvals, a genuine rollback) pass.
 *
 * main, built with the CLI:
 *   policies/default.yaml  Staging -> Production: 2 approvals from ml-leads (alice, bob), not the author; rollback free
 *   policies/lax.yaml      anything goes
 *   m 1.0.0 Archived (was Production)   m 1.1.0 Production (approved by alice and bob)
 *   m 1.2.0 Staging (artifact with digest)   m 1.3.0 deleted (deletedVersions)
 */
import { symlink, unlink, writeFile, rm, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/repo.js';
import { OWNED_POLICY } from '../policy/fixtures.js';
import {
  ALICE, BOB, DANA, LAX_POLICY, MAINT, MALLORY, STRICT_POLICY,
  addApprovalsByHand, checkJson, commitAll, dump, editText, errors, expectProblemShape, git, mrOk, readText, rev,
  setStageByHand, versionPath, writeText, type CheckJson, type Person,
} from './helpers.js';

const V100 = versionPath('m', '1.0.0');
const V110 = versionPath('m', '1.1.0');
const V120 = versionPath('m', '1.2.0');
const V130 = versionPath('m', '1.3.0');
const MODEL = 'registry/m/model.yaml';

const EVE: Person = { name: 'Eve Accomplice', email: 'eve@example.com' };

let base: string;
/** The commit on main that promoted 1.1.0 to Production and archived 1.0.0. */
let promotion110: string;
/** The commit on main that moved 1.2.0 None -> Staging. */
let staging120: string;

beforeAll(async () => {
  const parent = await tempDir('modelreg-bypass-');
  base = join(parent, 'registry');
  await mrOk(parent, ['init', base], MAINT);
  await writeText(base, 'policies/default.yaml', STRICT_POLICY);
  await writeText(base, 'policies/lax.yaml', LAX_POLICY);
  await commitAll(base, 'policies: two approvals from ml-leads for Production', MAINT);
  const artifact = join(parent, 'model-1.2.0.bin');
  await writeFile(artifact, 'weights of 1.2.0\n');
  await mrOk(base, ['register', 'm', '--artifact', 's3://models/m/1.0.0', '--metric', 'accuracy=0.90']);
  await mrOk(base, ['register', 'm', '--artifact', 's3://models/m/1.1.0', '--metric', 'accuracy=0.91']);
  await mrOk(base, ['register', 'm', '--artifact', 's3://models/m/1.2.0', '--file', artifact, '--metric', 'accuracy=0.93']);
  await mrOk(base, ['register', 'm', '--artifact', 's3://models/m/1.3.0', '--metric', 'accuracy=0.50']);
  for (const v of ['1.0.0', '1.1.0']) {
    await mrOk(base, ['promote', 'm', v, '--to', 'Staging']);
    await mrOk(base, ['approve', 'm', v, '--stage', 'Production'], ALICE);
    await mrOk(base, ['approve', 'm', v, '--stage', 'Production'], BOB);
    await mrOk(base, ['promote', 'm', v, '--to', 'Production']);
  }
  promotion110 = await rev(base);
  await mrOk(base, ['promote', 'm', '1.2.0', '--to', 'Staging']);
  staging120 = await rev(base);
  // Model o uses a policy whose approvers are the model's owners (as the built-in default does).
  await writeText(base, 'policies/owned.yaml', OWNED_POLICY);
  await commitAll(base, 'policies: owners approve production', MAINT);
  await mrOk(base, ['register', 'o', '--artifact', 's3://models/o/1.0.0', '--policy', 'owned', '--owner', DANA.email, '--owner', ALICE.email]);
  await mrOk(base, ['promote', 'o', '1.0.0', '--to', 'Staging']);
  await mrOk(base, ['delete', 'm', '1.3.0', '--reason', 'trained on the wrong data'], MAINT);
  // The base itself is clean.
  const clean = await checkJson(base, []);
  expect(clean.code, dump(clean.report)).toBe(0);
  expect(await readText(base, V110)).toMatch(/^stage: Production$/m);
  expect(await readText(base, V100)).toMatch(/^stage: Archived$/m);
  expect(await readText(base, V120)).toMatch(/^stage: Staging$/m);
  expect(await readText(base, V120)).toMatch(/digest: sha256:[0-9a-f]{64}/);
  expect(await readText(base, MODEL)).toMatch(/deletedVersions:\n\s+- 1\.3\.0/);
}, 120_000);

/** A fresh clone of main with a new branch checked out: the attacker's pull request. */
async function branch(name: string): Promise<string> {
  const parent = await tempDir('modelreg-attack-');
  const dir = join(parent, 'pr');
  await git(parent, ['clone', '-q', base, dir]);
  await git(dir, ['checkout', '-q', '-b', `attack/${name}`]);
  return dir;
}

/** `modelreg check --base main --format json` on the checked-out branch. */
async function checkPr(dir: string, who: Person = MAINT): Promise<{ code: number; report: CheckJson }> {
  const r = await checkJson(dir, ['--base', 'main'], who);
  expectProblemShape(r.report);
  // PR_DEBUG=1 prints every report (handy when a check changes its messages).
  if (process.env.PR_DEBUG) console.log(`${dir}\nexit ${r.code}\n${dump(r.report)}`);
  return r;
}

/** Asserts the check failed (exit 1) with an error of `rule` whose message matches `phrase`. */
function expectCaught(r: { code: number; report: CheckJson }, rule: string, phrase: RegExp): void {
  const found = errors(r.report).filter((p) => p.rule === rule);
  expect(found.map((p) => p.message), `expected an error [${rule}] matching ${phrase}; got:\n${dump(r.report)}`).toEqual(expect.arrayContaining([expect.stringMatching(phrase)]));
  expect(r.report.ok).toBe(false);
  expect(r.code, dump(r.report)).toBe(1);
}

/** Hand promotion of 1.2.0 into Production, archiving the holder 1.1.0, as the tool would. */
async function promote120ByHand(dir: string): Promise<void> {
  await setStageByHand(dir, V120, 'Production');
  await setStageByHand(dir, V110, 'Archived');
}

describe('positive controls', () => {
  it('a promotion with two genuine approvals (approvers commit their own records) passes', async () => {
    const dir = await branch('legit');
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], BOB);
    await mrOk(dir, ['promote', 'm', '1.2.0', '--to', 'Production'], DANA);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(errors(r.report)).toEqual([]);
    expect(r.report.events.map((e) => e.description)).toEqual(expect.arrayContaining([
      'm 1.2.0: Staging → Production, archives 1.1.0',
      'm 1.2.0: approved for Production by alice@example.com',
      'm 1.2.0: approved for Production by bob@example.com',
    ]));
    const d = r.report.decisions!.find((x) => x.event.startsWith('m 1.2.0: Staging → Production'));
    expect(d?.allowed).toBe(true);
  });

  it('the same promotion made with plain git (stage edited by hand) passes when the approvals are genuine', async () => {
    const dir = await branch('legit-by-hand');
    await addApprovalsByHand(dir, V120, [{ by: ALICE.email, stage: 'Production', at: '2024-02-01T10:00:00Z' }]);
    await commitAll(dir, 'approve m 1.2.0 for Production', ALICE);
    await addApprovalsByHand(dir, V120, [{ by: BOB.email, stage: 'Production', at: '2024-02-01T11:00:00Z' }]);
    await commitAll(dir, 'approve m 1.2.0 for Production', BOB);
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0 to Production', DANA);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(0);
  });

  it('a genuine `modelreg rollback` (a real revert of the promotion) passes against rollback:', async () => {
    const dir = await branch('rollback');
    const out = await mrOk(dir, ['rollback', 'm', '--reason', 'latency regression'], MALLORY);
    expect(out.stdout).toContain(`reverts ${promotion110.slice(0, 12)}`);
    const msg = (await git(dir, ['log', '-1', '--format=%B'])).stdout;
    expect(msg).toMatch(/^Revert "promote m 1\.1\.0: Staging -> Production"/);
    expect(msg).toContain(`This reverts commit ${promotion110}.`);
    expect(await readText(dir, V100)).toMatch(/^stage: Production$/m);
    expect(await readText(dir, V110)).toMatch(/^stage: Staging$/m);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(0);
    expect(r.report.decisions!.some((d) => d.event.startsWith('rollback m') && d.allowed)).toBe(true);
  });
});

describe('attacks: each must fail `modelreg check --base main` with a message that names it', () => {
  it('stage edited by hand without approvals', async () => {
    const dir = await branch('hand-stage');
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-transition', /m 1\.2\.0: Staging → Production.*approvals.*found 0/);
    const p = errors(r.report).find((x) => x.rule === 'policy-transition')!;
    expect(p.file).toBe(V120);
    expect(p.line).toBe(4); // the stage: line
  });

  it('approval records forged for someone else (records say alice and bob, commit authored by mallory)', async () => {
    const dir = await branch('forged');
    await addApprovalsByHand(dir, V120, [
      { by: ALICE.email, stage: 'Production', at: '2024-02-01T10:00:00Z' },
      { by: BOB.email, stage: 'Production', at: '2024-02-01T11:00:00Z' },
    ]);
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0 (approved offline)', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'forged-approval', /approval by bob@example\.com for Production was added by mallory@example\.com/);
    expectCaught(r, 'forged-approval', /approval by alice@example\.com for Production was added by mallory@example\.com/);
    expectCaught(r, 'policy-transition', /found 0/);
  });

  it('an approval forged in its own commit, separate from the promotion', async () => {
    const dir = await branch('forged-separate');
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], ALICE);
    await addApprovalsByHand(dir, V120, [{ by: BOB.email, stage: 'Production', at: '2024-02-01T11:00:00Z' }]);
    await commitAll(dir, 'approve m 1.2.0 for Production', MALLORY);
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', DANA);
    const r = await checkPr(dir);
    expectCaught(r, 'forged-approval', /approval by bob@example\.com for Production was added by mallory@example\.com/);
    expectCaught(r, 'policy-transition', /found 1 \(alice@example\.com\)/);
  });

  it("approval by the transition's author where allowAuthor is false", async () => {
    const dir = await branch('self-approval');
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], BOB);
    // alice both approves and makes the move herself.
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', ALICE);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-transition', /not the author.*found 1 \(bob@example\.com\)/);
    expectCaught(r, 'policy-transition', /alice@example\.com.*author/);
  });

  it('the same person approving twice (two records, one person) counts once', async () => {
    const dir = await branch('double-approval');
    await addApprovalsByHand(dir, V120, [
      { by: BOB.email, stage: 'Production', at: '2024-02-01T10:00:00Z' },
      { by: 'Bob@Example.com', stage: 'Production', at: '2024-02-01T11:00:00Z' },
    ]);
    await commitAll(dir, 'approve m 1.2.0 for Production (twice)', BOB);
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', DANA);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-transition', /m 1\.2\.0: Staging → Production.*approvals.*found 1 \(bob@example\.com\)/);
  });

  it('policy loosened in the same change (min: 0) plus promotion', async () => {
    const dir = await branch('loosen');
    await editText(dir, 'policies/default.yaml', (s) => s.replace('approvals: { min: 2, from: [ml-leads], allowAuthor: false }', 'approvals: { min: 0 }'));
    await promote120ByHand(dir);
    await commitAll(dir, 'simplify policy; promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-change', /policy default \(policies\/default\.yaml\) modified in the same change as registry changes/);
    expectCaught(r, 'policy-transition', /needs at least 2 approvals for Production from ml-leads/);
    expect(r.report.events.map((e) => e.type)).toContain('policy-change');
  });

  it('policy deleted in the same change (falling back to the built-in default) plus promotion', async () => {
    const dir = await branch('policy-deleted');
    await unlink(join(dir, 'policies/default.yaml'));
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-change', /policy default \(policies\/default\.yaml\) deleted/);
    expectCaught(r, 'policy-transition', /needs at least 2 approvals for Production from ml-leads/);
  });

  it("model's policy: switched to a laxer policy plus promotion", async () => {
    const dir = await branch('policy-switch');
    await editText(dir, MODEL, (s) => s.replace(/^(owners:)/m, 'policy: lax\n$1'));
    await promote120ByHand(dir);
    await commitAll(dir, 'use the lax workflow; promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-switch', /m switches policy default → lax in the same change as other registry changes/);
    expectCaught(r, 'policy-transition', /needs at least 2 approvals for Production from ml-leads/);
  });

  it('modelreg.yaml pointing policies at another folder with a laxer default, plus promotion', async () => {
    const dir = await branch('config-policies');
    await editText(dir, 'modelreg.yaml', (s) => s.replace(/^policies: policies$/m, 'policies: workflow'));
    await writeText(dir, 'workflow/default.yaml', LAX_POLICY.replace('name: lax', 'name: default'));
    await promote120ByHand(dir);
    await commitAll(dir, 'move policies; promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'policy-transition', /needs at least 2 approvals for Production from ml-leads/);
  });

  it("model owners widened in the same change (an accomplice added to owners approves) plus promotion", async () => {
    const dir = await branch('owners');
    await editText(dir, 'registry/o/model.yaml', (s) => s.replace(/^owners:\n/m, `owners:\n  - ${EVE.email}\n`));
    await commitAll(dir, 'add eve as an owner of o', MALLORY);
    await addApprovalsByHand(dir, versionPath('o', '1.0.0'), [{ by: EVE.email, stage: 'Production', at: '2024-02-01T10:00:00Z' }]);
    await commitAll(dir, 'approve o 1.0.0 for Production', EVE);
    await setStageByHand(dir, versionPath('o', '1.0.0'), 'Production');
    await commitAll(dir, 'promote o 1.0.0', MALLORY);
    const r = await checkPr(dir);
    // The owners at base (dana, alice) decide; eve is not one of them. Either the move is
    // evaluated with the base's owners, or the owners change in the same change is an error.
    expect(r.code, dump(r.report)).toBe(1);
    const hits = errors(r.report).filter((p) => (p.rule === 'policy-transition' ? /o 1\.0\.0: Staging → Production.*found 0/ : /owners/).test(p.message));
    expect(hits.length, `the promotion approved by a freshly added owner was not caught; got:\n${dump(r.report)}`).toBeGreaterThan(0);
  });

  it('immutable field changed: the artifact digest', async () => {
    const dir = await branch('digest');
    await editText(dir, V120, (s) => s.replace(/digest: sha256:[0-9a-f]{64}/, `digest: sha256:${'e'.repeat(64)}`));
    await commitAll(dir, 'fix digest', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'immutable-field', /artifact of m 1\.2\.0 changed; artifact is immutable/);
    const p = errors(r.report).find((x) => x.rule === 'immutable-field')!;
    expect(p.file).toBe(V120);
    expect(p.field).toBe('artifact');
  });

  it('immutable field changed: a metric', async () => {
    const dir = await branch('metric');
    await editText(dir, V120, (s) => s.replace('accuracy: 0.93', 'accuracy: 0.99'));
    await commitAll(dir, 'update metrics', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'immutable-field', /metrics of m 1\.2\.0 changed; metrics is immutable/);
  });

  it('a version deleted and re-added with other content (two commits in one pull request)', async () => {
    const dir = await branch('delete-readd');
    await mrOk(dir, ['delete', 'm', '1.2.0'], MALLORY);
    expect(await readText(dir, MODEL)).toMatch(/- 1\.2\.0/);
    // Re-add it by hand with another artifact, and drop it from deletedVersions again.
    const original = (await git(dir, ['show', `main:${V120}`])).stdout;
    await writeText(dir, V120, original.replace('s3://models/m/1.2.0', 's3://evil/m/1.2.0').replace(/digest: sha256:[0-9a-f]{64}/, `digest: sha256:${'0'.repeat(64)}`));
    await editText(dir, MODEL, (s) => s.replace(/\n\s+- 1\.2\.0/, ''));
    await commitAll(dir, 're-add m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'immutable-field', /artifact of m 1\.2\.0 changed/);
  });

  it('a version number reused after deletion (1.3.0 re-added)', async () => {
    const dir = await branch('reuse');
    const original = (await git(dir, ['show', `main~1:${V130}`])).stdout;
    await writeText(dir, V130, original.replace('s3://models/m/1.3.0', 's3://models/m/1.3.0-retrained').replace('accuracy: 0.5', 'accuracy: 0.95'));
    await commitAll(dir, 'register m 1.3.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'version-reused', /m 1\.3\.0 was deleted; version numbers are never reused/);
  });

  it('a version number reused after deletion, with the deletedVersions record removed too', async () => {
    const dir = await branch('reuse-unrecord');
    const original = (await git(dir, ['show', `main~1:${V130}`])).stdout;
    await writeText(dir, V130, original.replace('s3://models/m/1.3.0', 's3://models/m/1.3.0-retrained'));
    await editText(dir, MODEL, (s) => s.replace(/deletedVersions:\n\s+- 1\.3\.0\n/, ''));
    await commitAll(dir, 'register m 1.3.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'version-reused', /deleted/);
  });

  it('a version recorded as deleted while its file stays (the file itself unchanged, so not read)', async () => {
    const dir = await branch('delete-keep-file');
    await editText(dir, MODEL, (s) => s.replace(/(deletedVersions:\n(\s+)- 1\.3\.0\n)/, '$1$2- 1.1.0\n'));
    await commitAll(dir, 'mark m 1.1.0 deleted', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'version-reused', /version 1\.1\.0 was deleted and may not be reused/);
  });

  it('an exclusive stage held by two versions (promotion without archiving the holder)', async () => {
    const dir = await branch('exclusive');
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.2.0', '--stage', 'Production'], BOB);
    await setStageByHand(dir, V120, 'Production');
    await commitAll(dir, 'promote m 1.2.0 (keep 1.1.0 serving)', DANA);
    const r = await checkPr(dir);
    expectCaught(r, 'exclusive-stage', /stage Production is exclusive, but 2 versions of m are in it \(1\.1\.0, 1\.2\.0\)|\(1\.2\.0, 1\.1\.0\)/);
  });

  it('a rename of a model folder', async () => {
    const dir = await branch('rename');
    await rename(join(dir, 'registry/m'), join(dir, 'registry/m2'));
    await editText(dir, 'registry/m2/model.yaml', (s) => s.replace(/^name: m$/m, 'name: m2'));
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await editText(dir, `registry/m2/versions/${v}.yaml`, (s) => s.replace(/^model: m$/m, 'model: m2'));
    await commitAll(dir, 'rename m to m2', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'model-renamed', /model m was renamed or moved to m2 \(registry\/m → registry\/m2\)/);
  });

  it('a rename of a model folder that only changes case', async () => {
    const dir = await branch('rename-case');
    await git(dir, ['mv', 'registry/m', 'registry/M'], { who: MALLORY });
    await editText(dir, 'registry/M/model.yaml', (s) => s.replace(/^name: m$/m, 'name: M'));
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await editText(dir, `registry/M/versions/${v}.yaml`, (s) => s.replace(/^model: m$/m, 'model: M'));
    await setStageByHand(dir, 'registry/M/versions/1.2.0.yaml', 'Production');
    await setStageByHand(dir, 'registry/M/versions/1.1.0.yaml', 'Archived');
    await commitAll(dir, 'rename m to M; promote 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(1);
    expect(errors(r.report).map((p) => p.rule)).toEqual(expect.arrayContaining([expect.stringMatching(/^(model-removed|immutable-field|policy-transition)$/)]));
    expectCaught(r, 'policy-transition', /1\.2\.0: Staging → Production/);
    // Each problem is reported once.
    const lines = r.report.problems.map((p) => `${p.file}:${p.line} [${p.rule}] ${p.message}`);
    expect(lines.filter((l, i) => lines.indexOf(l) !== i), dump(r.report)).toEqual([]);
  });

  it('a symlink swapped in for a version file (ln -s)', async () => {
    const dir = await branch('symlink');
    const evil = (await readText(dir, V120)).replace(/^stage: Staging$/m, 'stage: Production');
    await writeText(dir, 'docs/m-1.2.0.yaml', evil);
    await setStageByHand(dir, V110, 'Archived');
    await rm(join(dir, V120));
    await symlink('../../../docs/m-1.2.0.yaml', join(dir, V120));
    await commitAll(dir, 'deduplicate version files', MALLORY);
    expect((await git(dir, ['ls-files', '-s', V120])).stdout).toMatch(/^120000 /);
    const r = await checkPr(dir);
    expectCaught(r, 'symlink', /is a symbolic link; registry files must be regular files/);
    expect(errors(r.report).find((p) => p.rule === 'symlink')!.file).toBe(V120);
  });

  it('a symlink swapped in for the policy file (pointing at the lax policy)', async () => {
    const dir = await branch('symlink-policy');
    await rm(join(dir, 'policies/default.yaml'));
    await symlink('lax.yaml', join(dir, 'policies/default.yaml'));
    await promote120ByHand(dir);
    await commitAll(dir, 'one policy for all', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'symlink', /is a symbolic link/);
    expectCaught(r, 'policy-transition', /needs at least 2 approvals for Production from ml-leads/);
  });

  it('a broken version file is reported as itself, not as the whole model folder being removed', async () => {
    const dir = await branch('symlink-message');
    await rm(join(dir, V120));
    await symlink('1.1.0.yaml', join(dir, V120));
    await commitAll(dir, 'link 1.2.0 to 1.1.0', MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'symlink', /is a symbolic link/);
    expect(r.report.problems.filter((p) => p.rule === 'model-removed'), dump(r.report)).toEqual([]);
  });

  it('a duplicate stage: key (parsers that keep the last one would see Production)', async () => {
    const dir = await branch('duplicate-key');
    await editText(dir, V120, (s) => s.replace(/^stage: Staging$/m, 'stage: Staging\nstage: Production'));
    await commitAll(dir, 'promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(1);
    expect(errors(r.report).some((p) => p.file === V120 && /duplicate/i.test(`${p.rule} ${p.message}`)), dump(r.report)).toBe(true);
  });

  it("a commit claiming `This reverts commit <sha>.` that is not a real revert", async () => {
    const dir = await branch('fake-revert');
    await promote120ByHand(dir);
    await commitAll(dir, `Revert "promote m 1.1.0: Staging -> Production"\n\nThis reverts commit ${promotion110}.`, MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'fake-revert', new RegExp(`claims to revert ${promotion110.slice(0, 12)} but that commit did not change the stage of m 1\\.2\\.0`));
    expectCaught(r, 'policy-transition', /m 1\.2\.0: Staging → Production.*found 0/);
  });

  it('a revert claim naming a commit that does not exist', async () => {
    const dir = await branch('fake-revert-missing');
    await promote120ByHand(dir);
    await commitAll(dir, `Revert "promote m 1.2.0"\n\nThis reverts commit ${'a'.repeat(40)}.`, MALLORY);
    const r = await checkPr(dir);
    expectCaught(r, 'fake-revert', /that commit does not exist/);
    expectCaught(r, 'policy-transition', /found 0/);
  });

  it('a real revert of an unrelated stage change laundering a promotion made in a later commit', async () => {
    // Commit 1 genuinely reverts "1.2.0 None -> Staging" (1.2.0 back to None); commit 2 moves
    // 1.2.0 None -> Production by hand. Net: Staging -> Production with no approvals, and the
    // first commit that changed 1.2.0's stage is a real revert.
    const dir = await branch('revert-laundering');
    await git(dir, ['revert', '--no-edit', staging120], { who: MALLORY });
    expect(await readText(dir, V120)).toMatch(/^stage: None$/m);
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', MALLORY);
    const r = await checkPr(dir);
    expect(r.code, dump(r.report)).toBe(1);
    const hits = errors(r.report).filter((p) => ['policy-transition', 'fake-revert'].includes(p.rule) && /m 1\.2\.0/.test(p.message));
    expect(hits.length, `the promotion of 1.2.0 was not caught; got:\n${dump(r.report)}`).toBeGreaterThan(0);
  });

  it('a promotion hidden in a merge commit of the branch', async () => {
    const dir = await branch('merge-hidden');
    await git(dir, ['checkout', '-q', '-b', 'side', 'main'], { who: MALLORY });
    await promote120ByHand(dir);
    await commitAll(dir, 'promote m 1.2.0', MALLORY);
    await git(dir, ['checkout', '-q', 'attack/merge-hidden'], { who: MALLORY });
    await writeText(dir, 'registry/README.md', '# Registry\n\nedited\n');
    await commitAll(dir, 'docs', MALLORY);
    await git(dir, ['merge', '-q', '--no-ff', '-m', 'Merge side', 'side'], { who: MALLORY });
    const r = await checkPr(dir);
    expectCaught(r, 'policy-transition', /m 1\.2\.0: Staging → Production.*found 0/);
  });
});
