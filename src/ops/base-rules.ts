/**
 * The rules of `check --base`, one small named function each, over the shared context of one
 * changed model (base-context.ts). Each event type has its list of rules; a rule adds problems
 * or records a policy decision about the event it judges.
 */
import type { RegistryEvent } from '../domain/events.js';
import { issue } from '../domain/issues.js';
import { bumpBetween, compareVersions } from '../domain/versions.js';
import { highestOf, releaseBelow } from '../storage/version-folder.js';
import { evaluateAlias, evaluateDelete, evaluateRegister, evaluateTransition } from '../policy/index.js';
import { evaluateModelMove } from '../policy/model-moves.js';
import { approvalsFor, authorOf, decide, fileOf, report, type ModelChange } from './base-context.js';
import { findCommit } from './commit-range.js';
import { transitionRules } from './transition-rules.js';
import { originRules } from './origin-rules.js';
import { guardDeployments } from './guard-deployments.js';

type Event<T extends RegistryEvent['type']> = Extract<RegistryEvent, { type: T }>;
export type Rule<T extends RegistryEvent['type']> = (m: ModelChange, e: Event<T>) => void | Promise<void>;
type RuleTable = { [T in RegistryEvent['type']]?: Array<Rule<T>> };

/** Changes to the model's other registry content besides tags and descriptions. */
function othersThan(m: ModelChange): RegistryEvent[] {
  return m.events.filter((x) => x.type !== 'model-update' && x.type !== 'tag' && x.type !== 'description');
}

const immutableVersionField: Rule<'immutable-change'> = (m, e) =>
  report(m, issue(fileOf(m, e), 'immutable-field', `${e.field} of ${e.model} ${e.version} changed; ${e.field} is immutable once registered — register a new version instead`, { field: e.field }));

/** A removed model folder is judged by the rule `modelreg model delete` applies (policy/model-moves.ts), with the base policy. */
const modelKept: Rule<'model-delete'> = (m, e) => {
  const versions = [...(m.before?.versions.values() ?? [])].map((v) => v.record);
  const d = m.before ? evaluateModelMove({ policy: m.policy, model: m.before.record, versions, action: 'delete', actor: { email: 'unknown' }, now: m.ctx.now(), approvals: new Map(versions.map((v) => [v.version, approvalsFor(m, v.version)])) }) : undefined;
  if (d?.allowed) return;
  report(m, issue(m.modelFile, 'model-removed', `model folder ${e.model} was removed or renamed${d ? `, but ${d.message.replace(/^model \S+ cannot be deleted: /, '')}` : ''}; a model whose versions serve is never removed — take its versions out of the protected stages (or deprecate them) first`));
};

const deletedVersionsKept: Rule<'model-update'> = (m, e) => {
  if (e.field !== 'deletedVersions') return;
  const to = (e.to as string[] | undefined) ?? [];
  if (((e.from as string[] | undefined) ?? []).every((v) => to.includes(v))) return;
  report(m, issue(m.modelFile, 'version-reused', 'deletedVersions lost entries; deleted version numbers are never reused', { field: 'deletedVersions' }));
};

const policySwitchAlone: Rule<'model-update'> = (m, e) => {
  if (e.field !== 'policy') return;
  const others = othersThan(m).length > 0;
  report(m, issue(m.modelFile, 'policy-switch', `${e.model} switches policy ${String(e.from ?? 'default')} → ${String(e.to ?? 'default')}${others ? ' in the same change as other registry changes; change the policy in its own pull request' : '; a policy change needs its own review'}`, { field: 'policy', severity: others ? 'error' : 'warning' }));
};

const ownersChangeAlone: Rule<'model-update'> = (m, e) => {
  if (e.field !== 'owners') return;
  const others = othersThan(m).length > 0;
  report(m, issue(m.modelFile, 'owners-change', `${e.model} owners change${others ? ' in the same change as other registry changes; the owners at the base branch decide this change — change owners in their own pull request' : ''}`, { field: 'owners', severity: others ? 'error' : 'warning' }));
};

const immutableModelField: Rule<'model-update'> = (m, e) => {
  if (e.field === 'name' || e.field === 'created') report(m, issue(m.modelFile, 'immutable-field', `${e.field} of model ${e.model} is immutable`, { field: e.field }));
};

const versionNotReused: Rule<'register'> = (m, e) => {
  if ((m.before?.record.deletedVersions ?? []).includes(e.version)) report(m, issue(fileOf(m, e), 'version-reused', `${e.model} ${e.version} was deleted; version numbers are never reused`, { field: 'version' }));
};

