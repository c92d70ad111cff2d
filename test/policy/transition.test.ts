import { describe, expect, it } from 'vitest';
import { isRegistryError } from '../../src/errors/index.js';
import { allowedMoves, evaluateTransition, type Decision, type TransitionInput } from '../../src/policy/index.js';
import { approval, DAVE, DESIGN_POLICY, MODEL, NOW, policyOf, smallPolicy, version } from './fixtures.js';

const design = await policyOf(DESIGN_POLICY);
const requirements = await smallPolicy('transitions:\n  - from: A\n    to: B\n    requireTags: [dataset, owner]\n    requireFields: [artifact.digest, lineage.data]\n');
const matching = await smallPolicy([
  'transitions:',
  '  - from: [A, B]', '    to: C', '    requireTags: [dataset]',
  '  - from: "*"', '    to: [C, Archived]', '    when: version.metrics.accuracy > 0.95',
  '  - from: A', '    to: B', '',
].join('\n'));
const DAY = 86_400_000;

function input(over: Partial<TransitionInput> = {}): TransitionInput {
  return {
    policy: design, model: MODEL, version: version(), to: 'Production', actor: DAVE, now: NOW,
    enteredStageAt: new Date(NOW.getTime() - 2 * DAY),
    approvals: [approval('alice@example.com', 'Production'), approval('bob@example.com', 'Production')],
    ...over,
  };
}
const check = (d: Decision, name: string) => d.checks.find((c) => c.name === name);

describe('evaluateTransition: the DESIGN.md policy', () => {
  it('allows Staging -> Production when every requirement holds', () => {
    const d = evaluateTransition(input());
    expect(d.allowed).toBe(true);
    expect(d.checks.map((c) => [c.name, c.ok])).toEqual([['transition', true], ['when', true], ['approvals', true], ['minTimeInStage', true]]);
    expect(d.message).toBe('churn 2.1.0 may move Staging -> Production: all 4 checks pass.');
  });

  it('denies when the guard is false, naming the expression and the value', () => {
    const d = evaluateTransition(input({ version: version({ metrics: { accuracy: 0.9, f1: 0.5 } }) }));
    expect(d.allowed).toBe(false);
    expect(check(d, 'when')).toMatchObject({ ok: false, expected: 'version.metrics.f1 >= 0.8', actual: 'false', rule: 'transitions[1]' });
    expect(d.message).toContain('cannot move Staging -> Production');
  });

  it('fails closed when the guard errors at evaluation', () => {
    const d = evaluateTransition(input({ version: version({ metrics: { accuracy: 0.9 } }) }));
    expect(d.allowed).toBe(false);
    expect(check(d, 'when')).toMatchObject({ ok: false, actual: 'error: No such key: f1' });
  });

  it('evaluates None -> Staging with has() over tags that are absent', () => {
    const base = { to: 'Staging', approvals: [] };
    expect(evaluateTransition(input({ ...base, version: version({ stage: 'None' }) })).allowed).toBe(true);
    const noTags = version({ stage: 'None' });
    delete noTags.tags;
    expect(check(evaluateTransition(input({ ...base, version: noTags })), 'when')).toMatchObject({ ok: false, actual: 'false' });
  });

  it('allows "*" -> Archived from any stage with no requirements', () => {
    for (const stage of ['None', 'Staging', 'Production']) {
      const d = evaluateTransition(input({ version: version({ stage }), to: 'Archived', approvals: [] }));
      expect(d.allowed).toBe(true);
      expect(d.checks).toEqual([{ name: 'transition', ok: true, expected: `a rule allowing ${stage} -> Archived`, actual: 'transitions[2]' }]);
    }
  });

  it('denies a move no rule matches and lists the allowed moves', () => {
    const d = evaluateTransition(input({ version: version({ stage: 'None' }), to: 'Production' }));
    expect(d.allowed).toBe(false);
    expect(d.allowedMoves).toEqual(['Staging', 'Archived']);
    expect(d.message).toBe('No rule of policy default allows churn 2.1.0 to move None -> Production; the allowed moves from None are: Staging, Archived.');
    expect(evaluateTransition(input({ version: version({ stage: 'Archived' }), to: 'Staging' })).message).toContain('no move is allowed from Archived');
  });

  it('denies a move to the current stage', () => {
    const d = evaluateTransition(input({ to: 'Staging' }));
    expect(d.allowed).toBe(false);
    expect(d.checks[0]).toMatchObject({ name: 'stage', actual: 'already in Staging' });
    expect(d.message).toContain('already in Staging');
  });

  it('throws BAD_INPUT for a stage the policy does not define, naming the file and the stages', () => {
    let err: unknown;
    try {
      evaluateTransition(input({ to: 'production' }));
    } catch (e) {
      err = e;
    }
    expect(isRegistryError(err, 'BAD_INPUT')).toBe(true);
    expect((err as Error).message).toContain('policies/test.yaml');
    expect((err as Error).message).toContain('None, Staging, Production, Archived');
    expect((err as Error).message).toContain('Did you mean Production?');
  });
});

