/**
 * Approvals that no longer count: a version rolled back out of a stage has to be reviewed again
 * before it goes back. The history (ops/) finds the rollbacks; this decides, purely, which
 * approval records they void under a rule's `approvals.resetOn`.
 */
import type { Transition } from '../domain/schema-types.js';
import { normalizeIdentity } from './identity.js';
import type { ApprovalRecord, ApprovalReset, LoadedPolicy, ResetEvent } from './types.js';

export type { ApprovalReset, ResetEvent };

/**
 * The events that void a rule's approvals for a move to `to`: `approvals.resetOn`, or when
 * unset, `[rollback]` for an exclusive stage and nothing for others.
 * @example resetEvents(policy, { from: 'Staging', to: 'Production', approvals: { min: 2 } }, 'Production') // ['rollback']
 */
export function resetEvents(policy: LoadedPolicy, rule: Pick<Transition, 'approvals'>, to: string): ResetEvent[] {
  const set = rule.approvals?.resetOn;
  if (set) return [...set];
  return policy.doc.stages.some((s) => s.name === to && s.exclusive === true) ? ['rollback'] : [];
}

const key = (r: ApprovalRecord) => `${normalizeIdentity(r.by)}\u0000${r.stage}\u0000${r.at}`;

/**
 * Splits the records for a move to `to` into those that count and those a reset voided (each
 * with the reset that voided it, the latest one). Records are append-only, so when a file holds
 * the same record twice (two approvals in one second), the first occurrences are the old ones:
 * a reset voids as many as the file held at its commit.
 * @example applyResets(records, resets, 'Production', ['rollback']).kept // the approvals made after the last rollback out of Production
 */
export function applyResets(records: readonly ApprovalRecord[], resets: readonly ApprovalReset[] | undefined, to: string, events: readonly ResetEvent[]): { kept: ApprovalRecord[]; voided: Array<{ record: ApprovalRecord; reset: ApprovalReset }> } {
  // Per record: how many of its first occurrences a reset voids, and which reset (the latest wins).
  const voiding = new Map<string, { count: number; reset: ApprovalReset }>();
  for (const reset of resets ?? []) {
    if (reset.stage !== to || !events.includes(reset.event)) continue;
    const counts = new Map<string, number>();
    for (const r of reset.stale) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    for (const [k, count] of counts) {
      const prior = voiding.get(k);
      if (!prior || prior.reset.at < reset.at) voiding.set(k, { count: Math.max(count, prior?.count ?? 0), reset });
      else prior.count = Math.max(prior.count, count);
    }
  }
  const kept: ApprovalRecord[] = [];
  const voided: Array<{ record: ApprovalRecord; reset: ApprovalReset }> = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    const v = r.stage === to ? voiding.get(key(r)) : undefined;
    const n = (seen.get(key(r)) ?? 0) + 1;
    seen.set(key(r), n);
    if (v && n <= v.count) voided.push({ record: r, reset: v.reset });
    else kept.push(r);
  }
  return { kept, voided };
}
