/** `approve`: an approval record {by, stage, at, comment} added to a version, as a commit authored by the approver. */
import { RegistryError } from '../errors/index.js';
import { editYaml } from '../domain/yaml-file.js';
import { applyResets, approvalRequirements, approvalsResetOn, isEligibleApprover, type ApprovalRecord, type LoadedPolicy } from '../policy/index.js';
import type { Snapshot } from '../storage/snapshot.js';
import { rollbacksOutOf } from './approval-resets.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';

export interface ApproveInput extends WriteOptions {
  model: string;
  version: string;
  /** A stage, or `alias:<name>`, `rollback`, `delete`. */
  stage: string;
  comment?: string;
}

export interface ApproveResult extends WriteOutcome {
  model: string;
  version: string;
  stage: string;
  by: string;
  at: string;
  /** Whether the approver is one the matching rules count. */
  eligible: boolean;
}

/**
 * Approves a version's move to a stage (or an alias, a rollback, a deletion).
 * @example await approve(ctx, { model: 'churn', version: '2.1.0', stage: 'Production' })
 */
export async function approve(ctx: Context, input: ApproveInput): Promise<ApproveResult> {
  const id = await ctx.identity();
  const at = ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const v = requireVersion(m, input.version);
    const policy = await policyFor(snap, m.record);
    // On a promotion branch the version is already in the stage it awaits approval for:
    // then the rules of every move into that stage apply.
    const rules = v.record.stage === input.stage && policy.stages.includes(input.stage)
      ? policy.stages.filter((s) => s !== input.stage).flatMap((from) => approvalRequirements(policy, m.record, { stage: from }, input.stage))
      : approvalRequirements(policy, m.record, v.record, input.stage);
    if (!rules.some((r) => r.min > 0)) {
      throw new RegistryError('BAD_INPUT', `No rule of policy '${policy.name}' asks for approval of ${m.name} ${input.version}: ${v.record.stage} -> ${input.stage}, so an approval would not count. Run \`modelreg policy explain ${m.name} ${input.version} ${input.stage}\` to see what the move needs.`, { model: m.name, stage: input.stage });
    }
    const mineAll = (v.record.approvals ?? []).filter((a) => a.stage === input.stage && a.by.toLowerCase() === id.email.toLowerCase());
    const mine = mineAll.length ? await stillCounting(snap, policy, v.file, v.record.stage, input.stage, mineAll) : undefined;
    if (mine) {
      throw new RegistryError('VERSION_EXISTS', `${id.email} already approved ${m.name} ${input.version} for ${input.stage} at ${mine.at}; each person's approval counts once.`, { model: m.name, version: input.version, stage: input.stage });
    }
    const eligible = rules.some((r) => isEligibleApprover(policy, m.record, r, id.email));
    // A second approval in the same second as a voided one gets milliseconds, so the two records differ.
    const when = mineAll.some((a) => a.at === at) ? ctx.now().toISOString() : at;
    const record = { by: id.email, stage: input.stage, at: when, ...(input.comment ? { comment: input.comment } : {}) };
    const approvals = [...(v.record.approvals ?? []), record];
    const text = (await snap.text(v.file)) ?? '';
    return {
      changes: [{ path: v.file, content: editYaml(text, [{ path: ['approvals'], value: approvals }]) }],
      branchName: `modelreg/approve-${m.name.replace('/', '-')}-${input.version}-${input.stage.replace(':', '-').toLowerCase()}`,
      message: {
        subject: `approve ${m.name} ${input.version} for ${input.stage}`,
        body: input.comment,
        trailers: [['Modelreg-Action', 'approve'], ['Modelreg-Model', m.name], ['Modelreg-Version', input.version], ['Modelreg-Stage', input.stage], ['Modelreg-Approver', id.email]],
      },
      result: { model: m.name, version: input.version, stage: input.stage, by: id.email, at: when, eligible },
    };
  });
}

/**
 * The first of a person's approvals for a stage that still counts: one made before the version
 * was rolled back out of the stage no longer does (`approvals.resetOn`), and its author may approve again.
 */
async function stillCounting(snap: Snapshot, policy: LoadedPolicy, file: string, current: string, stage: string, records: ApprovalRecord[]): Promise<ApprovalRecord | undefined> {
  if (!policy.stages.includes(stage)) return records[0];
  const froms = current === stage ? policy.stages.filter((s) => s !== stage) : [current];
  const events = [...new Set(froms.flatMap((from) => approvalsResetOn(policy, from, stage)))];
  if (!events.length) return records[0];
  const resets = await rollbacksOutOf(snap.store, snap.commit, file, stage, records);
  return applyResets(records, resets, stage, events).kept[0];
}
