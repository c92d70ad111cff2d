/** `policy explain`: the checklist of a transition without changing anything. */
import { evaluateTransition, type Decision } from '../policy/index.js';
import type { Context } from './context.js';
import type { Identity } from '../storage/repo.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { stageEnteredAt } from './stage-time.js';
import { resetsForMove } from './approval-resets.js';
import { guardDeployments } from './guard-deployments.js';

export async function explain(ctx: Context, input: { model: string; version: string; stage: string; at?: string }): Promise<{ model: string; version: string; from: string; stage: string; policy: string; decision: Decision }> {
  const id: Identity = await ctx.identity().catch(() => ({ name: 'unknown', email: 'unknown' }));
  const snap = await ctx.snapshotAt(input.at);
  const m = await requireModel(snap, input.model);
  const v = requireVersion(m, input.version);
  const policy = await policyFor(snap, m.record);
  const entered = await stageEnteredAt(snap, v.file, v.record.stage);
  const approvals = v.record.approvals ?? [];
  const resets = await resetsForMove(snap.store, snap.commit, policy, v.file, approvals, v.record.stage, input.stage);
  const deployments = await guardDeployments(snap, policy, m.name, v.record.version);
  const decision = evaluateTransition({ policy, model: m.record, version: v.record, to: input.stage, actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(), enteredStageAt: entered?.at, approvals, resets, deployments });
  return { model: m.name, version: v.record.version, from: v.record.stage, stage: input.stage, policy: policy.name, decision };
}