describe('evaluateTransition: approvals', () => {
  const approvalsOf = (over: Partial<TransitionInput>) => check(evaluateTransition(input(over)), 'approvals')!;

  it('counts distinct eligible approvers for the target stage only', () => {
    const a = approvalsOf({ approvals: [approval('alice@example.com', 'Production'), approval('ALICE@example.com', 'Production'), approval('bob@example.com', 'Staging')] });
    expect(a).toMatchObject({ ok: false, actual: '1 (alice@example.com)' });
    expect(a.expected).toBe('at least 2 approvals for Production from ml-leads, not the author');
  });

  it('ignores approvers outside the groups, saying why', () => {
    const a = approvalsOf({ approvals: [approval('alice@example.com', 'Production'), approval('mallory@example.com', 'Production')] });
    expect(a.ok).toBe(false);
    expect(a.actual).toBe('1 (alice@example.com); not counted: mallory@example.com (not in ml-leads)');
  });

  it('matches github identities of a group', () => {
    expect(approvalsOf({ approvals: [approval('alice@example.com', 'Production'), approval('github:Carol', 'Production')] }).ok).toBe(true);
  });

  it('excludes the actor when allowAuthor is false, by email or github login', () => {
    const alice = { email: 'Alice@Example.com' };
    expect(approvalsOf({ actor: alice })).toMatchObject({ ok: false, actual: '1 (bob@example.com); not counted: alice@example.com (the author of the change)' });
    const carol = { email: 'carol@example.com', github: 'carol' };
    expect(approvalsOf({ actor: carol, approvals: [approval('alice@example.com', 'Production'), approval('github:carol', 'Production')] }).ok).toBe(false);
  });

  it('counts the actor when allowAuthor is true, and owners when from lists owners', async () => {
    const p = await smallPolicy('transitions:\n  - from: A\n    to: B\n    approvals: { min: 2, from: [owners], allowAuthor: true }\n');
    const owner = { email: 'owner@example.com' };
    const d = evaluateTransition(input({ policy: p, version: version({ stage: 'A' }), to: 'B', actor: owner, approvals: [approval('owner@example.com', 'B'), approval('github:olga', 'B'), approval('x@y.io', 'B')] }));
    expect(check(d, 'approvals')).toMatchObject({ ok: true, actual: '2 (owner@example.com, github:olga); not counted: x@y.io (not in owners)' });
  });

  it('lets anyone approve when from is absent', async () => {
    const p = await smallPolicy('transitions:\n  - from: A\n    to: B\n    approvals: { min: 1 }\n');
    expect(evaluateTransition(input({ policy: p, version: version({ stage: 'A' }), to: 'B', approvals: [approval('x@y.io', 'B')] })).allowed).toBe(true);
  });
});

describe('evaluateTransition: minTimeInStage, requireTags, requireFields', () => {
  it('checks time in stage against enteredStageAt', () => {
    const short = check(evaluateTransition(input({ enteredStageAt: new Date(NOW.getTime() - 3_600_000) })), 'minTimeInStage')!;
    expect(short).toMatchObject({ ok: false, expected: 'at least 24h in Staging' });
    expect(short.actual).toContain('1h since');
    expect(short.actual).toContain('23h to go');
  });

  it('fails minTimeInStage when the entry time is unknown', () => {
    expect(check(evaluateTransition(input({ enteredStageAt: undefined })), 'minTimeInStage')).toMatchObject({ ok: false, actual: 'unknown: when the version entered Staging is not known' });
  });

  const p = requirements;
  const run = (over: Parameters<typeof version>[0]) => evaluateTransition(input({ policy: p, version: version({ stage: 'A', ...over }), to: 'B' }));

  it('requires tags and fields', () => {
    const d = run({});
    expect(d.allowed).toBe(false);
    expect(check(d, 'requireTags')).toMatchObject({ ok: false, actual: 'missing owner' });
    expect(check(d, 'requireFields')).toMatchObject({ ok: false, actual: 'missing lineage.data' });
    const ok = run({ tags: { dataset: 'd', owner: 'o' }, lineage: { data: [{ name: 'd' }] } });
    expect(ok.allowed).toBe(true);
    expect(check(ok, 'requireFields')).toMatchObject({ ok: true, actual: 'all present' });
  });

  it('treats empty values as missing fields', () => {
    expect(check(run({ tags: { dataset: 'd', owner: 'o' }, lineage: { data: [] } }), 'requireFields')).toMatchObject({ ok: false, actual: 'missing lineage.data' });
  });
});