const versionAboveExisting: Rule<'register'> = (m, e) => {
  const top = m.before ? highestOf(m.before.versions, m.before.record.deletedVersions ?? []) : undefined;
  if (top && compareVersions(e.version, top) < 0) report(m, issue(fileOf(m, e), 'version-order', `${e.model} ${e.version} is lower than the highest existing version ${top}`, { field: 'version' }));
};

const registerAllowed: Rule<'register'> = (m, e) => {
  const rec = m.after?.versions.get(e.version)?.record;
  if (!rec) return;
  // The release below it, found by name: only its file is read (a model may have 10,000 versions).
  const below = m.before ? releaseBelow(m.before.versions, e.version) : undefined;
  const previous = below ? m.before!.versions.get(below)?.record : undefined;
  const d = evaluateRegister({ policy: m.policy, model: m.governing, version: rec, previous, bump: previous ? bumpBetween(previous.version, e.version) : 'none' });
  decide(m, e, `register ${e.model} ${e.version}`, d, fileOf(m, e), 'policy-register');
};

/** A version registered straight into a later stage makes the moves from the initial stage. */
const registeredInLaterStage: Rule<'register'> = async (m, e) => {
  const rec = m.after?.versions.get(e.version)?.record;
  if (!rec || rec.stage === m.policy.initialStage) return;
  const c = await findCommit(m.range, m.name, e.version, (a, b) => !!b && b.stage === rec.stage && (!a || a.stage !== rec.stage));
  const deployments = await guardDeployments(m.base, m.policy, m.governing.name, e.version);
  const d = evaluateTransition({ policy: m.policy, model: m.governing, version: { ...rec, stage: m.policy.initialStage }, to: rec.stage, actor: { email: authorOf(c) }, now: m.ctx.now(), approvals: approvalsFor(m, e.version), deployments });
  decide(m, e, `${e.model} ${e.version}: registered directly in ${rec.stage}`, d, fileOf(m, e), 'policy-transition');
};

const aliasAllowed: Rule<'alias'> = (m, e) => {
  if (!e.to) return;
  const v = m.after?.versions.get(e.to);
  if (!v) return; // the file check reports a dangling alias
  const c = m.range.length ? m.range[m.range.length - 1] : undefined;
  const d = evaluateAlias({ policy: m.policy, model: m.governing, version: v.record, alias: e.alias, actor: { email: authorOf(c) }, now: m.ctx.now(), approvals: approvalsFor(m, e.to) });
  decide(m, e, `${e.model}@${e.alias} → ${e.to}`, d, m.modelFile, 'policy-alias');
};

const deleteRecorded: Rule<'delete'> = (m, e) => {
  if (!m.after || (m.after.record.deletedVersions ?? []).includes(e.version)) return;
  report(m, issue(m.modelFile, 'delete-unrecorded', `${e.model} ${e.version} was removed without recording it in deletedVersions; use modelreg delete so the number is never reused`, { field: 'deletedVersions' }));
};

const deleteAllowed: Rule<'delete'> = (m, e) => {
  const rec = m.before?.versions.get(e.version)?.record;
  if (!rec || !m.before) return;
  const d = evaluateDelete({ policy: m.policy, model: m.before.record, version: rec, actor: { email: 'unknown' }, now: m.ctx.now(), approvals: approvalsFor(m, e.version) });
  decide(m, e, `delete ${e.model} ${e.version}`, d, m.modelFile, 'policy-delete');
};

const approvalKept: Rule<'approval-removed'> = (m, e) =>
  report(m, issue(fileOf(m, e), 'approval-removed', `approval by ${e.by} for ${e.stage} was removed; approvals are an audit trail`, { field: 'approvals', severity: 'warning' }));

/** Every rule, by the type of event it judges. */
export const BASE_RULES: RuleTable = {
  'immutable-change': [immutableVersionField],
  'model-delete': [modelKept],
  'model-update': [deletedVersionsKept, policySwitchAlone, ownersChangeAlone, immutableModelField],
  register: [versionNotReused, versionAboveExisting, registerAllowed, registeredInLaterStage, ...originRules],
  transition: transitionRules,
  alias: [aliasAllowed],
  delete: [deleteRecorded, deleteAllowed],
  'approval-removed': [approvalKept],
};

/** Runs the rules of each of the model's events, in the events' order. */
export async function applyRules(m: ModelChange): Promise<void> {
  for (const e of m.events) {
    for (const rule of (BASE_RULES[e.type] ?? []) as Array<Rule<typeof e.type>>) await rule(m, e as never);
  }
}
