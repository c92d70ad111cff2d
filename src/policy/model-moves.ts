/**
 * Whether a whole model may be renamed or deleted. A model whose versions serve (a version in a
 * protected stage: an exclusive stage, or one that takes approvals to enter) keeps its name and
 * folder: the URIs that serve it and the approvals that put it there stay with the name. A
 * deletion also needs every version's `delete:` requirements. The write (`modelreg model
 * rename|delete`, the server's registered-models/rename|delete) and `check --base` ask this one
 * function, so the two cannot disagree.
 */
import { evaluateDelete } from './actions.js';
import { decide } from './checks.js';
import type { Actor, ApprovalRecord, Check, Decision, LoadedPolicy, ModelVersion, RegisteredModel } from './types.js';

export interface ModelMoveInput {
  policy: LoadedPolicy;
  model: RegisteredModel;
  versions: ModelVersion[];
  action: 'rename' | 'delete';
  /** The new name (rename). */
  to?: string;
  actor: Actor;
  now: Date;
  /** Approvals with stage `delete`, by version (delete). */
  approvals?: Map<string, ApprovalRecord[]>;
}

/**
 * The stages a model in which cannot be renamed or deleted: exclusive stages and stages that
 * some transition rule needs approvals to enter.
 * @example protectedStages(policy) // ['Production']
 */
export function protectedStages(policy: LoadedPolicy): string[] {
  const out = new Set<string>();
  for (const s of policy.doc.stages) if (s.exclusive) out.add(s.name);
  for (const t of policy.doc.transitions ?? []) {
    if (!t.approvals || (t.approvals.min ?? 1) <= 0) continue;
    for (const to of Array.isArray(t.to) ? t.to : [t.to]) {
      if (to === '*') continue;
      if (policy.stages.includes(to)) out.add(to);
    }
  }
  return policy.stages.filter((s) => out.has(s));
}

/**
 * The decision on renaming or deleting a model, with one check per requirement.
 * @example evaluateModelMove({ policy, model, versions, action: 'rename', to: 'churn2', actor, now }).allowed
 */
export function evaluateModelMove(i: ModelMoveInput): Decision {
  const guarded = protectedStages(i.policy);
  const holders = i.versions.filter((v) => guarded.includes(v.stage)).map((v) => `${v.version} is in ${v.stage}`);
  const checks: Check[] = [{
    name: 'protected-stage',
    ok: holders.length === 0,
    expected: `no version in a protected stage (${guarded.length ? guarded.join(', ') : 'none in this policy'})`,
    actual: holders.length ? holders.join(', ') : 'none',
    rule: 'stages',
  }];
  if (i.action === 'delete') {
    for (const v of i.versions) {
      const d = evaluateDelete({ policy: i.policy, model: i.model, version: v, actor: i.actor, now: i.now, approvals: i.approvals?.get(v.version) ?? v.approvals ?? [] });
      for (const c of d.checks) if (!c.ok) checks.push({ ...c, name: `${v.version} ${c.name}` });
    }
  }
  const subject = i.action === 'rename' ? `model ${i.model.name} may be renamed${i.to ? ` to ${i.to}` : ''}` : `model ${i.model.name} may be deleted`;
  const denied = i.action === 'rename' ? `model ${i.model.name} cannot be renamed${i.to ? ` to ${i.to}` : ''}` : `model ${i.model.name} cannot be deleted`;
  return decide(checks, subject, denied);
}
