/**
 * The UI's actions below HTTP: a preview is the operation's dry run (checklist and planned
 * commit, nothing written), a confirm commits through the same operation, and a denial at
 * either step writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/ops/context.js';
import { confirmAction, previewAction, changedRows, type Runner } from '../../src/server/actions.js';
import type { Identity } from '../../src/storage/repo.js';
import { ALICE, DANA, git, rev } from '../pr/helpers.js';
import { registry } from './fixtures.js';

const runnerFor = (dir: string): Runner => async (actor: Identity, fn) => fn(await Context.open({ dir, identity: actor, env: {} }), { push: false });

async function refs(dir: string): Promise<string> {
  return (await git(dir, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
}

describe('promote', () => {
  it('previews a move that lacks only approvals as a proposal branch, writing nothing', async () => {
    const { dir } = await registry();
    const before = await refs(dir);
    const p = await previewAction('promote', { model: 'churn', version: '1.1.0', stage: 'Production' }, runnerFor(dir), DANA);
    expect(p).toMatchObject({ step: 'preview', mode: 'branch', branch: 'modelreg/promote-churn-1.1.0-production', title: 'promote churn 1.1.0 to Production' });
    expect(p.decision?.allowed).toBe(false);
    expect(p.decision?.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([expect.stringMatching(/^approvals/)]);
    expect(p.planned?.subject).toBe('promote churn 1.1.0: Staging -> Production');
    expect(p.planned?.trailers).toContainEqual(['Modelreg-Archived', '1.0.0']);
    const stageRows = p.planned!.files.find((f) => f.path.endsWith('1.1.0.yaml'))!.rows.filter((r) => r.op !== ' ');
    expect(stageRows).toEqual([{ op: '-', text: 'stage: Staging' }, { op: '+', text: 'stage: Production' }]);
    expect(await refs(dir)).toBe(before);
  });

  it('confirm opens the branch with the commit promote --branch makes', async () => {
    const { dir } = await registry();
    const main = await rev(dir, 'main');
    const r = await confirmAction('promote', { model: 'churn', version: '1.1.0', stage: 'Production', mode: 'branch' }, runnerFor(dir), DANA);
    expect(r).toMatchObject({ step: 'done', mode: 'branch', branch: 'modelreg/promote-churn-1.1.0-production' });
    expect(await rev(dir, 'main')).toBe(main);
    expect(r.commit).toBe(await rev(dir, 'modelreg/promote-churn-1.1.0-production'));
  });

  it('a guard that fails is a denial with the checklist, in preview and on confirm, and writes nothing', async () => {
    const { dir } = await registry();
    const before = await refs(dir);
    const p = await previewAction('promote', { model: 'churn', version: '1.2.0', stage: 'Staging' }, runnerFor(dir), DANA);
    expect(p.step).toBe('denied');
    expect(p.decision?.checks.some((c) => !c.ok && /team/.test(`${c.expected}`))).toBe(true);
    const c = await confirmAction('promote', { model: 'churn', version: '1.2.0', stage: 'Staging', mode: 'commit' }, runnerFor(dir), DANA);
    expect(c).toMatchObject({ step: 'denied', error: { code: 'DENIED' } });
    expect(c.decision?.allowed).toBe(false);
    // A forged mode=branch cannot carry a guard failure either.
    const b = await confirmAction('promote', { model: 'churn', version: '1.2.0', stage: 'Staging', mode: 'branch' }, runnerFor(dir), DANA);
    expect(b.step).toBe('denied');
    expect(await refs(dir)).toBe(before);
  });

  it('a move the policy allows now is committed on the served branch', async () => {
    const { dir } = await registry();
    const p = await previewAction('promote', { model: 'churn', version: '1.1.0', stage: 'Archived' }, runnerFor(dir), DANA);
    expect(p).toMatchObject({ step: 'preview', mode: 'commit', branch: 'main' });
    const c = await confirmAction('promote', { ...p.fields, mode: 'commit' }, runnerFor(dir), DANA);
    expect(c).toMatchObject({ step: 'done', branch: 'main', commit: await rev(dir, 'main') });
  });
});

describe('approve', () => {
  it('on a proposal branch: the preview shows the move\'s checklist and whether the approval counts; confirm commits on that branch as the approver', async () => {
    const { dir } = await registry();
    await confirmAction('promote', { model: 'churn', version: '1.1.0', stage: 'Production', mode: 'branch' }, runnerFor(dir), DANA);
    const branch = 'modelreg/promote-churn-1.1.0-production';
    const fields = { model: 'churn', version: '1.1.0', stage: 'Production', branch, comment: 'metrics reviewed' };
    const p = await previewAction('approve', fields, runnerFor(dir), ALICE);
    expect(p).toMatchObject({ step: 'preview', branch });
    expect(p.notes[0]).toMatch(/counts/);
    expect(p.decision?.allowed).toBe(false);
    expect(p.planned?.trailers).toEqual([['Modelreg-Action', 'approve'], ['Modelreg-Model', 'churn'], ['Modelreg-Version', '1.1.0'], ['Modelreg-Stage', 'Production'], ['Modelreg-Approver', ALICE.email]]);
    const tip = await rev(dir, branch);
    expect(await rev(dir, branch)).toBe(tip);
    const c = await confirmAction('approve', fields, runnerFor(dir), ALICE);
    expect(c).toMatchObject({ step: 'done', branch });
    expect((await git(dir, ['log', '-1', '--format=%an <%ae>%n%P', branch])).stdout.trim()).toBe(`${ALICE.name} <${ALICE.email}>\n${tip}`);
  });

  it('for an alias: the preview shows the alias move\'s checklist; once approved, the alias is allowed', async () => {
    const { dir } = await registry();
    const fields = { model: 'churn', version: '1.2.0', stage: 'alias:challenger' };
    const p = await previewAction('approve', fields, runnerFor(dir), ALICE);
    expect(p.step).toBe('preview');
    expect(p.decision?.allowed).toBe(false);
    expect(p.decision?.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([expect.stringMatching(/^approvals/)]);
    expect((await confirmAction('approve', fields, runnerFor(dir), ALICE)).step).toBe('done');
    const move = await previewAction('alias', { model: 'churn', alias: 'challenger', version: '1.2.0' }, runnerFor(dir), DANA);
    expect(move).toMatchObject({ step: 'preview', decision: { allowed: true } });
  });

  it('a branch outside modelreg/ is refused as bad input', async () => {
    const { dir } = await registry();
    const r = await previewAction('approve', { model: 'churn', version: '1.1.0', stage: 'Production', branch: 'main' }, runnerFor(dir), ALICE);
    expect(r).toMatchObject({ step: 'error', error: { code: 'BAD_INPUT' } });
  });
});

describe('rollback, alias, tag, describe', () => {
  it('rollback previews the revert and its checklist, then commits it', async () => {
    const { dir } = await registry();
    const before = await rev(dir, 'main');
    const p = await previewAction('rollback', { model: 'churn', stage: 'Production', reason: 'latency' }, runnerFor(dir), DANA);
    expect(p).toMatchObject({ step: 'preview', mode: 'commit' });
    expect(p.decision?.allowed).toBe(true);
    expect(p.planned?.subject).toMatch(/^Revert "promote churn 1\.0\.0: Staging -> Production"$/);
    expect(await rev(dir, 'main')).toBe(before);
    const c = await confirmAction('rollback', p.fields, runnerFor(dir), DANA);
    expect(c.step).toBe('done');
    expect((await git(dir, ['log', '-1', '--format=%B', 'main'])).stdout).toContain(`This reverts commit`);
  });

  it('an alias the policy denies shows its checklist and writes nothing', async () => {
    const { dir } = await registry();
    const before = await rev(dir, 'main');
    const p = await previewAction('alias', { model: 'churn', alias: 'champion', version: '1.1.0' }, runnerFor(dir), DANA);
    expect(p.step).toBe('denied');
    expect(p.decision?.checks.some((c) => !c.ok)).toBe(true);
    const ok = await previewAction('alias', { model: 'churn', alias: 'champion', version: '1.0.0' }, runnerFor(dir), DANA);
    expect(ok).toMatchObject({ step: 'preview', decision: { allowed: true } });
    expect(await rev(dir, 'main')).toBe(before);
  });

  it('tag and describe preview the changed lines; confirm commits one commit each', async () => {
    const { dir } = await registry();
    const t = await previewAction('tag', { model: 'churn', version: '1.1.0', key: 'reviewed', value: 'yes' }, runnerFor(dir), DANA);
    expect(t.planned?.files[0].rows.filter((r) => r.op === '+')).toEqual([{ op: '+', text: '  reviewed: yes' }]);
    const d = await confirmAction('describe', { model: 'churn', description: 'Churn <b>classifier</b>' }, runnerFor(dir), DANA);
    expect(d.step).toBe('done');
    expect((await git(dir, ['log', '-1', '--format=%s', 'main'])).stdout.trim()).toBe('describe churn');
    const missing = await previewAction('describe', { model: '' }, runnerFor(dir), DANA);
    expect(missing).toMatchObject({ step: 'error', error: { code: 'BAD_INPUT' } });
  });
});

describe('changedRows', () => {
  it('shows the changed lines with one line of context', () => {
    expect(changedRows('a\nb\nc\nd\n', 'a\nb\nC\nd\n')).toEqual([{ op: ' ', text: 'b' }, { op: '-', text: 'c' }, { op: '+', text: 'C' }, { op: ' ', text: 'd' }]);
    expect(changedRows(undefined, 'x\ny\n')).toEqual([{ op: '+', text: 'x' }, { op: '+', text: 'y' }]);
  });
});
