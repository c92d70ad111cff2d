/**
 * approvals.resetOn (issue 15): an approval recorded for a version no longer counts once that
 * version was rolled back out of the stage, so putting it back needs a fresh review. Real
 * repositories, the built CLI as each person, `check --base` as CI runs it.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_YAML, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';
import { ALICE, BOB, DANA, MAINT, STRICT_POLICY, checkJson, commitAll, dump, editText, errors, git, mr, mrOk, versionPath, writeText } from '../pr/helpers.js';

const V = versionPath('m', '1.0.0');

/** main: model m, version 1.0.0 in Staging, the strict policy (Production exclusive, 2 approvals from ml-leads) with `policyEdit` applied. */
async function registry(policyEdit: (p: string) => string = (p) => p): Promise<string> {
  return makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'policies/default.yaml': policyEdit(STRICT_POLICY),
    'registry/m/model.yaml': modelYaml('m'),
    [V]: versionYaml('m', '1.0.0', 'Staging'),
  });
}

const NO_RESET = (p: string) => p.replace('approvals: { min: 2, from: [ml-leads], allowAuthor: false }', 'approvals: { min: 2, from: [ml-leads], allowAuthor: false, resetOn: [] }');

/** Both leads approve, Dana promotes, the maintainer rolls Production back. */
async function promoteAndRollBack(dir: string): Promise<void> {
  await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
  await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
  await mrOk(dir, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);
  const rb = await mrOk(dir, ['rollback', 'm', '--stage', 'Production', '--json'], MAINT);
  expect(JSON.parse(rb.stdout)).toMatchObject({ changes: [{ version: '1.0.0', from: 'Production', to: 'Staging' }] });
}

