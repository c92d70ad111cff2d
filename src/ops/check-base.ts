/**
 * `check --base`: compares the registry at base and head, turns the difference into events,
 * and evaluates every event against the policy **as it is at base** (a pull request cannot
 * loosen the policy and use the looser policy in the same change). Approval records count
 * only when the commit that added them was authored by the approver (or the forge says the
 * approver approved the pull request).
 */
import { isDeepStrictEqual } from 'node:util';
import { issue, type Issue } from '../domain/issues.js';
import { locate, parseYaml } from '../domain/yaml-file.js';
import { describeEvent, type RegistryEvent } from '../domain/events.js';
import { diffModel } from '../domain/diff.js';
import { modelKey } from '../domain/names.js';
import { parseCommitMessage } from '../domain/trailers.js';
import type { ModelState, ModelVersion } from '../domain/state.js';
import { evaluateAlias, evaluateDelete, evaluateRegister, evaluateRollback, evaluateTransition, isExclusive, type ApprovalRecord, type Decision, type LoadedPolicy } from '../policy/index.js';
import { bumpBetween, compareVersions } from '../domain/versions.js';
import { changedPaths, resolveCommitish } from '../storage/history.js';
import { isAncestor } from '../storage/ancestry.js';
import type { CommitInfo, ObjectStore } from '../storage/objects.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { CheckInput, CheckResult } from './check.js';
import type { Context } from './context.js';
import { eventsBetween } from './history.js';
import { loadPolicyAt, policyNameOf } from './policies.js';
import { stageEnteredAt } from './stage-time.js';

interface RangeCommit { info: CommitInfo; befores: Snapshot[]; after: Snapshot }

/** Commits reachable from `limit` steps of base's history. */
async function ancestorsOf(store: ObjectStore, oid: string, limit = 100_000): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [oid];
  while (queue.length && seen.size < limit) {
    const cur = queue.pop()!;
    if (seen.has(cur)) continue;
    seen.add(cur);
    queue.push(...(await store.readCommit(cur)).parents);
  }
  return seen;
}

/**
 * Every commit in base..head (reachable from head, not from base), merges and the commits of
 * merged branches included, oldest first, each with the states of all its parents.
 */
async function rangeCommits(ctx: Context, store: ObjectStore, base: string, head: string, limit = 5000): Promise<RangeCommit[]> {
  const inBase = await ancestorsOf(store, base);
  const order: CommitInfo[] = [];
  const seen = new Set<string>();
  const queue = [head];
  while (queue.length && order.length < limit) {
    const cur = queue.shift()!;
    if (seen.has(cur) || inBase.has(cur)) continue;
    seen.add(cur);
    const info = await store.readCommit(cur);
    order.push(info);
    queue.push(...info.parents);
  }
  const out: RangeCommit[] = [];
  for (const info of order.sort((a, b) => a.committer.timestamp - b.committer.timestamp)) {
    const befores = [];
    for (const p of info.parents.length ? info.parents : [undefined]) befores.push(ctx.snapshot(store, p, p ? (await store.readCommit(p)).tree : undefined));
    out.push({ info, after: ctx.snapshot(store, info.oid, info.tree), befores });
  }
  return out;
}

async function modelAt(s: Snapshot, name: string): Promise<ModelState | undefined> {
  try { return await s.model(name); } catch { return undefined; }
}

/**
 * The commit in the range that introduced a change to one version: the predicate holds
 * against every parent (a merge only introduces what none of its parents had).
 */
async function findCommit(range: RangeCommit[], model: string, version: string, pred: (a: ModelVersion | undefined, b: ModelVersion | undefined) => boolean): Promise<RangeCommit | undefined> {
  for (const c of range) {
    const b = (await modelAt(c.after, model))?.versions.get(version)?.record;
    let all = true;
    for (const before of c.befores) {
      const a = (await modelAt(before, model))?.versions.get(version)?.record;
      if (!pred(a, b)) { all = false; break; }
    }
    if (all) return c;
  }
  return undefined;
}

