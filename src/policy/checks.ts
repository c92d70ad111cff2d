/** One function per requirement kind, each turning a requirement into a line of the checklist. */
import type { GuardContext } from './cel.js';
import { formatDuration, parseDuration } from './duration.js';
import { actorGroups, approvalRule, countApprovals, normalizeIdentity } from './identity.js';
import type { Actor, ApprovalRecord, CelEngine, Check, Decision, LoadedPolicy, ModelVersion, RegisteredModel } from './types.js';
import type { DeploymentView } from '../domain/deployments.js';

/**
 * What a guard sees: the records as they are, with the optional maps and lists present (empty)
 * so `has(version.tags.dataset)` and `size(model.owners)` work on any record.
 * @example guardContext(version, model, { email: 'a@x.io' }, now).version.tags // {}
 */
export function guardContext(version: ModelVersion, model: RegisteredModel | undefined, actor: Actor, now: Date, deployments: Record<string, DeploymentView> = {}, policy?: LoadedPolicy): GuardContext & { version: Record<string, unknown> } {
  return {
    deployments,
    version: { ...version, metrics: version.metrics ?? {}, tags: version.tags ?? {}, params: version.params ?? {} },
    model: { ...(model ?? {}), owners: model?.owners ?? [], tags: model?.tags ?? {}, aliases: model?.aliases ?? {} },
    actor: { email: actor.email, ...(actor.name !== undefined ? { name: actor.name } : {}), ...(actor.github !== undefined ? { github: actor.github } : {}), groups: actorGroups(policy, actor) },
    now,
  };
}

/**
 * The `when` guard at `key` (e.g. `transitions.1.when`), evaluated; a guard that cannot run fails.
 * @example whenCheck(policy, 'transitions.1.when', 'version.metrics.f1 >= 0.8', ctx, 'transitions[1]').ok
 */
export function whenCheck(policy: LoadedPolicy, key: string, source: string, ctx: GuardContext, rule: string): Check {
  const cel = celOf(policy);
  let guard = policy.guards.get(key);
  if (!guard || guard.source !== source) {
    const compiled = cel.compileGuard(source);
    if (!compiled.guard) return { name: 'when', ok: false, expected: source, actual: `error: ${compiled.error?.message}`, rule };
    guard = compiled.guard;
  }
  const result = cel.evaluateGuard(guard, ctx);
  // A guard over deployments that fails says where the version is deployed (`No such key: staging` alone does not).
  const where = !result.ok && /\bdeployments\b/.test(source) ? ` (this version is deployed in: ${deployedText(ctx.deployments)})` : '';
  return { name: 'when', ok: result.ok, expected: source, actual: result.actual + where, rule };
}

/** The CEL engine a policy with guards was loaded with (loadPolicy and restorePolicy load it for any guard). */
function celOf(policy: LoadedPolicy): CelEngine {
  if (policy.cel) return policy.cel;
  throw new Error(`policy ${policy.name} (${policy.file}) has a guard but was built without the CEL engine: load it with loadPolicy or restorePolicy (policy/load.ts), which load the engine for a policy with guards`);
}

function deployedText(d: unknown): string {
  const envs = Object.entries((d ?? {}) as Record<string, DeploymentView>);
  return envs.length ? envs.map(([env, x]) => `${env} (${x.status})`).join(', ') : 'no environment';
}

/**
 * Counts the approvals recorded for `key` against a rule's `approvals`.
 * @example approvalsCheck(policy, model, { min: 2, from: ['ml-leads'] }, records, 'Production', actor, 'transitions[1]').actual // '1 (alice@example.com)'
 */
