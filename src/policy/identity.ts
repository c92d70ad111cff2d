/**
 * Who may approve, and counting approvals. An identity is an email address, `github:<login>` or
 * `gitlab:<username>` (approvals given on the forge, counted by `check --forge`); all compare case-insensitively. `approvals.from` lists group names of the policy,
 * identities, or `owners` (the model's owners).
 */
import type { Actor, ApprovalRecord, ApprovalRule, LoadedPolicy, RegisteredModel } from './types.js';

export const OWNERS = 'owners';

/**
 * The form identities are compared in.
 * @example normalizeIdentity(' Alice@Example.com ') // 'alice@example.com'
 * @example normalizeIdentity('GitHub:Carol')        // 'github:carol'
 */
export function normalizeIdentity(s: string): string {
  return s.trim().toLowerCase();
}

/**
 * Whether an entry of `approvals.from` or of a group names a person rather than a group.
 * @example isIdentity('github:carol') // true
 * @example isIdentity('gitlab:carol') // true
 */
export function isIdentity(entry: string): boolean {
  const id = normalizeIdentity(entry);
  return entry.includes('@') || id.startsWith('github:') || id.startsWith('gitlab:');
}

/**
 * Every identity the actor is known by: the email, and `github:<login>` when known.
 * @example actorIdentities({ email: 'A@x.io', github: 'ann' }) // Set { 'a@x.io', 'github:ann' }
 */
export function actorIdentities(actor: Actor): Set<string> {
  const ids = new Set<string>([normalizeIdentity(actor.email)]);
  if (actor.github) ids.add(normalizeIdentity(actor.github.toLowerCase().startsWith('github:') ? actor.github : `github:${actor.github}`));
  return ids;
}

/**
 * The groups a guard sees in `actor.groups`: the policy's `groups:` whose members include one
 * of the actor's identities, and the groups the front end vouches for (a `serve` token's), sorted.
 * @example actorGroups(policy, { email: 'alice@example.com', groups: ['oncall'] }) // ['ml-leads', 'oncall']
 */
export function actorGroups(policy: LoadedPolicy | undefined, actor: Actor): string[] {
  const out = new Set(actor.groups ?? []);
  const ids = actorIdentities(actor);
  for (const [group, members] of Object.entries(policy?.doc.groups ?? {})) if (members.some((m) => ids.has(normalizeIdentity(m)))) out.add(group);
  return [...out].sort();
}

/**
 * The identities `from` names; `undefined` means anyone (an empty or absent list).
 * @example eligibleIdentities(policy, model, ['ml-leads']) // Set { 'alice@example.com', 'bob@example.com', 'github:carol' }
 */
export function eligibleIdentities(policy: LoadedPolicy, model: RegisteredModel | undefined, from: readonly string[] | undefined): Set<string> | undefined {
  if (!from || from.length === 0) return undefined;
  const ids = new Set<string>();
  const groups = policy.doc.groups ?? {};
  for (const entry of from) {
    if (entry === OWNERS) for (const o of model?.owners ?? []) ids.add(normalizeIdentity(o));
    else if (Object.hasOwn(groups, entry)) for (const m of groups[entry]) ids.add(normalizeIdentity(m));
    else if (isIdentity(entry)) ids.add(normalizeIdentity(entry));
  }
  return ids;
}

/**
 * Whether `identity` may approve under a rule whose `from` is given (empty = anyone).
 * @example isEligibleApprover(policy, model, { from: ['ml-leads'] }, 'Alice@Example.com') // true when alice is in ml-leads
 */
export function isEligibleApprover(policy: LoadedPolicy, model: RegisteredModel | undefined, rule: { from?: readonly string[] }, identity: string): boolean {
  const eligible = eligibleIdentities(policy, model, rule.from);
  return eligible === undefined || eligible.has(normalizeIdentity(identity));
}

export interface ApprovalCount {
  /** Distinct approvers who count, normalized, in the order they approved. */
  counted: string[];
  /** Approvers who do not count, and why. */
  ignored: Array<{ by: string; reason: string }>;
}

/**
 * Distinct eligible approvers among the records for `key` (a stage, `alias:<name>`, `rollback`
 * or `delete`), leaving out the actor unless the rule allows the author.
 * @example countApprovals(policy, model, rule, records, 'Production', actor).counted.length // 2
 */
export function countApprovals(policy: LoadedPolicy, model: RegisteredModel | undefined, rule: ApprovalRule, records: readonly ApprovalRecord[], key: string, actor: Actor): ApprovalCount {
  const eligible = eligibleIdentities(policy, model, rule.from);
  const author = actorIdentities(actor);
  const counted: string[] = [];
  const ignored: ApprovalCount['ignored'] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (r.stage !== key) continue;
    const by = normalizeIdentity(r.by);
    if (seen.has(by)) continue;
    seen.add(by);
    if (!rule.allowAuthor && author.has(by)) ignored.push({ by, reason: 'the author of the change' });
    else if (eligible && !eligible.has(by)) ignored.push({ by, reason: `not in ${rule.from.join(', ')}` });
    else counted.push(by);
  }
  return { counted, ignored };
}

/**
 * The approvals a rule asks for, with defaults applied.
 * @example approvalRule({ min: 1 }) // { min: 1, from: [], allowAuthor: false }
 */
export function approvalRule(a: { min: number; from?: string[]; allowAuthor?: boolean }): ApprovalRule {
  return { min: a.min, from: a.from ?? [], allowAuthor: a.allowAuthor ?? false };
}