describe('evaluateTransition: rule matching', () => {
  const p = matching;
  const move = (stage: string, to: string, over: Parameters<typeof version>[0] = {}) => evaluateTransition(input({ policy: p, version: version({ stage, ...over }), to, approvals: [] }));

  it('requires every matching rule', () => {
    const d = move('A', 'C');
    expect(d.checks[0]).toMatchObject({ name: 'transition', actual: 'transitions[0], transitions[1]' });
    expect(d.checks.map((c) => [c.name, c.rule, c.ok])).toEqual([['transition', undefined, true], ['requireTags', 'transitions[0]', true], ['when', 'transitions[1]', false]]);
    expect(d.allowed).toBe(false);
    expect(move('B', 'C', { metrics: { accuracy: 0.99 } }).allowed).toBe(true);
  });

  it('matches "*" and lists', () => {
    expect(move('C', 'Archived', { metrics: { accuracy: 0.99 } }).allowed).toBe(true);
    expect(move('Archived', 'C', { metrics: { accuracy: 0.99 } }).allowed).toBe(true);
    expect(move('B', 'A').allowedMoves).toEqual(['C', 'Archived']);
  });

  it('lists allowed moves ignoring guards', () => {
    expect(allowedMoves(p, MODEL, { stage: 'A' })).toEqual(['B', 'C', 'Archived']);
    expect(allowedMoves(p, MODEL, { stage: 'Archived' })).toEqual(['C']);
  });
});

describe('evaluateTransition: approvals voided by a rollback (resetOn)', () => {
  const alice = approval('alice@example.com', 'Production');
  const bob = approval('bob@example.com', 'Production');
  const reset = { event: 'rollback' as const, stage: 'Production', commit: 'c0ffee'.padEnd(40, '0'), at: '2024-03-09T12:00:00Z', stale: [alice, { ...bob, by: 'Bob@Example.com' }] };

  it('does not count approvals the rollback voided (Production is exclusive: the default), and says why', () => {
    const d = evaluateTransition(input({ resets: [reset] }));
    expect(d.allowed).toBe(false);
    expect(check(d, 'approvals')?.actual).toBe('0; not counted: alice@example.com (approved before the rollback out of Production in c0ffee000000; approve again), bob@example.com (approved before the rollback out of Production in c0ffee000000; approve again)');
  });

  it('counts an approval made after the rollback, and ignores resets of other stages', () => {
    const again = { ...alice, at: '2024-03-10T00:00:00Z' };
    expect(check(evaluateTransition(input({ approvals: [alice, bob, again], resets: [reset] })), 'approvals')?.actual).toMatch(/^1 \(alice@example\.com\); not counted: bob@example\.com/);
    expect(evaluateTransition(input({ resets: [{ ...reset, stage: 'Staging' }] })).allowed).toBe(true);
  });

  it('voids only as many identical records as the file held at the rollback (two approvals in one second)', () => {
    const d = evaluateTransition(input({ approvals: [alice, bob, alice, bob], resets: [{ ...reset, stale: [alice, bob] }] }));
    expect(check(d, 'approvals')?.actual).toBe('2 (alice@example.com, bob@example.com)');
    expect(d.allowed).toBe(true);
  });

  it('resetOn: [] keeps them; resetOn: [rollback] applies to a non-exclusive stage', async () => {
    const keep = await policyOf(DESIGN_POLICY.replace('allowAuthor: false }', 'allowAuthor: false, resetOn: [] }'));
    expect(evaluateTransition(input({ policy: keep, resets: [reset] })).allowed).toBe(true);
    const p = await smallPolicy('transitions:\n  - from: A\n    to: B\n    approvals: { min: 1 }\n  - from: A\n    to: C\n    approvals: { min: 1, resetOn: [rollback] }\n');
    const v = version({ stage: 'A' });
    for (const [to, allowed] of [['B', true], ['C', false]] as const) {
      const a = approval('alice@example.com', to);
      const d = evaluateTransition({ policy: p, model: MODEL, version: v, to, actor: DAVE, now: NOW, approvals: [a], resets: [{ ...reset, stage: to, stale: [a] }] });
      expect(d.allowed, to).toBe(allowed);
    }
  });
});
