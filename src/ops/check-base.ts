/**
 * `check --base`: compares the registry at base and head, turns the difference into events,
 * and evaluates every event against the policy **as it is at base** (a pull request cannot
 * loosen the policy and use the looser policy in the same change). Approval records count
 * only when the commit that added them was authored by the approver (or the forge says the
 * approver approved the pull request). The rules themselves are in base-rules.ts.
 */
import { describeEvent, type RegistryEvent } from '../domain/events.js';
import { issue, type Issue } from '../domain/issues.js';
import { modelKey } from '../domain/names.js';
import { locate, parseYaml } from '../domain/yaml-file.js';
import type { ApprovalRecord } from '../policy/index.js';
import { changedPaths, resolveCommitish } from '../storage/history.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Findings, ModelChange } from './base-context.js';
import { applyRules } from './base-rules.js';
import { modelAt, rangeCommits, findCommit, type RangeCommit } from './commit-range.js';
import type { Context } from './context.js';
import { eventsBetween } from './history.js';
import { loadPolicyAt, policyNameOf } from './policies.js';
import { renamedModels } from './renames.js';
import { webhookRules } from './webhook-rules.js';

export interface BaseCheckInput {
  base: string;
  /** Default: the commit checked out (HEAD). */
  head?: string;
  /** Identities whose review approved the pull request (`github:login`), counted as approvals. */
  forgeApprovers?: string[];
  /** An unreachable `origin` source is an error (default: a warning). */
  verifyOrigin?: boolean;
}

/** What a base check finds: the commits compared, the events between them, decisions and problems. */
export interface BaseCheck extends Findings {
  base: string;
  head: string;
  events: RegistryEvent[];
}

/**
 * The events between base and head, the base policy's decision on each, and the problems.
 * @example
 * const { events, decisions, problems } = await checkAgainstBase(ctx, { base: 'origin/main' });
 */
export async function checkAgainstBase(ctx: Context, input: BaseCheckInput): Promise<BaseCheck> {
  const store = ctx.store();
  const baseOid = await resolveCommitish(store, input.base);
  const headOid = input.head ? await resolveCommitish(store, input.head) : (await ctx.snapshotAt('HEAD', store)).commit!;
  const base = ctx.snapshot(store, baseOid, (await store.readCommit(baseOid)).tree);
  const head = ctx.snapshot(store, headOid, (await store.readCommit(headOid)).tree);
  const found: Findings = { problems: [], decisions: [] };
  const settings = await settingChanges(base, head);
  const modelEvents = await eventsBetween(ctx, base, head);
  const range = await rangeCommits(ctx, store, baseOid, headOid);
  const renamed = await renamedModels(base, head, found.problems);
  const forge = new Set((input.forgeApprovers ?? []).map((x) => x.toLowerCase()));
  for (const name of new Set(modelEvents.filter((e) => 'model' in e).map((e) => modelKey((e as { model: string }).model)))) {
    if (renamed.has(name)) continue; // reported as a rename; its events are not a model's changes
    const change = await modelChange(ctx, { base, head, range, name, events: modelEvents, found });
    if (!change) continue;
    change.verifyOrigin = input.verifyOrigin;
    await verifyApprovals(change, forge);
    await applyRules(change);
  }
  settingsAlone(settings, modelEvents.length > 0, found.problems);
  if (settings.some((e) => e.type === 'config-change')) found.problems.push(...(await webhookRules(base, head)));
  await pinpoint(head, found.problems);
  return { base: baseOid, head: headOid, events: [...settings, ...modelEvents], ...found };
}

/** The model's context for the rules, or undefined (with a problem) when its policy does not load. */
async function modelChange(ctx: Context, i: { base: Snapshot; head: Snapshot; range: RangeCommit[]; name: string; events: RegistryEvent[]; found: Findings }): Promise<ModelChange | undefined> {
  const cfg = await i.base.config();
  const before = await modelAt(i.base, i.name);
  const after = await modelAt(i.head, i.name);
  const modelFile = (after ?? before)?.file ?? `${cfg.registry}/${i.name}/model.yaml`;
  try {
    const policy = await loadPolicyAt(i.base, policyNameOf(before?.record ?? after?.record));
    const events = i.events.filter((e) => 'model' in e && modelKey((e as { model: string }).model) === i.name);
    const governing = (before ?? after)?.record;
    if (!governing) return undefined;
    return { ctx, store: i.base.store, base: i.base, range: i.range, name: i.name, before, after, modelFile, policy, governing, events, genuine: new Map(), found: i.found };
  } catch (e) {
    i.found.problems.push(issue(modelFile, 'policy', `${(e as Error).message.split('\n')[0]}`));
    return undefined;
  }
}

