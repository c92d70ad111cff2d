/**
 * `rollback`: finds the commit that put the current holder of a stage there and reverts it —
 * restoring what that commit changed in stage and alias fields of the model, even when later
 * commits changed other fields of the same files — with Git's revert message convention.
 * `to` restores a specific earlier version instead. Governed by the policy's `rollback:`.
 */
import { RegistryError } from '../errors/index.js';
import { editYaml } from '../domain/yaml-file.js';
import { compareVersions } from '../domain/versions.js';
import { parseCommitMessage } from '../domain/trailers.js';
import { evaluateReentry, evaluateRollback, isExclusive, type Decision } from '../policy/index.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type Planned, type WriteOptions, type WriteOutcome } from './write.js';
import type { Snapshot } from '../storage/snapshot.js';
import { deniedError } from './decisions.js';
import { stageEnteredAt } from './stage-time.js';
import { lastExitByRollback } from './approval-resets.js';

export interface RollbackInput extends WriteOptions {
  model: string;
  stage?: string;
  to?: string;
  reason?: string;
}

export interface RollbackResult extends WriteOutcome {
  model: string;
  stage: string;
  from?: string;
  restored?: string;
  reverts?: string;
  changes: Array<{ version?: string; alias?: string; from?: string; to?: string }>;
  decision: Decision;
}

export async function rollback(ctx: Context, input: RollbackInput): Promise<RollbackResult> {
  const id = await ctx.identity();
  return runWrite(ctx, input, (snap) => planRollback(ctx, snap, input, id));
}

/**
 * The rollback's plan on one snapshot: the file edits, the commit message and the result.
 * `watch` (ops/watch.ts) adds its analysis file and trailer to the same plan.
 */
export async function planRollback(ctx: Context, snap: Snapshot, input: Omit<RollbackInput, keyof WriteOptions>, id: Awaited<ReturnType<Context['identity']>>): Promise<Planned<Omit<RollbackResult, keyof WriteOutcome>>> {
  const m = await requireModel(snap, input.model, true);
  const policy = await policyFor(snap, m.record);
  const stage = input.stage ?? policy.stages.find((s) => isExclusive(policy, s)) ?? 'Production';
  if (!policy.stages.includes(stage)) throw new RegistryError('BAD_INPUT', `Stage ${stage} is not defined by policy '${policy.name}' (${policy.stages.join(', ')}).`, { stage });
  const holders = (await snap.inStage(m, stage)).sort((a, b) => compareVersions(b.record.version, a.record.version));
  const holder = holders[0];
  const edits = new Map<string, Array<{ path: string[]; value: unknown }>>();
  const changes: RollbackResult['changes'] = [];
  const addEdit = (file: string, path: string[], value: unknown) => edits.set(file, [...(edits.get(file) ?? []), { path, value }]);
  let subject: string;
  let body: string | undefined;
  let reverts: string | undefined;
  let restored: string | undefined;
  if (input.to) {
    const target = requireVersion(m, input.to);
    if (target.record.stage === stage) throw new RegistryError('BAD_INPUT', `${m.name} ${input.to} is already in ${stage}.`, {});
    const archive = policy.archiveStage ?? 'Archived';
    for (const h of isExclusive(policy, stage) ? holders : []) {
      addEdit(h.file, ['stage'], archive);
      changes.push({ version: h.record.version, from: stage, to: archive });
    }
    addEdit(target.file, ['stage'], stage);
    changes.push({ version: input.to, from: target.record.stage, to: stage });
    restored = input.to;
    subject = `rollback ${m.name} ${stage}: ${holder?.record.version ?? '(none)'} -> ${input.to}`;
  } else {
    if (!holder) throw new RegistryError('NOT_FOUND', `No version of ${m.name} is in ${stage}, so there is nothing to roll back. Use --to VERSION to put a version there.`, { model: m.name, stage });
    const entered = await stageEnteredAt(snap, holder.file, stage);
    if (!entered) throw new RegistryError('NOT_FOUND', `Could not find the commit that put ${m.name} ${holder.record.version} in ${stage}. Use --to VERSION instead.`, {});
    const commit = await snap.store.readCommit(entered.commit);
    const parentOid = commit.parents[0];
    const parent = ctx.snapshot(snap.store, parentOid, parentOid ? (await snap.store.readCommit(parentOid)).tree : undefined);
    const after = ctx.snapshot(snap.store, commit.oid, commit.tree);
    const pm = await parent.model(m.name).catch(() => undefined);
    const am = await after.model(m.name);
    for (const [ver, av] of am?.versions ?? []) {
      const pv = pm?.versions.get(ver);
      const cur = m.versions.get(ver);
      if (!pv || !cur || pv.record.stage === av.record.stage) continue;
      if (cur.record.stage !== av.record.stage) continue; // moved again since; leave it
      addEdit(cur.file, ['stage'], pv.record.stage);
      changes.push({ version: ver, from: cur.record.stage, to: pv.record.stage });
      if (pv.record.stage === stage) restored = ver;
    }
    const pa = pm?.record.aliases ?? {};
    const aa = am?.record.aliases ?? {};
    for (const alias of new Set([...Object.keys(pa), ...Object.keys(aa)])) {
      if (pa[alias] === aa[alias] || m.record.aliases?.[alias] !== aa[alias]) continue;
      addEdit(m.file, ['aliases', alias], pa[alias]);
      changes.push({ alias, from: aa[alias], to: pa[alias] });
    }
    reverts = commit.oid;
    subject = `Revert "${parseCommitMessage(commit.message).subject}"`;
    body = `This reverts commit ${commit.oid}.`;
  }
  const restoredRecord = restored ? m.versions.get(restored)!.record : holder!.record;
  let decision = evaluateRollback({ policy, model: m.record, version: restoredRecord, actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(), approvals: restoredRecord.approvals ?? [] });
  // Putting back a version that a rollback took out of the stage is a promotion (approvals.resetOn).
  const exit = restored ? await lastExitByRollback(snap.store, snap.commit, m.versions.get(restored)!.file, stage) : undefined;
  if (exit) decision = evaluateReentry({ policy, model: m.record, version: restoredRecord, to: stage, actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(), approvals: restoredRecord.approvals ?? [], resets: [exit] }, decision);
  if (!decision.allowed) throw deniedError(`rolling back ${m.name} ${stage}`, decision);
  const fileChanges = [];
  for (const [file, list] of edits) fileChanges.push({ path: file, content: editYaml((await snap.text(file)) ?? '', list) });
  if (!fileChanges.length) throw new RegistryError('CONFLICT', `Nothing to roll back: the stages that commit changed were changed again since. Use --to VERSION.`, {});
  return {
    changes: fileChanges,
    message: {
      subject,
      body: [body, input.reason ? `Reason: ${input.reason}` : undefined].filter(Boolean).join('\n\n') || undefined,
      trailers: [['Modelreg-Action', 'rollback'], ['Modelreg-Model', m.name], ['Modelreg-Stage', stage],
        ...(holder ? [['Modelreg-From', holder.record.version] as [string, string]] : []),
        ...(restored ? [['Modelreg-Version', restored] as [string, string]] : []),
        ...(reverts ? [['Modelreg-Reverts', reverts] as [string, string]] : [])],
    },
    result: { model: m.name, stage, ...(holder ? { from: holder.record.version } : {}), ...(restored ? { restored } : {}), ...(reverts ? { reverts } : {}), changes, decision },
  };
}
