/** Stage transitions: which rules match a move, and whether all of their requirements hold. */
import { RegistryError } from '../errors/index.js';
import type { StageRef, Transition } from '../domain/schema-types.js';
import { approvalsCheck, decide, guardContext, minTimeCheck, requireFieldsCheck, requireTagsCheck, whenCheck } from './checks.js';
import { approvalRule } from './identity.js';
import { applyResets, resetEvents, type ResetEvent } from './resets.js';
import type { ApprovalReset, ApprovalRule, Check, Decision, LoadedPolicy, ModelVersion, RegisteredModel, TransitionInput } from './types.js';

/**
 * Whether a rule's `from` or `to` names a stage: the stage, a list holding it, or `"*"`.
 * @example refMatches(['Staging', 'Production'], 'Staging') // true
 */
export function refMatches(ref: StageRef, stage: string): boolean {
  const list = typeof ref === 'string' ? [ref] : ref;
  return list.some((s) => s === '*' || s === stage);
}

/**
 * The rules that match a move, with their index in `transitions`.
 * @example matchingRules(policy, 'Staging', 'Archived') // [{ rule: { from: '*', to: 'Archived' }, index: 2 }]
 */
export function matchingRules(policy: LoadedPolicy, from: string, to: string): Array<{ rule: Transition; index: number }> {
  return (policy.doc.transitions ?? []).flatMap((rule, index) => (refMatches(rule.from, from) && refMatches(rule.to, to) ? [{ rule, index }] : []));
}

/**
 * Throws BAD_INPUT when a policy does not define a stage: a typo, not a denial.
 * @example assertStage(policy, 'production') // throws: Stage 'production' is not defined ... Did you mean Production?
 */
export function assertStage(policy: LoadedPolicy, stage: string): void {
  if (policy.stages.includes(stage)) return;
  const near = policy.stages.find((s) => s.toLowerCase() === stage.toLowerCase());
  const hint = near ? ` Did you mean ${near}?` : '';
  throw new RegistryError('BAD_INPUT', `Stage '${stage}' is not defined by policy ${policy.name} (${policy.file}); its stages are ${policy.stages.join(', ')}.${hint}`, { stage, policy: policy.name, file: policy.file, stages: policy.stages });
}

/**
 * The stages a version may move to from its current stage by some rule, guards ignored, in policy order.
 * @example allowedMoves(policy, model, { ...version, stage: 'Staging' }) // ['Production', 'Archived']
 */
export function allowedMoves(policy: LoadedPolicy, _model: RegisteredModel | undefined, version: Pick<ModelVersion, 'stage'>): string[] {
  return policy.stages.filter((to) => to !== version.stage && matchingRules(policy, version.stage, to).length > 0);
}

/**
 * What approvals the rules matching a move ask for. `to` may also be `alias:<name>`, `rollback`
 * or `delete` (when the policy has no stage of that name) for those actions' approvals.
 * Throws BAD_INPUT for a stage the policy does not define.
 * @example approvalRequirements(policy, model, version, 'Production') // [{ min: 2, from: ['ml-leads'], allowAuthor: false }]
 */
export function approvalRequirements(policy: LoadedPolicy, _model: RegisteredModel | undefined, version: Pick<ModelVersion, 'stage'>, to: string): ApprovalRule[] {
  if (!policy.stages.includes(to)) {
    if (to.startsWith('alias:')) {
      const entry = policy.doc.aliases?.[to.slice('alias:'.length)];
      return entry?.approvals ? [approvalRule(entry.approvals)] : [];
    }
    if (to === 'rollback' || to === 'delete') {
      const a = policy.doc[to]?.approvals;
      return a ? [approvalRule(a)] : [];
    }
    assertStage(policy, to);
  }
  return matchingRules(policy, version.stage, to).flatMap(({ rule }) => (rule.approvals ? [approvalRule(rule.approvals)] : []));
}

/**
 * Whether approvals for a move may have been voided by a rollback (some matching rule asks for
 * approvals and resets them): only then does the caller need to read the rollbacks from history.
 * @example approvalsResetOn(policy, 'Staging', 'Production') // ['rollback'] (Production is exclusive)
 */
export function approvalsResetOn(policy: LoadedPolicy, from: string, to: string): ResetEvent[] {
  const events = new Set<ResetEvent>();
  for (const { rule } of matchingRules(policy, from, to)) if (rule.approvals) for (const e of resetEvents(policy, rule, to)) events.add(e);
  return [...events];
}

