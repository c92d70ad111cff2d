/**
 * How `check --base` judges a stage change: an archive that is the side effect of another
 * version entering an exclusive stage is not judged on its own; a real revert is a rollback
 * (judged by the policy's `rollback:`); a commit that only claims to revert is reported and
 * judged as an ordinary transition.
 */
import type { RegistryEvent } from '../domain/events.js';
import { issue } from '../domain/issues.js';
import { evaluateReentry, evaluateRollback, evaluateTransition, isExclusive } from '../policy/index.js';
import { approvalsFor, authorOf, decide, fileOf, report, type ModelChange } from './base-context.js';
import { findCommit, isRealRevert, type RangeCommit } from './commit-range.js';
import { stageEnteredAt } from './stage-time.js';
import { lastExitByRollback, resetsForMove } from './approval-resets.js';
import { guardDeployments } from './guard-deployments.js';

type Transition = Extract<RegistryEvent, { type: 'transition' }>;

/** The commit that made the move: exactly from → to, else the first that changed the stage. */
async function movingCommits(m: ModelChange, e: Transition): Promise<{ exact?: RangeCommit; commit?: RangeCommit }> {
  const exact = await findCommit(m.range, m.name, e.version, (a, b) => a?.stage === e.from && b?.stage === e.to);
  return { exact, commit: exact ?? await findCommit(m.range, m.name, e.version, (a, b) => a?.stage !== b?.stage) };
}

/** Archived as the side effect of another version entering an exclusive stage in this change. */
function archivedBySideEffect(m: ModelChange, e: Transition): boolean {
  const archivedBy = m.events.some((x) => x.type === 'transition' && x.version !== e.version && x.to === e.from && isExclusive(m.policy, e.from));
  return archivedBy && e.to === (m.policy.archiveStage ?? 'Archived');
}

/** A rollback only when one real revert commit makes exactly this move; a false claim is reported. */
async function judgedAsRollback(m: ModelChange, e: Transition, exact: RangeCommit | undefined, commit: RangeCommit | undefined): Promise<boolean> {
  const reverts = commit ? /This reverts commit ([0-9a-f]{40})/.exec(commit.info.message)?.[1] : undefined;
  if (!reverts) return false;
  const real = exact ? await isRealRevert(m.ctx, m.store, reverts, exact, m.name, e.version) : { ok: false, why: `it does not itself move ${e.model} ${e.version} from ${e.from} to ${e.to}` };
  if (!real.ok) {
    report(m, issue(fileOf(m, e), 'fake-revert', `${commit!.info.oid.slice(0, 12)} claims to revert ${reverts.slice(0, 12)} but ${real.why}; it is checked as an ordinary transition`, { field: 'stage' }));
    return false;
  }
  const rec = m.after!.versions.get(e.version)!.record;
  const rolledBack = evaluateRollback({ policy: m.policy, model: m.governing, version: rec, actor: { email: authorOf(commit) }, now: m.ctx.now(), approvals: approvalsFor(m, e.version) });
  // Reverting the rollback that took this version out of the stage is a promotion (approvals.resetOn).
  const exit = await lastExitByRollback(m.store, exact!.info.parents[0], fileOf(m, e), e.to);
  const d = exit ? evaluateReentry({ policy: m.policy, model: m.governing, version: { ...rec, stage: e.from }, to: e.to, actor: { email: authorOf(commit) }, now: m.ctx.now(), approvals: approvalsFor(m, e.version), resets: [exit] }, rolledBack) : rolledBack;
  decide(m, e, `rollback ${e.model} ${e.version}: ${e.from} → ${e.to}`, d, fileOf(m, e), 'policy-rollback');
  return true;
}

async function transitionAllowed(m: ModelChange, e: Transition, commit: RangeCommit | undefined): Promise<void> {
  const rec = m.after!.versions.get(e.version)!.record;
  const held = m.before?.versions.get(e.version);
  const entered = held?.record.stage === e.from ? await stageEnteredAt(m.base, held.file, e.from) : undefined;
  const approvals = approvalsFor(m, e.version);
  const resets = await resetsForMove(m.store, commit?.info.oid ?? m.base.commit, m.policy, fileOf(m, e), approvals, e.from, e.to);
  // Deployments as they are at base, as the policy is: a change cannot record a deployment and use it.
  const deployments = await guardDeployments(m.base, m.policy, m.governing.name, e.version);
  const d = evaluateTransition({ policy: m.policy, model: m.governing, version: { ...rec, stage: e.from }, to: e.to, actor: { email: authorOf(commit) }, now: m.ctx.now(), enteredStageAt: entered?.at, approvals, resets, deployments });
  decide(m, e, `${e.model} ${e.version}: ${e.from} → ${e.to}${e.archives?.length ? `, archives ${e.archives.join(', ')}` : ''}`, d, fileOf(m, e), 'policy-transition');
}

async function stageChange(m: ModelChange, e: Transition): Promise<void> {
  if (!m.after?.versions.get(e.version)) return;
  if (archivedBySideEffect(m, e)) return;
  const { exact, commit } = await movingCommits(m, e);
  if (await judgedAsRollback(m, e, exact, commit)) return;
  await transitionAllowed(m, e, commit);
}

export const transitionRules = [stageChange];