function sameIdentity(by: string, email: string): boolean {
  return by.trim().toLowerCase() === email.trim().toLowerCase();
}

export async function checkAgainstBase(ctx: Context, input: CheckInput, result: CheckResult): Promise<void> {
  const store = ctx.store();
  const baseOid = await resolveCommitish(store, input.base!);
  const headOid = input.head ? await resolveCommitish(store, input.head) : (await ctx.snapshotAt('HEAD', store)).commit!;
  const baseSnap = ctx.snapshot(store, baseOid, (await store.readCommit(baseOid)).tree);
  const headSnap = ctx.snapshot(store, headOid, (await store.readCommit(headOid)).tree);
  result.base = baseOid;
  result.head = headOid;
  const problems: Issue[] = result.problems;
  const cfg = await baseSnap.config();
  const events: RegistryEvent[] = [];

  // Policy and configuration changes are reported as such.
  const policyChanges = [];
  for (const c of await changedPaths(store, (await baseSnap.entry(cfg.policies))?.oid, (await headSnap.entry(cfg.policies))?.oid, cfg.policies)) {
    const name = c.path.slice(cfg.policies.length + 1).replace(/\.ya?ml$/, '');
    const e: RegistryEvent = { type: 'policy-change', policy: name, file: c.path, change: !c.before ? 'added' : !c.after ? 'deleted' : 'modified' };
    events.push(e);
    policyChanges.push(e);
  }
  if ((await baseSnap.entry('modelreg.yaml'))?.oid !== (await headSnap.entry('modelreg.yaml'))?.oid) events.push({ type: 'config-change', file: 'modelreg.yaml' });

  const modelEvents = await eventsBetween(ctx, baseSnap, headSnap);
  events.push(...modelEvents);
  const range = await rangeCommits(ctx, store, baseOid, headOid);
  const approvedByForge = new Set<string>();
  if (input.forge === 'github') {
    const { githubApprovals } = await import('./forge.js');
    for (const login of await githubApprovals(ctx)) approvedByForge.add(`github:${login.toLowerCase()}`);
  }
  const decisions: NonNullable<CheckResult['decisions']> = [];
  const record = (event: string, model: string, version: string | undefined, d: Decision, file: string, rule: string) => {
    decisions.push({ event, model, ...(version ? { version } : {}), allowed: d.allowed, checks: d.checks, message: d.message });
    if (!d.allowed) problems.push(issue(file, rule, `${event}: ${d.message.replace(/\.$/, '')}${d.checks.filter((c) => !c.ok).map((c) => `; ${c.name} needs ${c.expected}, found ${c.actual}`).join('')}`));
  };

  const touched = new Set(modelEvents.filter((e) => 'model' in e).map((e) => modelKey((e as { model: string }).model)));
  for (const name of touched) {
    const before = await modelAt(baseSnap, name);
    const after = await modelAt(headSnap, name);
    const modelFile = (after ?? before)?.file ?? `${cfg.registry}/${name}/model.yaml`;
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicyAt(baseSnap, policyNameOf(before?.record ?? after?.record));
    } catch (e) {
      problems.push(issue(modelFile, 'policy', `${(e as Error).message.split('\n')[0]}`));
      continue;
    }
    const evs = modelEvents.filter((e) => 'model' in e && modelKey((e as { model: string }).model) === name);
    // The model as it is at base governs (its owners count as approvers); a new model governs itself.
    const governing = (before ?? after)!.record;
    const enteredBy = new Map<string, string>();
    // Approvals: genuine only when the commit that added the record was authored by the approver.
    const genuine = new Map<string, ApprovalRecord[]>();
    for (const e of evs.filter((x): x is RegistryEvent & { type: 'approval' } => x.type === 'approval')) {
      const c = await findCommit(range, name, e.version, (a, b) => !!b?.approvals?.some((r) => r.by === e.by && r.at === e.at && r.stage === e.stage) && !a?.approvals?.some((r) => r.by === e.by && r.at === e.at && r.stage === e.stage));
      const file = after?.versions.get(e.version)?.file ?? modelFile;
      const viaForge = approvedByForge.has(e.by.toLowerCase());
      if (viaForge || (c && sameIdentity(e.by, c.info.author.email))) {
        genuine.set(e.version, [...(genuine.get(e.version) ?? []), { by: e.by, stage: e.stage, at: e.at }]);
      } else {
        problems.push(issue(file, 'forged-approval', `approval by ${e.by} for ${e.stage} was added by ${c ? `${c.info.author.email} in ${c.info.oid.slice(0, 12)}` : 'a commit outside this change'}, not by ${e.by}; an approval counts only when the approver commits it (modelreg approve) or approves the pull request`, { field: 'approvals' }));
      }
    }
    const approvalsFor = (v: string): ApprovalRecord[] => {
      const baseRecs = before?.versions.get(v)?.record.approvals ?? [];
      return [...baseRecs, ...(genuine.get(v) ?? [])];
    };
    for (const e of evs) {
      const vfile = 'version' in e && e.version ? after?.versions.get(e.version)?.file ?? before?.versions.get(e.version)?.file ?? modelFile : modelFile;
      switch (e.type) {
        case 'immutable-change':
          problems.push(issue(vfile, 'immutable-field', `${e.field} of ${e.model} ${e.version} changed; ${e.field} is immutable once registered — register a new version instead`, { field: e.field }));
          break;
        case 'model-delete':
          problems.push(issue(modelFile, 'model-removed', `model folder ${e.model} was removed or renamed; models are never removed — deprecate or delete versions instead`));
          break;
        case 'model-update':
          if (e.field === 'deletedVersions' && !(e.from as string[] | undefined ?? []).every((v) => (e.to as string[] | undefined ?? []).includes(v))) {
            problems.push(issue(modelFile, 'version-reused', `deletedVersions lost entries; deleted version numbers are never reused`, { field: 'deletedVersions' }));
          } else if (e.field === 'policy') {
            const others = evs.filter((x) => x.type !== 'model-update' && x.type !== 'tag' && x.type !== 'description');
            problems.push(issue(modelFile, 'policy-switch', `${e.model} switches policy ${String(e.from ?? 'default')} → ${String(e.to ?? 'default')}${others.length ? ' in the same change as other registry changes; change the policy in its own pull request' : '; a policy change needs its own review'}`, { field: 'policy', severity: others.length ? 'error' : 'warning' }));
          } else if (e.field === 'owners') {
            const others = evs.filter((x) => x.type !== 'model-update' && x.type !== 'tag' && x.type !== 'description');
            problems.push(issue(modelFile, 'owners-change', `${e.model} owners change${others.length ? ' in the same change as other registry changes; the owners at the base branch decide this change — change owners in their own pull request' : ''}`, { field: 'owners', severity: others.length ? 'error' : 'warning' }));
          } else if (e.field === 'name' || e.field === 'created') {
            problems.push(issue(modelFile, 'immutable-field', `${e.field} of model ${e.model} is immutable`, { field: e.field }));
          }
          break;
        case 'register': {
          const rec = after!.versions.get(e.version)!.record;
          if ([...(before?.record.deletedVersions ?? [])].includes(e.version)) {
            problems.push(issue(vfile, 'version-reused', `${e.model} ${e.version} was deleted; version numbers are never reused`, { field: 'version' }));
          }
          const top = [...(before?.versions.keys() ?? []), ...(before?.record.deletedVersions ?? [])].sort(compareVersions).pop();
          if (top && compareVersions(e.version, top) < 0) problems.push(issue(vfile, 'version-order', `${e.model} ${e.version} is lower than the highest existing version ${top}`, { field: 'version' }));
          const previous = [...(before?.versions.values() ?? [])].map((v) => v.record).filter((r) => !r.version.includes('-') && compareVersions(r.version, e.version) < 0).sort((a, b) => compareVersions(b.version, a.version))[0];
          record(`register ${e.model} ${e.version}`, e.model, e.version, evaluateRegister({ policy, model: governing, version: rec, previous, bump: previous ? bumpBetween(previous.version, e.version) : 'none' }), vfile, 'policy-register');
          if (rec.stage !== policy.initialStage) {
            const c = await findCommit(range, name, e.version, (a, b) => !!b && b.stage === rec.stage && (!a || a.stage !== rec.stage));
            const d = evaluateTransition({ policy, model: governing, version: { ...rec, stage: policy.initialStage }, to: rec.stage, actor: { email: c?.info.author.email ?? 'unknown' }, now: ctx.now(), approvals: approvalsFor(e.version) });
            record(`${e.model} ${e.version}: registered directly in ${rec.stage}`, e.model, e.version, d, vfile, 'policy-transition');
          }
          break;
        }
        case 'transition': {
          const rec = after!.versions.get(e.version)!.record;
          const exact = await findCommit(range, name, e.version, (a, b) => a?.stage === e.from && b?.stage === e.to);
          const c = exact ?? await findCommit(range, name, e.version, (a, b) => a?.stage !== b?.stage);
          const actor = c?.info.author.email ?? 'unknown';
          // Archived as the side effect of another version entering an exclusive stage in this change.
          const archivedBy = evs.find((x) => x.type === 'transition' && x.version !== e.version && x.to === e.from && isExclusive(policy, e.from));
          if (archivedBy && e.to === (policy.archiveStage ?? 'Archived')) break;
          // A rollback only when one real revert commit makes exactly this move.
          const reverts = exact ? /This reverts commit ([0-9a-f]{40})/.exec(exact.info.message)?.[1] : c ? /This reverts commit ([0-9a-f]{40})/.exec(c.info.message)?.[1] : undefined;
          if (reverts) {
            const real = exact ? await isRealRevert(ctx, store, reverts, exact, name, e.version) : { ok: false, why: `it does not itself move ${e.model} ${e.version} from ${e.from} to ${e.to}` };
            if (!real.ok) {
              problems.push(issue(vfile, 'fake-revert', `${(exact ?? c)!.info.oid.slice(0, 12)} claims to revert ${reverts.slice(0, 12)} but ${real.why}; it is checked as an ordinary transition`, { field: 'stage' }));
            } else {
              record(`rollback ${e.model} ${e.version}: ${e.from} → ${e.to}`, e.model, e.version, evaluateRollback({ policy, model: governing, version: rec, actor: { email: actor }, now: ctx.now(), approvals: approvalsFor(e.version) }), vfile, 'policy-rollback');
              break;
            }
          }
          const entered = before?.versions.get(e.version)?.record.stage === e.from ? await stageEnteredAt(baseSnap, before.versions.get(e.version)!.file, e.from) : undefined;
          const d = evaluateTransition({ policy, model: governing, version: { ...rec, stage: e.from }, to: e.to, actor: { email: actor }, now: ctx.now(), enteredStageAt: entered?.at, approvals: approvalsFor(e.version) });
          enteredBy.set(e.version, actor);
          record(`${e.model} ${e.version}: ${e.from} → ${e.to}${e.archives?.length ? `, archives ${e.archives.join(', ')}` : ''}`, e.model, e.version, d, vfile, 'policy-transition');
          break;
        }
        case 'alias': {
          if (!e.to) break;
          const v = after?.versions.get(e.to);
          if (!v) break; // check-rules reports a dangling alias
          const c = range.length ? range[range.length - 1] : undefined;
          record(`${e.model}@${e.alias} → ${e.to}`, e.model, e.to, evaluateAlias({ policy, model: governing, version: v.record, alias: e.alias, actor: { email: c?.info.author.email ?? 'unknown' }, now: ctx.now(), approvals: approvalsFor(e.to) }), modelFile, 'policy-alias');
          break;
        }
        case 'delete': {
          const rec = before!.versions.get(e.version)!.record;
          if (after && !(after.record.deletedVersions ?? []).includes(e.version)) {
            problems.push(issue(modelFile, 'delete-unrecorded', `${e.model} ${e.version} was removed without recording it in deletedVersions; use modelreg delete so the number is never reused`, { field: 'deletedVersions' }));
          }
          record(`delete ${e.model} ${e.version}`, e.model, e.version, evaluateDelete({ policy, model: before!.record, version: rec, actor: { email: 'unknown' }, now: ctx.now(), approvals: approvalsFor(e.version) }), modelFile, 'policy-delete');
          break;
        }
        case 'approval-removed':
          problems.push(issue(vfile, 'approval-removed', `approval by ${e.by} for ${e.stage} was removed; approvals are an audit trail`, { field: 'approvals', severity: 'warning' }));
          break;
        default:
          break;
      }
    }
  }
  const otherEvents = modelEvents.length > 0;
  for (const p of policyChanges) {
    problems.push(issue((p as { file: string }).file, 'policy-change', `${describeEvent(p)}${otherEvents ? ' in the same change as registry changes, which are checked against the base policy; change policies in their own pull request' : '; policy changes take effect when merged and need review by the policy owners'}`, { severity: otherEvents ? 'error' : 'warning' }));
  }
  if (events.some((e) => e.type === 'config-change')) {
    problems.push(issue('modelreg.yaml', 'config-change', `modelreg.yaml changed${otherEvents ? ' in the same change as registry changes; it decides where policies and models live, so change it in its own pull request' : '; it decides where policies and models live and needs review by the policy owners'}`, { severity: otherEvents ? 'error' : 'warning' }));
  }
  result.events = events.map((e) => ({ ...e, description: describeEvent(e) }));
  result.decisions = decisions;
  await pinpoint(headSnap, problems);
}

