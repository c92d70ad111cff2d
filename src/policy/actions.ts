/** Decisions for the changes that are not stage moves: aliases, rollback, delete, registration. */
import type { Requirements } from '../domain/schema-types.js';
import { approvalsCheck, decide, guardContext, whenCheck } from './checks.js';
import { refMatches } from './transition.js';
import type { ActionInput, Actor, AliasInput, Check, Decision, LoadedPolicy, ModelVersion, RegisteredModel, RegisterInput } from './types.js';

/** Checks of a `Requirements` block (`rollback:`, `delete:`): allowed, when, approvals. */
function requirementChecks(i: ActionInput, req: Requirements, key: 'rollback' | 'delete'): Check[] {
  const checks: Check[] = [];
  if (req.allowed === false) checks.push({ name: 'allowed', ok: false, expected: `policy ${i.policy.name} allows ${key}`, actual: `${key}.allowed is false`, rule: key });
  if (req.when !== undefined) checks.push(whenCheck(i.policy, `${key}.when`, req.when, guardContext(i.version, i.model, i.actor, i.now, undefined, i.policy), key));
  if (req.approvals) checks.push(approvalsCheck(i.policy, i.model, req.approvals, i.approvals, key, i.actor, key));
  return checks;
}

function free(what: string, subject: string, reason: string): Decision {
  return { allowed: true, checks: [{ name: what, ok: true, expected: reason, actual: 'no requirements' }], message: `${subject}: ${reason}.` };
}

function actionDecision(i: ActionInput, key: 'rollback' | 'delete', verb: string): Decision {
  const subject = `${i.version.model} ${i.version.version}`;
  const req = i.policy.doc[key];
  if (!req) return free(key, `${subject} may be ${verb}`, `policy ${i.policy.name} sets no ${key} requirements`);
  const checks = requirementChecks(i, req, key);
  if (checks.length === 0) return free(key, `${subject} may be ${verb}`, `policy ${i.policy.name} sets no ${key} requirements`);
  return decide(checks, `${subject} may be ${verb}`, `${subject} cannot be ${verb}`);
}

/**
 * Whether a version may be restored by a rollback (`rollback:`; absent = allowed). Approvals count with stage `rollback`.
 * @example evaluateRollback({ policy, model, version, actor, now, approvals: [] }).allowed // true with `rollback: { approvals: { min: 0 } }`
 */
export function evaluateRollback(i: ActionInput): Decision {
  return actionDecision(i, 'rollback', 'restored by a rollback');
}

/**
 * Whether a version may be deleted (`delete:`; absent = allowed). Approvals count with stage `delete`.
 * @example evaluateDelete({ policy, model, version, actor, now, approvals: [] }).allowed
 */
export function evaluateDelete(i: ActionInput): Decision {
  return actionDecision(i, 'delete', 'deleted');
}

/**
 * Whether an alias may point at a version. An alias the policy does not list is free; a listed
 * one checks requireStage, when and approvals (records with stage `alias:<name>`).
 * @example evaluateAlias({ policy, model, version, alias: 'champion', actor, now, approvals }).allowed
 */
export function evaluateAlias(i: AliasInput): Decision {
  const subject = `${i.version.model}@${i.alias} -> ${i.version.version}`;
  const entry = i.policy.doc.aliases?.[i.alias];
  if (!entry || !Object.hasOwn(i.policy.doc.aliases ?? {}, i.alias)) return free('alias', `${subject} is allowed`, `policy ${i.policy.name} does not govern alias '${i.alias}'`);
  const rule = `aliases.${i.alias}`;
  const checks: Check[] = [];
  if (entry.requireStage !== undefined) {
    const stages = typeof entry.requireStage === 'string' ? [entry.requireStage] : entry.requireStage;
    checks.push({ name: 'requireStage', ok: refMatches(entry.requireStage, i.version.stage), expected: `stage ${stages.join(' or ')}`, actual: i.version.stage, rule });
  }
  if (entry.when !== undefined) checks.push(whenCheck(i.policy, `aliases.${i.alias}.when`, entry.when, guardContext(i.version, i.model, i.actor, i.now, undefined, i.policy), rule));
  if (entry.approvals) checks.push(approvalsCheck(i.policy, i.model, entry.approvals, i.approvals, `alias:${i.alias}`, i.actor, rule));
  if (checks.length === 0) return free('alias', `${subject} is allowed`, `alias '${i.alias}' has no requirements`);
  return decide(checks, `${subject} is allowed`, `${subject} is denied`);
}

const RANK = { none: 0, patch: 1, minor: 2, major: 3 } as const;

/** JSON with sorted keys, so two signatures compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Whether a new version may be registered with this bump: a signature that differs from the
 * previous release's needs at least `versioning.signatureChangeRequires` (default major).
 * @example evaluateRegister({ policy, version, previous, bump: 'minor' }).allowed // false when the signature changed
 */
export function evaluateRegister(i: RegisterInput): Decision {
  const subject = `${i.version.model} ${i.version.version}`;
  const required = i.policy.doc.versioning?.signatureChangeRequires ?? 'major';
  const expected = required === 'none' ? 'any bump (signatureChangeRequires: none)' : `a ${required} bump or more when the signature changes`;
  let check: Check;
  if (!i.previous) check = { name: 'signature', ok: true, expected, actual: 'first release; nothing to compare' };
  else {
    const changed = canonical(i.previous.signature ?? {}) !== canonical(i.version.signature ?? {});
    const ok = !changed || required === 'none' || RANK[i.bump] >= RANK[required];
    check = { name: 'signature', ok, expected, actual: `${changed ? 'signature changed' : 'signature unchanged'} since ${i.previous.version}; ${i.bump === 'none' ? 'no' : `a ${i.bump}`} bump` };
  }
  return decide([check], `${subject} may be registered`, `${subject} cannot be registered`);
}

/**
 * The stage the first automation for `event` whose guard holds moves a version to (the move itself is then checked).
 * @example automationTarget(policy, 'register', version, model, actor, now) // 'Staging' when accuracy >= 0.95
 */
export function automationTarget(policy: LoadedPolicy, event: 'register', version: ModelVersion, model: RegisteredModel | undefined, actor: Actor, now: Date): string | undefined {
  const autos = policy.doc.automations ?? [];
  for (let n = 0; n < autos.length; n++) {
    const a = autos[n];
    if (a.on !== event) continue;
    if (a.when === undefined || whenCheck(policy, `automations.${n}.when`, a.when, guardContext(version, model, actor, now, undefined, policy), `automations[${n}]`).ok) return a.transition;
  }
  return undefined;
}

/**
 * Whether a stage holds at most one version of a model.
 * @example isExclusive(policy, 'Production') // true
 */
export function isExclusive(policy: LoadedPolicy, stage: string): boolean {
  return policy.doc.stages.some((s) => s.name === stage && s.exclusive === true);
}

/**
 * The bump `register` uses when none is given: `versioning.defaultBump`, minor when unset.
 * @example defaultBump(policy) // 'minor'
 */
export function defaultBump(policy: LoadedPolicy): 'major' | 'minor' | 'patch' {
  return policy.doc.versioning?.defaultBump ?? 'minor';
}