export function approvalsCheck(policy: LoadedPolicy, model: RegisteredModel | undefined, spec: { min: number; from?: string[]; allowAuthor?: boolean }, records: readonly ApprovalRecord[], key: string, actor: Actor, rule: string, voided: ReadonlyArray<{ by: string; reason: string }> = []): Check {
  const r = approvalRule(spec);
  const count = countApprovals(policy, model, r, records, key, actor);
  const counted = count.counted;
  // A voided approval is listed only when its author has not approved again since.
  const listed = new Set([...counted, ...count.ignored.map((i) => i.by)]);
  const ignored = [...count.ignored, ...voided.map((v) => ({ by: normalizeIdentity(v.by), reason: v.reason })).filter((v) => !listed.has(v.by) && listed.add(v.by))];
  const from = r.from.length ? ` from ${r.from.join(', ')}` : '';
  const author = r.allowAuthor ? '' : ', not the author';
  const list = counted.length ? ` (${counted.join(', ')})` : '';
  const notCounted = ignored.length ? `; not counted: ${ignored.map((i) => `${i.by} (${i.reason})`).join(', ')}` : '';
  return { name: 'approvals', ok: counted.length >= r.min, expected: `at least ${r.min} approval${r.min === 1 ? '' : 's'} for ${key}${from}${author}`, actual: `${counted.length}${list}${notCounted}`, rule };
}

/**
 * Time in the current stage against `minTimeInStage`; unknown entry time fails.
 * @example minTimeCheck('24h', 'Staging', undefined, now, 'transitions[1]').actual // 'unknown: when the version entered Staging is not known'
 */
export function minTimeCheck(duration: string, stage: string, enteredStageAt: Date | undefined, now: Date, rule: string): Check {
  const expected = `at least ${duration} in ${stage}`;
  let min: number;
  try {
    min = parseDuration(duration);
  } catch (e) {
    return { name: 'minTimeInStage', ok: false, expected, actual: `error: ${(e as Error).message}`, rule };
  }
  if (!enteredStageAt || Number.isNaN(enteredStageAt.getTime())) {
    return { name: 'minTimeInStage', ok: false, expected, actual: `unknown: when the version entered ${stage} is not known`, rule };
  }
  const elapsed = now.getTime() - enteredStageAt.getTime();
  const ok = elapsed >= min;
  return { name: 'minTimeInStage', ok, expected, actual: `${formatDuration(elapsed)} since ${enteredStageAt.toISOString()}${ok ? '' : `; ${formatDuration(min - elapsed)} to go`}`, rule };
}

/**
 * Each tag key is set on the version.
 * @example requireTagsCheck(['dataset'], version, 'transitions[0]').ok
 */
export function requireTagsCheck(tags: readonly string[], version: ModelVersion, rule: string): Check {
  const have = version.tags ?? {};
  const missing = tags.filter((t) => !Object.hasOwn(have, t));
  return { name: 'requireTags', ok: missing.length === 0, expected: `tags ${tags.join(', ')}`, actual: missing.length ? `missing ${missing.join(', ')}` : 'all present', rule };
}

/**
 * A value counts as present when it is set and not empty (`''`, `[]`, `{}` are missing).
 * @example isPresent({ lineage: { data: [] } }, 'lineage.data') // false
 */
export function isPresent(record: unknown, path: string): boolean {
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null || cur === '') return false;
  if (Array.isArray(cur)) return cur.length > 0;
  if (typeof cur === 'object') return Object.keys(cur).length > 0;
  return true;
}

/**
 * Each dotted path is present in the version record.
 * @example requireFieldsCheck(['artifact.digest'], version, 'transitions[0]').actual // 'all present'
 */
export function requireFieldsCheck(fields: readonly string[], version: ModelVersion, rule: string): Check {
  const missing = fields.filter((f) => !isPresent(version, f));
  return { name: 'requireFields', ok: missing.length === 0, expected: `fields ${fields.join(', ')}`, actual: missing.length ? `missing ${missing.join(', ')}` : 'all present', rule };
}

/**
 * The decision for a list of checks: allowed when every check passes.
 * @example decide(checks, 'churn 2.1.0 may move Staging -> Production', 'churn 2.1.0 cannot move Staging -> Production')
 */
export function decide(checks: Check[], allowedSubject: string, deniedSubject: string): Decision {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) {
    const n = checks.length;
    return { allowed: true, checks, message: `${allowedSubject}: ${n === 1 ? 'the check passes' : `all ${n} checks pass`}.` };
  }
  const why = failed.map((c) => `${c.name} expected ${c.expected}, got ${c.actual}`).join('; ');
  return { allowed: false, checks, message: `${deniedSubject}: ${why}.` };
}