function sameIdentity(by: string, email: string): boolean {
  return by.trim().toLowerCase() === email.trim().toLowerCase();
}

/** Approvals added in the change are genuine only when the approver authored the commit that added them, or approved through the forge. */
async function verifyApprovals(m: ModelChange, forge: Set<string>): Promise<void> {
  for (const e of m.events) {
    if (e.type !== 'approval') continue;
    const same = (r: ApprovalRecord) => r.by === e.by && r.at === e.at && r.stage === e.stage;
    const c = await findCommit(m.range, m.name, e.version, (a, b) => !!b?.approvals?.some(same) && !a?.approvals?.some(same));
    if (forge.has(e.by.toLowerCase()) || (c && sameIdentity(e.by, c.info.author.email))) {
      m.genuine.set(e.version, [...(m.genuine.get(e.version) ?? []), { by: e.by, stage: e.stage, at: e.at }]);
      continue;
    }
    const file = m.after?.versions.get(e.version)?.file ?? m.modelFile;
    m.found.problems.push(issue(file, 'forged-approval', `approval by ${e.by} for ${e.stage} was added by ${c ? `${c.info.author.email} in ${c.info.oid.slice(0, 12)}` : 'a commit outside this change'}, not by ${e.by}; an approval counts only when the approver commits it (modelreg approve) or approves the pull request`, { field: 'approvals' }));
  }
}

type SettingEvent = Extract<RegistryEvent, { type: 'policy-change' | 'config-change' }>;

/** Policy and configuration changes, reported as such. */
async function settingChanges(base: Snapshot, head: Snapshot): Promise<SettingEvent[]> {
  const cfg = await base.config();
  const events: SettingEvent[] = [];
  for (const c of await changedPaths(base.store, (await base.entry(cfg.policies))?.oid, (await head.entry(cfg.policies))?.oid, cfg.policies)) {
    const name = c.path.slice(cfg.policies.length + 1).replace(/\.ya?ml$/, '');
    events.push({ type: 'policy-change', policy: name, file: c.path, change: !c.before ? 'added' : !c.after ? 'deleted' : 'modified' });
  }
  if ((await base.entry('modelreg.yaml'))?.oid !== (await head.entry('modelreg.yaml'))?.oid) events.push({ type: 'config-change', file: 'modelreg.yaml' });
  return events;
}

/** Policies and modelreg.yaml change in their own pull request: with registry changes beside them, an error. */
function settingsAlone(changes: SettingEvent[], otherEvents: boolean, problems: Issue[]): void {
  for (const p of changes.filter((x) => x.type === 'policy-change')) {
    problems.push(issue(p.file, 'policy-change', `${describeEvent(p)}${otherEvents ? ' in the same change as registry changes, which are checked against the base policy; change policies in their own pull request' : '; policy changes take effect when merged and need review by the policy owners'}`, { severity: otherEvents ? 'error' : 'warning' }));
  }
  if (changes.some((e) => e.type === 'config-change')) {
    problems.push(issue('modelreg.yaml', 'config-change', `modelreg.yaml changed${otherEvents ? ' in the same change as registry changes; it decides where policies and models live, so change it in its own pull request' : '; it decides where policies and models live and needs review by the policy owners'}`, { severity: otherEvents ? 'error' : 'warning' }));
  }
}

/** Problems found by comparing states carry a field; point them at its line in the head file. */
export async function pinpoint(head: Snapshot, problems: Issue[]): Promise<void> {
  const parsed = new Map<string, ReturnType<typeof parseYaml> | undefined>();
  for (const p of problems) {
    if (p.line !== 1 || p.column !== 1) continue;
    if (!parsed.has(p.file)) {
      const text = await head.text(p.file).catch(() => undefined);
      parsed.set(p.file, text === undefined ? undefined : parseYaml(text, p.file));
    }
    const doc = parsed.get(p.file);
    if (!doc) continue;
    const path = p.field ? p.field.split('.') : p.rule.startsWith('policy-transition') || p.rule === 'fake-revert' ? ['stage'] : p.rule === 'policy-alias' ? ['aliases'] : [];
    if (!path.length) continue;
    const at = locate(doc, path, true);
    p.line = at.line;
    p.column = at.column;
  }
}