/** Problems found by comparing states carry a field; point them at its line in the head file. */
async function pinpoint(head: Snapshot, problems: Issue[]): Promise<void> {
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

/** A revert is real when the reverted commit exists, is an ancestor, and the revert restores the stage it changed. */
async function isRealRevert(ctx: Context, store: ObjectStore, reverted: string, c: RangeCommit, model: string, version: string): Promise<{ ok: boolean; why: string }> {
  let info: CommitInfo;
  try { info = await store.readCommit(reverted); } catch { return { ok: false, why: 'that commit does not exist' }; }
  if (!(await isAncestor(store, reverted, c.info.oid))) return { ok: false, why: 'that commit is not in its history' };
  const parent = info.parents[0];
  const before = ctx.snapshot(store, parent, parent ? (await store.readCommit(parent)).tree : undefined);
  const after = ctx.snapshot(store, reverted, info.tree);
  const xa = (await modelAt(before, model))?.versions.get(version)?.record;
  const xb = (await modelAt(after, model))?.versions.get(version)?.record;
  if (c.befores.length !== 1) return { ok: false, why: 'it is a merge commit' };
  const ra = (await modelAt(c.befores[0], model))?.versions.get(version)?.record;
  const rb = (await modelAt(c.after, model))?.versions.get(version)?.record;
  if (!xa || !xb || xa.stage === xb.stage) return { ok: false, why: `that commit did not change the stage of ${model} ${version}` };
  if (!(ra?.stage === xb.stage && rb?.stage === xa.stage)) return { ok: false, why: `it does not restore ${model} ${version} from ${xb.stage} to ${xa.stage}` };
  if (!isDeepStrictEqual(parseCommitMessage(c.info.message).subject.startsWith('Revert'), true)) return { ok: false, why: 'its subject does not follow Git\'s Revert "…" convention' };
  return { ok: true, why: '' };
}