function ruleChecks(i: TransitionInput, rule: Transition, index: number): Check[] {
  const label = `transitions[${index}]`;
  const checks: Check[] = [];
  if (rule.when !== undefined) checks.push(whenCheck(i.policy, `transitions.${index}.when`, rule.when, guardContext(i.version, i.model, i.actor, i.now, i.deployments, i.policy), label));
  if (rule.approvals) {
    const { kept, voided } = applyResets(i.approvals, i.resets, i.to, resetEvents(i.policy, rule, i.to));
    const notCounted = voided.map(({ record, reset }) => ({ by: record.by, reason: `approved before the rollback out of ${reset.stage} in ${reset.commit.slice(0, 12)}; approve again` }));
    checks.push(approvalsCheck(i.policy, i.model, rule.approvals, kept, i.to, i.actor, label, notCounted));
  }
  if (rule.minTimeInStage !== undefined) checks.push(minTimeCheck(rule.minTimeInStage, i.version.stage, i.enteredStageAt, i.now, label));
  if (rule.requireTags?.length) checks.push(requireTagsCheck(rule.requireTags, i.version, label));
  if (rule.requireFields?.length) checks.push(requireFieldsCheck(rule.requireFields, i.version, label));
  return checks;
}

/**
 * Whether a version may move from its current stage to `to`: at least one rule matches the
 * move and every matching rule's requirements hold. Throws BAD_INPUT only when `to` is not a
 * stage of the policy; every denial is a Decision.
 * @example evaluateTransition({ policy, model, version, to: 'Production', actor, now, approvals: [] }).allowed // false
 */
export function evaluateTransition(i: TransitionInput): Decision {
  assertStage(i.policy, i.to);
  const from = i.version.stage;
  const subject = `${i.version.model} ${i.version.version}`;
  const move = `${from} -> ${i.to}`;
  if (from === i.to) {
    const check: Check = { name: 'stage', ok: false, expected: `a stage other than ${from}`, actual: `already in ${from}` };
    return { allowed: false, checks: [check], message: `${subject} is already in ${from}; nothing to move.` };
  }
  const rules = matchingRules(i.policy, from, i.to);
  if (rules.length === 0) {
    const moves = allowedMoves(i.policy, i.model, i.version);
    const check: Check = { name: 'transition', ok: false, expected: `a rule allowing ${move}`, actual: 'no rule matches' };
    const options = moves.length ? `the allowed moves from ${from} are: ${moves.join(', ')}` : `no move is allowed from ${from}`;
    return { allowed: false, checks: [check], allowedMoves: moves, message: `No rule of policy ${i.policy.name} allows ${subject} to move ${move}; ${options}.` };
  }
  const checks: Check[] = [{ name: 'transition', ok: true, expected: `a rule allowing ${move}`, actual: rules.map((r) => `transitions[${r.index}]`).join(', ') }];
  for (const { rule, index } of rules) checks.push(...ruleChecks(i, rule, index));
  return decide(checks, `${subject} may move ${move}`, `${subject} cannot move ${move}`);
}

/**
 * A rollback that puts a version back into `stage` after a rollback took it out of there (and it
 * has not been promoted since: `exit` is its last way out) puts back what was withdrawn: a
 * promotion, which needs the approvals a move into the stage needs, minus those the rollback
 * voided. Adds those checks to the rollback's decision when a rule resets approvals for the move;
 * otherwise returns the decision as it is.
 * @example evaluateReentry({ policy, model, version, to: 'Production', actor, now, approvals, resets: [exit] }, rollbackDecision).allowed // false without fresh approvals
 */
export function evaluateReentry(i: Omit<TransitionInput, 'enteredStageAt'> & { resets: ApprovalReset[] }, rollback: Decision): Decision {
  const rules = matchingRules(i.policy, i.version.stage, i.to).filter(({ rule }) => rule.approvals && resetEvents(i.policy, rule, i.to).length);
  if (!rules.length) return rollback;
  const subject = `${i.version.model} ${i.version.version}`;
  const checks: Check[] = [...rollback.checks];
  for (const { rule, index } of rules) {
    const { kept, voided } = applyResets(i.approvals, i.resets, i.to, resetEvents(i.policy, rule, i.to));
    const notCounted = voided.map(({ record, reset }) => ({ by: record.by, reason: `approved before the rollback out of ${reset.stage} in ${reset.commit.slice(0, 12)}; approve again` }));
    const check = approvalsCheck(i.policy, i.model, rule.approvals!, kept, i.to, i.actor, `transitions[${index}]`, notCounted);
    checks.push({ ...check, expected: `${check.expected} (${subject} was rolled back out of ${i.to} in ${i.resets[0]?.commit.slice(0, 12) ?? 'an earlier commit'}: putting it back is a promotion)` });
  }
  return decide(checks, `${subject} may be put back in ${i.to}`, `${subject} cannot be put back in ${i.to}`);
}