describe('approvals reset on rollback (default for an exclusive stage)', () => {
  it('promote -> rollback -> promote again needs fresh approvals; the same people may approve again', async () => {
    const dir = await registry();
    await promoteAndRollBack(dir);

    const denied = await mr(dir, ['promote', 'm', '1.0.0', '--to', 'Production', '--json'], DANA);
    expect(denied.code, denied.stderr).toBe(1);
    const check = (JSON.parse(denied.stdout) as { checks: Array<{ name: string; ok: boolean; actual: string }> }).checks.find((c) => c.name === 'approvals')!;
    expect(check.ok).toBe(false);
    expect(check.actual).toMatch(/^0; not counted: alice@example\.com \(approved before the rollback out of Production in [0-9a-f]{12}; approve again\), bob@example\.com/);

    // Approving again is allowed (the old approval no longer counts), and counts.
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    const one = await mr(dir, ['promote', 'm', '1.0.0', '--to', 'Production', '--dry-run', '--json'], DANA);
    expect(JSON.parse(one.stdout).decision.checks.find((c: { name: string }) => c.name === 'approvals').actual).toMatch(/^1 \(alice@example\.com\); not counted: bob@example\.com/);
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
    await mrOk(dir, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);

    // A second approval without a rollback in between is still refused.
    const twice = await mr(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('already approved');
  });

  it('with resetOn: [] the approvals made before the rollback still count', async () => {
    const dir = await registry(NO_RESET);
    await promoteAndRollBack(dir);
    await mrOk(dir, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);
    const again = await mr(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain('already approved');
  });

  it('a non-exclusive stage keeps its approvals unless resetOn says so', async () => {
    const stagingApproval = (p: string) => p.replace('  - from: None\n    to: Staging\n', '  - from: None\n    to: Staging\n    approvals: { min: 1, from: [ml-leads] }\n');
    for (const [edit, expected] of [[stagingApproval, 0], [(p: string) => stagingApproval(p).replace('approvals: { min: 1, from: [ml-leads] }', 'approvals: { min: 1, from: [ml-leads], resetOn: [rollback] }'), 1]] as const) {
      const dir = await registry(edit);
      await editText(dir, V, (t) => t.replace('stage: Staging', 'stage: None'));
      await commitAll(dir, 'start in None', MAINT);
      await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Staging'], ALICE);
      await mrOk(dir, ['promote', 'm', '1.0.0', '--to', 'Staging'], DANA);
      await mrOk(dir, ['rollback', 'm', '--stage', 'Staging'], MAINT);
      const r = await mr(dir, ['promote', 'm', '1.0.0', '--to', 'Staging'], DANA);
      expect(r.code, r.stderr).toBe(expected);
    }
  });

  it('check --base: a pull request putting the rolled-back version back fails on old approvals and passes with fresh ones', async () => {
    for (const [edit, fresh] of [[(p: string) => p, false], [NO_RESET, true]] as const) {
      const dir = await registry(edit);
      await promoteAndRollBack(dir);
      await git(dir, ['checkout', '-q', '-b', 'again'], { who: DANA });
      await editText(dir, V, (t) => t.replace('stage: Staging', 'stage: Production'));
      await commitAll(dir, 'promote m 1.0.0 again', DANA);
      const { code, report } = await checkJson(dir, ['--base', 'main']);
      if (fresh) {
        expect(code, dump(report)).toBe(0);
        continue;
      }
      expect(code, dump(report)).toBe(1);
      const problem = errors(report).find((p) => p.rule === 'policy-transition');
      expect(problem?.message, dump(report)).toContain('approved before the rollback out of Production');
      expect(problem?.file).toBe(V);

      await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
      await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
      const after = await checkJson(dir, ['--base', 'main']);
      expect(after.code, dump(after.report)).toBe(0);
    }
  });

  it('a revert made with plain git resets approvals too; a move back by hand without a rollback is not a reset', async () => {
    const dir = await registry();
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
    await mrOk(dir, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);
    await git(dir, ['revert', '--no-edit', 'HEAD'], { who: MAINT });
    expect((await mr(dir, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA)).code).toBe(1);

    // Moved back by hand with a message that says nothing of a rollback: not a reset.
    const plain = await registry();
    await mrOk(plain, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    await mrOk(plain, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
    await mrOk(plain, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);
    await editText(plain, V, (t) => t.replace('stage: Production', 'stage: Staging'));
    await commitAll(plain, 'back to Staging by hand', MAINT);
    await mrOk(plain, ['promote', 'm', '1.0.0', '--to', 'Production'], DANA);
  });
});

describe('putting a rolled-back version back by another rollback is a promotion', () => {
  it('rollback --to the version a rollback took out needs fresh approvals; rolling back to an archived predecessor does not', async () => {
    const dir = await registry();
    await promoteAndRollBack(dir);
    const back = await mr(dir, ['rollback', 'm', '--stage', 'Production', '--to', '1.0.0'], MAINT);
    expect(back.code, back.stderr).toBe(1);
    expect(back.stderr).toContain('approved before the rollback out of Production');
    expect(back.stderr).toContain('putting it back is a promotion');
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.0.0', '--stage', 'Production'], BOB);
    await mrOk(dir, ['rollback', 'm', '--stage', 'Production', '--to', '1.0.0'], MAINT);

    // 1.1.0 replaces 1.0.0 (archived, not rolled back): rolling back to 1.0.0 needs nothing.
    await writeText(dir, versionPath('m', '1.1.0'), versionYaml('m', '1.1.0', 'Staging'));
    await commitAll(dir, 'register 1.1.0', MAINT);
    await mrOk(dir, ['approve', 'm', '1.1.0', '--stage', 'Production'], ALICE);
    await mrOk(dir, ['approve', 'm', '1.1.0', '--stage', 'Production'], BOB);
    await mrOk(dir, ['promote', 'm', '1.1.0', '--to', 'Production'], DANA);
    const r = await mrOk(dir, ['rollback', 'm', '--stage', 'Production', '--json'], MAINT);
    expect(JSON.parse(r.stdout)).toMatchObject({ restored: '1.0.0' });
  });

  it('check --base: reverting the rollback with git revert is checked as a promotion', async () => {
    const dir = await registry();
    await promoteAndRollBack(dir);
    await git(dir, ['checkout', '-q', '-b', 'undo'], { who: DANA });
    await git(dir, ['revert', '--no-edit', 'HEAD'], { who: DANA });
    const { code, report } = await checkJson(dir, ['--base', 'main']);
    expect(code, dump(report)).toBe(1);
    const problem = errors(report).find((p) => p.rule === 'policy-rollback');
    expect(problem?.message, dump(report)).toContain('putting it back is a promotion');
  });
});
