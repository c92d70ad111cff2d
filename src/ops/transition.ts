/** `transition` / `promote`: move a version to a stage under the model's policy, as one commit. */
import { RegistryError } from '../errors/index.js';
import { editYaml } from '../domain/yaml-file.js';
import { isStageName } from '../domain/names.js';
import { evaluateTransition, isExclusive, type Decision } from '../policy/index.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { deniedError } from './decisions.js';
import { stageEnteredAt } from './stage-time.js';
import { resetsForMove } from './approval-resets.js';
import { guardDeployments } from './guard-deployments.js';

export interface TransitionInput extends WriteOptions {
  model: string;
  version: string;
  stage: string;
  message?: string;
  /** Set by register's automations: recorded in the commit. */
  automation?: boolean;
  /** With a branch: commit even while approvals are missing (the pull request check lists them). */
  allowPending?: boolean;
}

export interface TransitionResult extends WriteOutcome {
  model: string;
  version: string;
  from: string;
  stage: string;
  allowed: boolean;
  archived: string[];
  decision: Decision;
  dryRun?: boolean;
}

/**
 * Evaluates (and unless denied or a dry run, commits) a stage transition.
 * @example await transition(ctx, { model: 'churn', version: '2.1.0', stage: 'Production' })
 */
export async function transition(ctx: Context, input: TransitionInput): Promise<TransitionResult> {
  if (!isStageName(input.stage)) throw new RegistryError('BAD_INPUT', `Invalid stage name ${JSON.stringify(input.stage)}.`, { stage: input.stage });
  const id = await ctx.identity();
  return runWrite(ctx, input, async (snap) => {
    const model = await requireModel(snap, input.model, true);
    const v = requireVersion(model, input.version);
    const policy = await policyFor(snap, model.record);
    const from = v.record.stage;
    const needsTime = (policy.doc.transitions ?? []).some((t) => t.minTimeInStage);
    const entered = needsTime ? await stageEnteredAt(snap, v.file, from) : undefined;
    const approvals = v.record.approvals ?? [];
    // Approvals for the target made before the version was rolled back out of it may not count.
    const resets = await resetsForMove(snap.store, snap.commit, policy, v.file, approvals, from, input.stage);
    const deployments = await guardDeployments(snap, policy, model.name, v.record.version);
    const decision = evaluateTransition({
      policy, model: model.record, version: v.record, to: input.stage,
      actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(),
      enteredStageAt: entered?.at, approvals, resets, deployments,
    });
    const archived = isExclusive(policy, input.stage)
      ? (await snap.inStage(model, input.stage)).filter((o) => o.record.version !== v.record.version).map((o) => o.record.version)
      : [];
    const base = { model: model.name, version: v.record.version, from, stage: input.stage, allowed: decision.allowed, archived, decision };
    const pendingOk = input.allowPending && input.branch && decision.checks.every((c) => c.ok || c.name.startsWith('approvals'));
    if (!decision.allowed && !pendingOk) {
      if (input.dryRun) return { changes: [], message: { subject: '', trailers: [] }, result: { ...base, dryRun: true } };
      throw deniedError(`${model.name} ${v.record.version}: ${from} -> ${input.stage}`, decision, { model: model.name, version: v.record.version, stage: input.stage });
    }
    const archiveTo = policy.archiveStage ?? 'Archived';
    const changes = [{ path: v.file, content: editYaml(await snap.text(v.file) ?? '', [{ path: ['stage'], value: input.stage }]) }];
    for (const other of archived) {
      const o = model.versions.get(other)!;
      changes.push({ path: o.file, content: editYaml(await snap.text(o.file) ?? '', [{ path: ['stage'], value: archiveTo }]) });
    }
    const verb = input.automation ? 'automation' : 'promote';
    return {
      changes,
      branchName: `modelreg/promote-${model.name.replace('/', '-')}-${v.record.version}-${input.stage.toLowerCase()}`,
      message: {
        subject: `${verb} ${model.name} ${v.record.version}: ${from} -> ${input.stage}`,
        body: input.message,
        trailers: [
          ['Modelreg-Action', 'transition'], ['Modelreg-Model', model.name], ['Modelreg-Version', v.record.version],
          ['Modelreg-From', from], ['Modelreg-To', input.stage],
          ...(archived.length ? [['Modelreg-Archived', archived.join(', ')] as [string, string]] : []),
          ...(input.automation ? [['Modelreg-Automation', 'register'] as [string, string]] : []),
        ],
      },
      result: { ...base, ...(input.dryRun ? { dryRun: true } : {}) },
    };
  });
}
