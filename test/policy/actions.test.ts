import { describe, expect, it } from 'vitest';
import {
  approvalRequirements, automationTarget, defaultBump, evaluateAlias, evaluateDelete, evaluateRegister, evaluateRollback, isEligibleApprover, isExclusive,
} from '../../src/policy/index.js';
import { isRegistryError } from '../../src/errors/index.js';
import type { ModelVersion } from '../../src/domain/schema-types.js';
import { approval, DAVE, DESIGN_POLICY, MODEL, NOW, policyOf, smallPolicy, version } from './fixtures.js';

const design = await policyOf(DESIGN_POLICY);
const base = { policy: design, model: MODEL, actor: DAVE, now: NOW };

describe('evaluateAlias', () => {
  it('requires the stage and approvals recorded as alias:<name>', () => {
    const prod = version({ stage: 'Production' });
    expect(evaluateAlias({ ...base, version: prod, alias: 'champion', approvals: [approval('bob@example.com', 'alias:champion')] }).allowed).toBe(true);
    const noApproval = evaluateAlias({ ...base, version: prod, alias: 'champion', approvals: [approval('bob@example.com', 'Production')] });
    expect(noApproval.allowed).toBe(false);
    expect(noApproval.checks.find((c) => c.name === 'approvals')).toMatchObject({ ok: false, rule: 'aliases.champion' });
    const staging = evaluateAlias({ ...base, version: version(), alias: 'champion', approvals: [approval('bob@example.com', 'alias:champion')] });
    expect(staging.checks.find((c) => c.name === 'requireStage')).toMatchObject({ ok: false, expected: 'stage Production', actual: 'Staging' });
  });

  it('leaves aliases the policy does not list free', () => {
    const d = evaluateAlias({ ...base, version: version(), alias: 'challenger', approvals: [] });
    expect(d.allowed).toBe(true);
    expect(d.message).toContain("does not govern alias 'challenger'");
    expect(evaluateAlias({ ...base, version: version(), alias: 'constructor', approvals: [] }).allowed).toBe(true);
  });

  it('evaluates an alias guard, failing closed', async () => {
    const p = await smallPolicy('aliases:\n  best: { requireStage: [B, C], when: version.metrics.auc > 0.9 }\n');
    const d = evaluateAlias({ ...base, policy: p, version: version({ stage: 'C' }), alias: 'best', approvals: [] });
    expect(d.checks.map((c) => [c.name, c.ok, c.actual])).toEqual([['requireStage', true, 'C'], ['when', false, 'error: No such key: auc']]);
  });
});

describe('evaluateRollback and evaluateDelete', () => {
  it('allows a rollback with min 0 approvals', () => {
    const d = evaluateRollback({ ...base, version: version(), approvals: [] });
    expect(d.allowed).toBe(true);
    expect(d.checks).toEqual([{ name: 'approvals', ok: true, expected: 'at least 0 approvals for rollback, not the author', actual: '0', rule: 'rollback' }]);
  });

  it('allows delete when the policy says nothing', () => {
    expect(evaluateDelete({ ...base, version: version(), approvals: [] })).toMatchObject({ allowed: true });
  });

  it('applies allowed, when and approvals recorded as rollback / delete', async () => {
    const p = await smallPolicy('rollback:\n  when: actor.email.endsWith("@example.com")\n  approvals: { min: 1, from: [owners] }\ndelete:\n  allowed: false\n');
    const rb = (by: string, stage: string) => evaluateRollback({ ...base, policy: p, version: version(), approvals: [approval(by, stage)] });
    expect(rb('owner@example.com', 'rollback').allowed).toBe(true);
    expect(rb('owner@example.com', 'delete').allowed).toBe(false);
    expect(evaluateRollback({ ...base, policy: p, actor: { email: 'x@evil.io' }, version: version(), approvals: [approval('owner@example.com', 'rollback')] }).allowed).toBe(false);
    const del = evaluateDelete({ ...base, policy: p, version: version(), approvals: [] });
    expect(del).toMatchObject({ allowed: false });
    expect(del.checks[0]).toMatchObject({ name: 'allowed', ok: false, actual: 'delete.allowed is false' });
  });
});

