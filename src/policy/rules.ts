/**
 * What a policy's JSON Schema cannot say, as small named rules over a shared context: stages
 * that exist, groups that exist, approvals that can be met, guards that compile.
 */
import { issue, type Issue } from '../domain/issues.js';
import { locate, type ParsedYaml } from '../domain/yaml-file.js';
import type { Approvals, Policy, StageRef } from '../domain/schema-types.js';
import type { CompiledGuard } from './cel.js';
import { isIdentity, normalizeIdentity, OWNERS } from './identity.js';
import type * as MonitorModule from './monitor.js';
import type { CelEngine } from './types.js';

/** policy/monitor.ts (with JSONPath and CEL): loaded only for a policy with a `monitor:`. */
export type MonitorEngine = typeof MonitorModule;

export interface RuleContext {
  doc: Policy;
  file: string;
  parsed: ParsedYaml;
  stages: string[];
  initialStage: string;
  issues: Issue[];
  guards: Map<string, CompiledGuard>;
  /** Present when the policy has a guard or a monitor (`usesCel`); the loader makes sure of it. */
  cel?: CelEngine;
  /** Present when a stage has a monitor (`usesMonitor`). */
  monitor?: MonitorEngine;
}

/** An engine a rule needs and the loader did not load: a bug in the loader, not in the policy. */
function missing(engine: string, ctx: RuleContext): never {
  throw new Error(`${ctx.file} needs the ${engine} module, which was not loaded: load policies with loadPolicy or restorePolicy (policy/load.ts), which load it`);
}

type Path = Array<string | number>;

function report(ctx: RuleContext, rule: string, path: Path, message: string, severity: Issue['severity'] = 'error'): void {
  const field = path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  ctx.issues.push(issue(ctx.file, rule, message, { ...locate(ctx.parsed, path), field, severity }));
}

/** Stage names are unique (case-insensitive duplicates are a warning: they read as the same stage). */
export function duplicateStages(ctx: RuleContext): void {
  const seen = new Map<string, string>();
  ctx.doc.stages.forEach((s, n) => {
    const prior = seen.get(s.name.toLowerCase());
    if (prior === s.name) report(ctx, 'duplicate-stage', ['stages', n, 'name'], `stage '${s.name}' is defined twice; remove one`);
    else if (prior !== undefined) report(ctx, 'duplicate-stage', ['stages', n, 'name'], `stage '${s.name}' differs from '${prior}' only by case; rename one`, 'warning');
    else seen.set(s.name.toLowerCase(), s.name);
  });
}

function checkStage(ctx: RuleContext, path: Path, stage: string, allowStar: boolean): void {
  if ((allowStar && stage === '*') || ctx.stages.includes(stage)) return;
  report(ctx, 'undefined-stage', path, `stage '${stage}' is not defined; the stages are ${ctx.stages.join(', ')}`);
}

function checkRef(ctx: RuleContext, path: Path, ref: StageRef, allowStar: boolean): void {
  if (typeof ref === 'string') checkStage(ctx, path, ref, allowStar);
  else ref.forEach((s, n) => checkStage(ctx, [...path, n], s, allowStar));
}

/** Every stage a policy names is one of its stages. */
export function stageReferences(ctx: RuleContext): void {
  const d = ctx.doc;
  if (d.initialStage !== undefined) checkStage(ctx, ['initialStage'], d.initialStage, false);
  if (d.archiveStage !== undefined) checkStage(ctx, ['archiveStage'], d.archiveStage, false);
  (d.transitions ?? []).forEach((t, n) => {
    checkRef(ctx, ['transitions', n, 'from'], t.from, true);
    checkRef(ctx, ['transitions', n, 'to'], t.to, true);
  });
  for (const [name, a] of Object.entries(d.aliases ?? {})) if (a.requireStage !== undefined) checkRef(ctx, ['aliases', name, 'requireStage'], a.requireStage, false);
  (d.automations ?? []).forEach((a, n) => checkStage(ctx, ['automations', n, 'transition'], a.transition, false));
}

/** Every `approvals` block of the policy, with its path. */
function approvalBlocks(d: Policy): Array<{ path: Path; approvals: Approvals }> {
  const out: Array<{ path: Path; approvals: Approvals }> = [];
  (d.transitions ?? []).forEach((t, n) => t.approvals && out.push({ path: ['transitions', n, 'approvals'], approvals: t.approvals }));
  for (const key of ['rollback', 'delete'] as const) if (d[key]?.approvals) out.push({ path: [key, 'approvals'], approvals: d[key]!.approvals! });
  for (const [name, a] of Object.entries(d.aliases ?? {})) if (a.approvals) out.push({ path: ['aliases', name, 'approvals'], approvals: a.approvals });
  return out;
}

