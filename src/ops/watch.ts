/**
 * `watch`: runs the analysis of a stage's `monitor:` for the version holding it (Argo Rollouts'
 * semantics: `count` measurements of every metric, `interval` apart) and acts on a failure:
 * `onFailure: rollback` makes the revert `modelreg rollback` makes, with the analysis file and
 * an `Modelreg-Analysis` trailer in the same commit; `alert` records the analysis alone. Both
 * give an `analysis.failed` event (derived from the analysis file). A rollback is refused, and
 * the analysis only recorded, past the policy's `maxRollbacks` or onto a deprecated version.
 */
import { parseModelUri } from '../domain/uri.js';
import { modelKey } from '../domain/names.js';
import { compareVersions } from '../domain/versions.js';
import { parseCommitMessage, trailerValue } from '../domain/trailers.js';
import { renderYaml, schemaRef } from '../domain/render.js';
import { validateText } from '../domain/validate.js';
import type { Analysis, ModelVersion } from '../domain/schema-types.js';
import { RegistryError, isRegistryError } from '../errors/index.js';
import { formatDuration } from '../policy/index.js';
import {
  analysisPhase, conditionKey, judge, metricPhase, monitorOf, providerOf,
  type AnalysisPhase, type MeasurementPhase, type MonitorPlan,
} from '../policy/monitor.js';
import { ANALYSIS_DIR } from '../storage/analysis-events.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';
import { requireModel } from './errors.js';
import { indexedHistory } from './history.js';
import { measure } from './monitor-providers.js';
import { policyFor } from './policies.js';
import { planRollback } from './rollback.js';
import { runWrite, type Planned, type WriteOptions, type WriteOutcome } from './write.js';