describe('evaluateRegister: signature changes', () => {
  type Signature = NonNullable<ModelVersion['signature']>;
  const sig: Signature = { inputs: [{ name: 'age', type: 'long' }], outputs: [{ type: 'double' }] };
  const prev = version({ version: '1.0.0', signature: sig });
  const reg = (signature: Signature | undefined, bump: 'major' | 'minor' | 'patch' | 'none', policy = design) =>
    evaluateRegister({ policy, model: MODEL, version: version({ version: '1.1.0', signature }), previous: prev, bump });

  it('needs a major bump by default when the signature changes', () => {
    const changed: Signature = { ...sig, inputs: [...sig.inputs!, { name: 'plan', type: 'string' }] };
    expect(reg(changed, 'minor').allowed).toBe(false);
    expect(reg(changed, 'minor').checks[0]).toMatchObject({ name: 'signature', actual: 'signature changed since 1.0.0; a minor bump' });
    expect(reg(changed, 'major').allowed).toBe(true);
    expect(reg(undefined, 'patch').allowed).toBe(false);
  });

  it('compares signatures by content, not key order', () => {
    const reordered: Signature = { outputs: [{ type: 'double' }], inputs: [{ type: 'long', name: 'age' }] };
    expect(reg(reordered, 'patch').allowed).toBe(true);
  });

  it('honours signatureChangeRequires, including none, and allows a first release', async () => {
    const minor = await smallPolicy('versioning:\n  signatureChangeRequires: minor\n');
    expect(reg(undefined, 'minor', minor).allowed).toBe(true);
    expect(reg(undefined, 'patch', minor).allowed).toBe(false);
    expect(reg(undefined, 'none', await smallPolicy('versioning:\n  signatureChangeRequires: none\n')).allowed).toBe(true);
    expect(evaluateRegister({ policy: design, version: version(), bump: 'none' }).allowed).toBe(true);
  });
});

describe('automations, exclusivity, bumps', () => {
  it('returns the first automation whose guard holds', async () => {
    expect(automationTarget(design, 'register', version({ stage: 'None', metrics: { accuracy: 0.97 } }), MODEL, DAVE, NOW)).toBe('Staging');
    expect(automationTarget(design, 'register', version({ stage: 'None', metrics: { accuracy: 0.9 } }), MODEL, DAVE, NOW)).toBeUndefined();
    expect(automationTarget(design, 'register', version({ stage: 'None', metrics: {} }), MODEL, DAVE, NOW)).toBeUndefined();
    const p = await smallPolicy('transitions:\n  - from: A\n    to: "*"\nautomations:\n  - on: register\n    when: version.metrics.auc > 0.99\n    transition: C\n  - on: register\n    transition: B\n');
    expect(automationTarget(p, 'register', version({ stage: 'A' }), MODEL, DAVE, NOW)).toBe('B');
  });

  it('knows exclusive stages and the default bump', async () => {
    expect(isExclusive(design, 'Production')).toBe(true);
    expect(isExclusive(design, 'Staging')).toBe(false);
    expect(defaultBump(design)).toBe('minor');
    expect(defaultBump(await smallPolicy(''))).toBe('minor');
    expect(defaultBump(await smallPolicy('versioning:\n  defaultBump: patch\n'))).toBe('patch');
  });
});

describe('approvalRequirements and isEligibleApprover', () => {
  it('lists what the matching rules ask for', () => {
    expect(approvalRequirements(design, MODEL, version(), 'Production')).toEqual([{ min: 2, from: ['ml-leads'], allowAuthor: false }]);
    expect(approvalRequirements(design, MODEL, version(), 'Archived')).toEqual([]);
    expect(approvalRequirements(design, MODEL, version(), 'alias:champion')).toEqual([{ min: 1, from: ['ml-leads'], allowAuthor: false }]);
    expect(approvalRequirements(design, MODEL, version(), 'rollback')).toEqual([{ min: 0, from: [], allowAuthor: false }]);
    expect(approvalRequirements(design, MODEL, version(), 'delete')).toEqual([]);
    expect(() => approvalRequirements(design, MODEL, version(), 'Prod')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });

  it('resolves groups, owners and identities', () => {
    expect(isEligibleApprover(design, MODEL, { from: ['ml-leads'] }, 'BOB@example.com')).toBe(true);
    expect(isEligibleApprover(design, MODEL, { from: ['ml-leads'] }, 'github:carol')).toBe(true);
    expect(isEligibleApprover(design, MODEL, { from: ['ml-leads'] }, 'carol@example.com')).toBe(false);
    expect(isEligibleApprover(design, MODEL, { from: ['owners'] }, 'GitHub:olga')).toBe(true);
    expect(isEligibleApprover(design, MODEL, { from: ['x@y.io'] }, 'x@y.io')).toBe(true);
    expect(isEligibleApprover(design, MODEL, { from: [] }, 'anyone@y.io')).toBe(true);
    expect(isRegistryError(new Error('x'))).toBe(false);
  });
});