/** `approvals.from` names groups that exist, identities or `owners`; `min` can be met. */
export function approvalSources(ctx: RuleContext): void {
  const groups = ctx.doc.groups ?? {};
  for (const { path, approvals } of approvalBlocks(ctx.doc)) {
    const from = approvals.from ?? [];
    from.forEach((entry, n) => {
      if (entry === OWNERS || isIdentity(entry) || Object.hasOwn(groups, entry)) return;
      const known = Object.keys(groups);
      report(ctx, 'unknown-group', [...path, 'from', n], `'${entry}' is not a group of this policy, an email, github:<login>, gitlab:<username> or owners; ${known.length ? `the groups are ${known.join(', ')}` : 'the policy defines no groups'}`);
    });
    if (from.length === 0 || from.includes(OWNERS)) continue;
    const people = new Set<string>();
    for (const entry of from) {
      if (Object.hasOwn(groups, entry)) groups[entry].forEach((m) => people.add(normalizeIdentity(m)));
      else if (isIdentity(entry)) people.add(normalizeIdentity(entry));
    }
    if (approvals.min > people.size) {
      report(ctx, 'approvals-unreachable', [...path, 'min'], `min is ${approvals.min}, but 'from' names only ${people.size} ${people.size === 1 ? 'person' : 'people'}; the requirement can never be met`, 'warning');
    }
  }
}

/** Group members are identities; a group named `owners` is shadowed by the model's owners. */
export function groupMembers(ctx: RuleContext): void {
  for (const [name, members] of Object.entries(ctx.doc.groups ?? {})) {
    if (name === OWNERS) report(ctx, 'reserved-group', ['groups', name], `a group cannot be called 'owners': in approvals.from that word means the model's owners; rename the group`, 'warning');
    members.forEach((m, n) => {
      if (!isIdentity(m)) report(ctx, 'group-member', ['groups', name, n], `'${m}' is neither an email, github:<login> nor gitlab:<username>, so no approval can match it`, 'warning');
    });
  }
}

/** Every `when` of the policy, with its path. */
export function guardSites(d: Policy): Array<{ path: Path; source: string }> {
  const out: Array<{ path: Path; source: string }> = [];
  (d.transitions ?? []).forEach((t, n) => t.when !== undefined && out.push({ path: ['transitions', n, 'when'], source: t.when }));
  for (const key of ['rollback', 'delete'] as const) if (d[key]?.when !== undefined) out.push({ path: [key, 'when'], source: d[key]!.when! });
  for (const [name, a] of Object.entries(d.aliases ?? {})) if (a.when !== undefined) out.push({ path: ['aliases', name, 'when'], source: a.when });
  (d.automations ?? []).forEach((a, n) => a.when !== undefined && out.push({ path: ['automations', n, 'when'], source: a.when }));
  return out;
}

/** Guards compile, name only fields the records have, type-check and stay within the cost limits. */
export function guards(ctx: RuleContext): void {
  for (const { path, source } of guardSites(ctx.doc)) {
    const { guard, error } = (ctx.cel ?? missing('CEL', ctx)).compileGuard(source);
    if (guard) ctx.guards.set(path.join('.'), guard);
    else if (error) report(ctx, error.rule, path, error.message);
  }
}

/** An automation's target should be reachable from the initial stage, or it will always be denied. */
export function automationTargets(ctx: RuleContext): void {
  const refHas = (ref: StageRef, s: string) => (typeof ref === 'string' ? [ref] : ref).some((x) => x === '*' || x === s);
  (ctx.doc.automations ?? []).forEach((a, n) => {
    if (!ctx.stages.includes(a.transition) || a.transition === ctx.initialStage) return;
    if ((ctx.doc.transitions ?? []).some((t) => refHas(t.from, ctx.initialStage) && refHas(t.to, a.transition))) return;
    report(ctx, 'automation-unreachable', ['automations', n, 'transition'], `no transition rule allows ${ctx.initialStage} -> ${a.transition}, so this automation is always denied`, 'warning');
  });
}


/** A version starts in the initial stage; if no rule leads out of it, no version can ever move. */
export function initialStageExit(ctx: RuleContext): void {
  // A policy without transitions is a frozen registry by design; one whose rules all start elsewhere is a mistake.
  if (!ctx.stages.includes(ctx.initialStage) || ctx.stages.length < 2 || !(ctx.doc.transitions ?? []).length) return;
  const refHas = (ref: StageRef, s: string) => (typeof ref === 'string' ? [ref] : ref).some((x) => x === '*' || x === s);
  const exits = (ctx.doc.transitions ?? []).some((t) => refHas(t.from, ctx.initialStage) && ctx.stages.some((to) => to !== ctx.initialStage && refHas(t.to, to)));
  if (!exits) report(ctx, 'initial-stage-dead-end', [ctx.doc.initialStage !== undefined ? 'initialStage' : 'stages'], `no transition leads out of the initial stage ${ctx.initialStage}, so no version could ever move; add a rule with from: ${ctx.initialStage}`, 'warning');
}

/** A stage's `monitor:`: one provider per metric, JSONPaths that parse, conditions that compile. */
export function monitors(ctx: RuleContext): void {
  ctx.doc.stages.forEach((s, n) => {
    if (s.monitor) for (const p of (ctx.monitor ?? missing('monitor', ctx)).monitorProblems(s.monitor, n, ctx.guards)) report(ctx, p.rule, p.path, p.message);
  });
}

export const RULES: Array<(ctx: RuleContext) => void> = [duplicateStages, stageReferences, approvalSources, groupMembers, guards, automationTargets, initialStageExit, monitors];