export interface WatchInput extends WriteOptions {
  /** `models:/NAME/STAGE` */
  uri: string;
  /** Folder a metric's relative `file:` path is read from (default: the working directory). */
  cwd?: string;
  /** Waits between measurement rounds (tests and embedders may pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

export type WatchAction = 'none' | 'rolled-back' | 'alerted' | 'refused';

export interface WatchResult extends Partial<WriteOutcome> {
  model: string;
  stage: string;
  version: string;
  baseline?: string;
  phase: AnalysisPhase;
  /** The monitor's interval, for a caller that analyses again. */
  intervalMs: number;
  /** What watch did (or, with dryRun, would do). */
  action: WatchAction;
  restored?: string;
  /** Why a rollback was refused. */
  refusal?: string;
  /** The analysis file written (or that would be). */
  file?: string;
  analysis: Analysis;
  dryRun: boolean;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The version the stage held before `holder`: the version that left the stage in the commit
 * that put `holder` there (found in the event index, newest commit first).
 */
async function previousHolder(snap: Snapshot, model: string, holder: string, stage: string): Promise<string | undefined> {
  const key = modelKey(model);
  for await (const c of indexedHistory(snap)) {
    const entered = c.events.find((e) => 'version' in e && e.version === holder && modelKey(e.model) === key
      && ((e.type === 'transition' && e.to === stage) || (e.type === 'register' && e.stage === stage)));
    if (!entered) continue;
    const left = c.events.find((e) => e.type === 'transition' && modelKey(e.model) === key && e.from === stage && e.version !== holder);
    return left && 'version' in left ? left.version : undefined;
  }
  return undefined;
}

/** Automatic rollbacks (watch's, with an analysis trailer) of the model since `since`, newest first. */
async function recentAutoRollbacks(snap: Snapshot, model: string, since: Date): Promise<string[]> {
  const out: string[] = [];
  const key = modelKey(model);
  for await (const c of indexedHistory(snap)) {
    if (c.ct * 1000 < since.getTime()) break;
    const msg = parseCommitMessage(c.msg);
    const m = trailerValue(msg, 'Modelreg-Model');
    if (trailerValue(msg, 'Modelreg-Action') === 'rollback' && trailerValue(msg, 'Modelreg-Analysis') && m && modelKey(m) === key) out.push(c.c);
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** The measurements of every metric, `count` rounds `interval` apart. */
async function analyse(ctx: Context, input: WatchInput, plan: MonitorPlan, policyGuards: Map<string, unknown>, stageIndex: number, holder: ModelVersion, baseline: ModelVersion | undefined): Promise<Analysis['metrics']> {
  const wait = input.sleep ?? sleepFor;
  const metrics = plan.metrics.map((m) => ({ name: m.name, provider: providerOf(m), phase: 'Successful', measurements: [] })) as unknown as Analysis['metrics'];
  for (let round = 0; round < plan.count; round++) {
    if (round > 0) await wait(plan.intervalMs);
    for (const [i, metric] of plan.metrics.entries()) {
      const got = await measure(metric, { model: holder.model, version: holder.version, cwd: input.cwd ?? process.cwd() });
      const at = ctx.now().toISOString();
      if ('missing' in got) {
        metrics[i].measurements.push({ at, phase: 'Inconclusive', message: got.missing });
        continue;
      }
      const conds = {
        success: policyGuards.get(conditionKey(stageIndex, i, 'successCondition')),
        failure: policyGuards.get(conditionKey(stageIndex, i, 'failureCondition')),
      } as Parameters<typeof judge>[0];
      const j = judge(conds, { result: got.value, version: holder, baseline: baseline ?? {} });
      metrics[i].measurements.push({ at, phase: j.phase, value: got.value as Analysis['metrics'][number]['measurements'][number]['value'], ...(j.message ? { message: j.message } : {}) });
    }
  }
  for (const m of metrics) m.phase = metricPhase(m.measurements.map((x) => x.phase as MeasurementPhase), plan);
  return metrics;
}

/** The commit's reason: a summary line, then each failed measurement. */
function reasonOf(a: Analysis): string {
  const failed = a.metrics.filter((m) => m.phase === 'Failed');
  const lines = failed.flatMap((m) => m.measurements.filter((x) => x.phase === 'Failed').map((x) => `- ${m.name} = ${show(x.value)} at ${x.at}: ${x.message ?? 'failed'}`));
  return `analysis of ${a.model} ${a.version} in ${a.stage} failed (${failed.map((m) => m.name).join(', ')})\n${lines.join('\n')}`;
}

function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z');
}

/**
 * One analysis of the stage's holder, and on failure the rollback or alert the policy asks for.
 * @example const r = await watch(ctx, { uri: 'models:/churn/Production' }); // r.phase, r.action
 */
export async function watch(ctx: Context, input: WatchInput): Promise<WatchResult> {
  const ref = parseModelUri(input.uri);
  if (ref.kind !== 'stage') throw new RegistryError('BAD_INPUT', `watch takes a stage URI, models:/NAME/STAGE (e.g. models:/${ref.model}/Production), not ${input.uri}.`, { uri: input.uri });
  const snap = await ctx.snapshotAt(undefined, ctx.store());
  const m = await requireModel(snap, ref.model, true);
  const policy = await policyFor(snap, m.record);
  const stageIndex = policy.stages.indexOf(ref.stage);
  if (stageIndex < 0) throw new RegistryError('BAD_INPUT', `Stage ${ref.stage} is not defined by policy '${policy.name}' (${policy.stages.join(', ')}).`, { stage: ref.stage });
  const plan = monitorOf(policy, ref.stage);
  if (!plan) throw new RegistryError('BAD_INPUT', `Stage ${ref.stage} of policy '${policy.name}' (${policy.file}) has no monitor: section, so there is nothing to watch; add one (docs/policy.md, "monitor").`, { stage: ref.stage, policy: policy.name });
  const holder = (await snap.inStage(m, ref.stage)).sort((a, b) => compareVersions(b.record.version, a.record.version))[0];
  if (!holder) throw new RegistryError('NOT_FOUND', `No version of ${m.name} is in ${ref.stage}, so there is nothing to watch.`, { model: m.name, stage: ref.stage });
  const baselineVersion = await previousHolder(snap, m.name, holder.record.version, ref.stage);
  const baseline = baselineVersion ? m.versions.get(baselineVersion)?.record : undefined;

  const startedAt = ctx.now().toISOString();
  const metrics = await analyse(ctx, input, plan, policy.guards, stageIndex, holder.record, baseline);
  const phase = analysisPhase(metrics.map((x) => x.phase as AnalysisPhase));
  const analysis: Analysis = {
    apiVersion: 'modelreg/v1', kind: 'Analysis', model: m.name, version: holder.record.version, stage: ref.stage,
    ...(baselineVersion ? { baseline: baselineVersion } : {}),
    phase, startedAt, finishedAt: ctx.now().toISOString(), onFailure: plan.onFailure, action: 'alerted', metrics,
  };
  const base = { model: m.name, stage: ref.stage, version: holder.record.version, ...(baselineVersion ? { baseline: baselineVersion } : {}), phase, analysis, dryRun: !!input.dryRun, intervalMs: plan.intervalMs };
  if (phase !== 'Failed') return { ...base, action: 'none' };
  const id = await ctx.identity();
  return runWrite(ctx, input, (tip) => planFailure(ctx, tip, { ...input, plan, analysis, id }));
}

interface FailureInput extends WatchInput {
  plan: MonitorPlan;
  analysis: Analysis;
  id: Awaited<ReturnType<Context['identity']>>;
}

/** Why an automatic rollback may not happen now, or undefined. */
async function antiFlapping(ctx: Context, tip: Snapshot, model: string, plan: MonitorPlan): Promise<string | undefined> {
  const recent = await recentAutoRollbacks(tip, model, new Date(ctx.now().getTime() - plan.maxRollbacks.windowMs));
  if (recent.length < plan.maxRollbacks.count) return undefined;
  return `${model} was rolled back automatically ${recent.length} time${recent.length === 1 ? '' : 's'} in the last ${formatDuration(plan.maxRollbacks.windowMs)} (${recent.map((c) => c.slice(0, 12)).join(', ')}), the most monitor.maxRollbacks allows; roll back by hand with \`modelreg rollback\` if it is still needed`;
}

/** The commit for a failed analysis, planned on the branch tip. */
async function planFailure(ctx: Context, tip: Snapshot, input: FailureInput): Promise<Planned<WatchResult>> {
  const a: Analysis = structuredClone(input.analysis);
  const m = await requireModel(tip, a.model, true);
  const holder = (await tip.inStage(m, a.stage)).sort((x, y) => compareVersions(y.record.version, x.record.version))[0];
  if (holder?.record.version !== a.version) {
    throw new RegistryError('CONFLICT', `${a.model} ${a.stage} changed while it was analysed (it now holds ${holder?.record.version ?? 'no version'}, the analysis was of ${a.version}); nothing was written. Run watch again.`, { model: a.model, stage: a.stage });
  }
  const cfg = await tip.config();
  let file = `${ANALYSIS_DIR}/${m.name}/${a.version}/${compactTime(a.finishedAt)}.yaml`;
  for (let n = 2; await tip.entry(file); n++) file = `${ANALYSIS_DIR}/${m.name}/${a.version}/${compactTime(a.finishedAt)}-${n}.yaml`;
  const reason = reasonOf(a);
  const trailers: Array<[string, string]> = [['Modelreg-Analysis', file]];
  let planned: Planned<WatchResult> | undefined;
  if (input.plan.onFailure === 'rollback') {
    a.refusal = await antiFlapping(ctx, tip, m.name, input.plan);
    if (!a.refusal) {
      try {
        const p = await planRollback(ctx, tip, { model: m.name, stage: a.stage, reason }, input.id);
        const restored = p.result.restored ? m.versions.get(p.result.restored)?.record : undefined;
        if (restored?.deprecated) a.refusal = `the rollback would put ${m.name} ${restored.version} back in ${a.stage}, and that version is deprecated (${restored.deprecated.reason ?? 'no reason given'}); choose a version with \`modelreg rollback ${m.name} --to VERSION\``;
        else {
          a.action = 'rolled-back';
          if (p.result.restored) a.restored = p.result.restored;
          planned = {
            changes: p.changes,
            message: { ...p.message, trailers: [...p.message.trailers, ...trailers] },
            result: { model: m.name, stage: a.stage, version: a.version, ...(a.baseline ? { baseline: a.baseline } : {}), phase: a.phase, intervalMs: input.plan.intervalMs, action: 'rolled-back', ...(a.restored ? { restored: a.restored } : {}), file, analysis: a, dryRun: !!input.dryRun },
          };
        }
      } catch (e) {
        if (!isRegistryError(e) || !['DENIED', 'NOT_FOUND', 'CONFLICT'].includes(e.code)) throw e;
        a.refusal = `the rollback is not possible: ${e.message}`;
      }
    }
    if (a.refusal) a.action = 'refused';
  }
  if (a.baseline === undefined) delete a.baseline;
  const text = renderYaml(a, schemaRef(cfg, file, 'analysis'));
  const checked = validateText<Analysis>('analysis', text, file);
  if (!checked.value) throw new RegistryError('BAD_INPUT', `The analysis record does not validate (${checked.issues.map((i) => i.message).join('; ')}); this is a bug.`, {});
  const analysisChange = { path: file, content: text };
  if (planned) {
    planned.changes = [...planned.changes, analysisChange];
    return planned;
  }
  const what = a.action === 'refused' ? 'rollback refused' : 'alert';
  return {
    changes: [analysisChange],
    message: {
      subject: `analysis failed: ${m.name} ${a.version} in ${a.stage} (${what})`,
      body: `Reason: ${reason}${a.refusal ? `\n\nRollback refused: ${a.refusal}.` : ''}`,
      trailers: [['Modelreg-Action', 'analysis'], ['Modelreg-Model', m.name], ['Modelreg-Version', a.version], ['Modelreg-Stage', a.stage], ...trailers],
    },
    result: { model: m.name, stage: a.stage, version: a.version, ...(a.baseline ? { baseline: a.baseline } : {}), phase: a.phase, intervalMs: input.plan.intervalMs, action: a.action as WatchAction, ...(a.refusal ? { refusal: a.refusal } : {}), file, analysis: a, dryRun: !!input.dryRun },
  };
}
