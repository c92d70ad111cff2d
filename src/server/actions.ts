/**
 * The web UI's write actions — approve, request a promotion, roll back, set an alias, tag,
 * describe — as translations of form fields into the CLI's operations. Each action runs twice:
 * a preview (the operation's dry run: its policy checklist and the commit it would make,
 * nothing written) and, on confirm, the same operation for real, which evaluates the policy
 * again on the branch tip of that moment. A denial at either step writes nothing.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import { Context } from '../ops/context.js';
import type { PlannedCommit } from '../ops/write.js';
import type { Decision } from '../policy/index.js';
import type { Identity } from '../storage/repo.js';
import { ACTIONS, isAction, type ActionName, type ActionOutcome, type DiffRow } from '../ui/action-types.js';

export { ACTIONS, isAction, type ActionName, type ActionOutcome, type DiffRow };

/** Form fields, as strings (an absent field is undefined; an empty one is ''). */
export type Fields = Record<string, string | undefined>;

/** Runs `fn` as `actor` with a context that writes the served branch, one write at a time, then serves what it committed. */
export type Runner = <R>(actor: Identity, fn: (ctx: Context, o: { push: boolean }) => Promise<R>) => Promise<R>;

const need = (f: Fields, k: string, label = k): string => {
  const v = f[k]?.trim();
  if (!v) throw new RegistryError('BAD_INPUT', `The form needs ${label}.`, { field: k });
  return v;
};
const opt = (f: Fields, k: string): string | undefined => f[k]?.trim() || undefined;

/** A context like `base` that writes `ref` (a proposal branch) instead of the served branch. */
class OnBranch extends Context {
  constructor(base: Context, private readonly ref: string) { super(base.repo, base.options); }
  override async targetRef(): Promise<string> { return this.ref; }
}

/** Only the served branch and proposal branches (`modelreg/…`) are written from the UI. */
function proposalBranch(f: Fields): string | undefined {
  const b = opt(f, 'branch');
  if (b === undefined) return undefined;
  if (!/^modelreg\/[A-Za-z0-9._/-]+$/.test(b) || b.includes('..') || b.endsWith('.lock')) {
    throw new RegistryError('BAD_INPUT', `The UI writes only the served branch and proposal branches (modelreg/…), not ${JSON.stringify(b)}.`, { field: 'branch' });
  }
  return b;
}

/** The lines that differ between two texts, with one line of context each side. */
export function changedRows(before = '', after = ''): DiffRow[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const rows: DiffRow[] = [];
  if (start > 0) rows.push({ op: ' ', text: a[start - 1] });
  for (let i = start; i < endA; i++) rows.push({ op: '-', text: a[i] });
  for (let i = start; i < endB; i++) rows.push({ op: '+', text: b[i] });
  if (endA < a.length && a[endA] !== '') rows.push({ op: ' ', text: a[endA] });
  return rows;
}

function plannedView(p: PlannedCommit | undefined): ActionOutcome['planned'] {
  if (!p) return undefined;
  return { subject: p.message.subject, trailers: p.message.trailers, files: p.files.map((f) => ({ path: f.path, rows: changedRows(f.before, f.after) })) };
}

/** Every failed check is an approval: what review supplies, so a proposal branch may carry the change. */
const onlyApprovalsMissing = (d: Decision) => d.checks.some((c) => !c.ok) && d.checks.every((c) => c.ok || c.name.startsWith('approvals'));

interface Step {
  title: string;
  fields: Record<string, string>;
  /** Runs the operation (a dry run when `dryRun`); returns the outcome's parts. */
  run(ctx: Context, o: { dryRun: boolean; push: boolean; mode?: 'commit' | 'branch' }): Promise<Partial<ActionOutcome>>;
}

function approveStep(f: Fields): Step {
  const model = need(f, 'model');
  const version = need(f, 'version');
  const stage = need(f, 'stage');
  const branch = proposalBranch(f);
  const comment = opt(f, 'comment');
  return {
    title: `approve ${model} ${version} for ${stage}${branch ? ` on ${branch}` : ''}`,
    fields: { model, version, stage, ...(branch ? { branch } : {}), ...(comment ? { comment } : {}) },
    async run(base, o) {
      const ctx = branch ? new OnBranch(base, `refs/heads/${branch}`) : base;
      const { approve } = await import('../ops/approve.js');
      const r = await approve(ctx, { model, version, stage, dryRun: o.dryRun, push: o.push, ...(comment ? { comment } : {}) });
      const notes = [r.eligible ? `Your approval (${r.by}) is one the policy counts for ${stage}.` : `${r.by} is not an approver the policy counts for ${stage}: the approval is recorded but does not count.`];
      return { decision: await moveChecklist(base, { model, version, stage, branch }), notes, planned: plannedView(r.planned), branch: r.branch, commit: r.commit, pushed: r.pushed };
    },
  };
}

/** The checklist of the move an approval is for: on a proposal branch as its check --base sees it, else the move from the version's stage now. */
async function moveChecklist(ctx: Context, i: { model: string; version: string; stage: string; branch?: string }): Promise<Decision | undefined> {
  if (i.branch) {
    const { pendingBranch } = await import('../ops/pending.js');
    const p = await pendingBranch(ctx, i.branch, await ctx.targetRef());
    const d = p?.check?.decisions.find((x) => x.event.type === 'transition' && x.model.toLowerCase() === i.model.toLowerCase() && x.version === i.version);
    return d ? { allowed: d.allowed, checks: d.checks, message: d.message } : undefined;
  }
  if (i.stage.startsWith('alias:')) {
    // The alias move it approves, as a dry run: its decision, or the denial's.
    const { alias } = await import('../ops/metadata.js');
    return alias(ctx, { model: i.model, alias: i.stage.slice('alias:'.length), version: i.version, dryRun: true }).then((r) => r.decision, (e) => {
      if (isRegistryError(e, 'DENIED')) return e.data.decision as Decision;
      if (isRegistryError(e)) return undefined;
      throw e;
    });
  }
  if (i.stage.includes(':') || i.stage === 'rollback' || i.stage === 'delete') return undefined;
  const { explain } = await import('../ops/explain.js');
  return (await explain(ctx, i)).decision;
}

function promoteStep(f: Fields): Step {
  const model = need(f, 'model');
  const version = need(f, 'version');
  const stage = need(f, 'stage');
  const message = opt(f, 'message');
  return {
    title: `promote ${model} ${version} to ${stage}`,
    fields: { model, version, stage, ...(message ? { message } : {}) },
    async run(ctx, o) {
      const { transition } = await import('../ops/transition.js');
      const input = { model, version, stage, push: o.push, ...(message ? { message } : {}) };
      if (o.dryRun) {
        const direct = await transition(ctx, { ...input, dryRun: true });
        if (direct.allowed) return { mode: 'commit', decision: direct.decision, planned: plannedView(direct.planned), branch: direct.branch, notes: ['The policy allows this move now: confirming commits it on the served branch.'] };
        if (!onlyApprovalsMissing(direct.decision)) return { step: 'denied', decision: direct.decision, notes: [] };
        const proposal = await transition(ctx, { ...input, dryRun: true, branch: true, allowPending: true });
        return { mode: 'branch', decision: direct.decision, planned: plannedView(proposal.planned), branch: proposal.branch, notes: ['Only approvals are missing: confirming opens a proposal branch for review (with a forge token, a pull request), as modelreg promote --branch does. It merges when its approvals are in.'] };
      }
      const r = await transition(ctx, o.mode === 'branch' ? { ...input, branch: true, allowPending: true } : input);
      const out: Partial<ActionOutcome> = { mode: o.mode ?? 'commit', decision: r.decision, branch: r.branch, commit: r.commit, pushed: r.pushed, notes: r.archived.length ? [`Archived ${r.archived.join(', ')}.`] : [] };
      if (o.mode === 'branch' && o.push && r.commit) {
        const { openPullRequest } = await import('../ops/pull-request.js');
        const pr = await openPullRequest(ctx, { branch: r.branch, title: `promote ${r.model} ${r.version}: ${r.from} -> ${r.stage}` });
        out.pullRequest = pr.url ? { url: pr.url } : { manual: pr.manual };
      }
      return out;
    },
  };
}

function rollbackStep(f: Fields): Step {
  const model = need(f, 'model');
  const stage = opt(f, 'stage');
  const to = opt(f, 'to');
  const reason = opt(f, 'reason');
  return {
    title: `roll back ${model}${stage ? ` ${stage}` : ''}${to ? ` to ${to}` : ''}`,
    fields: { model, ...(stage ? { stage } : {}), ...(to ? { to } : {}), ...(reason ? { reason } : {}) },
    async run(ctx, o) {
      const { rollback } = await import('../ops/rollback.js');
      const r = await rollback(ctx, { model, dryRun: o.dryRun, push: o.push, ...(stage ? { stage } : {}), ...(to ? { to } : {}), ...(reason ? { reason } : {}) });
      const moves = r.changes.map((c) => (c.alias ? `@${c.alias}: ${c.from ?? '(none)'} → ${c.to ?? '(none)'}` : `${c.version}: ${c.from} → ${c.to}`));
      return { mode: 'commit', decision: r.decision, planned: plannedView(r.planned), branch: r.branch, commit: r.commit, pushed: r.pushed, notes: [`${r.stage}: ${moves.join(', ')}${r.reverts ? ` (reverts ${r.reverts.slice(0, 12)})` : ''}.`] };
    },
  };
}

function aliasStep(f: Fields): Step {
  const model = need(f, 'model');
  const alias = need(f, 'alias');
  const version = opt(f, 'version');
  return {
    title: version ? `point ${model}@${alias} at ${version}` : `remove ${model}@${alias}`,
    fields: { model, alias, ...(version ? { version } : {}) },
    async run(ctx, o) {
      const { alias: run } = await import('../ops/metadata.js');
      const r = await run(ctx, { model, alias, dryRun: o.dryRun, push: o.push, ...(version ? { version } : {}) });
      return { mode: 'commit', decision: r.decision, planned: plannedView(r.planned), branch: r.branch, commit: r.commit, pushed: r.pushed, notes: r.decision ? [] : ['No policy rule governs removing an alias; it is one commit.'] };
    },
  };
}

function tagStep(f: Fields): Step {
  const model = need(f, 'model');
  const version = opt(f, 'version');
  const key = need(f, 'key');
  const remove = f.remove === '1' || f.remove === 'on';
  const value = remove ? undefined : f.value ?? '';
  return {
    title: `${remove ? 'remove tag' : 'tag'} ${model}${version ? ` ${version}` : ''}: ${remove ? key : `${key}=${value}`}`,
    fields: { model, ...(version ? { version } : {}), key, ...(remove ? { remove: '1' } : { value: value! }) },
    async run(ctx, o) {
      const { tag } = await import('../ops/metadata.js');
      const r = await tag(ctx, { model, dryRun: o.dryRun, push: o.push, ...(version ? { version } : {}), ...(remove ? { delete: [key] } : { set: { [key]: value! } }) });
      return { mode: 'commit', planned: plannedView(r.planned), branch: r.branch, commit: r.commit, pushed: r.pushed, notes: ['No policy rule governs tags; the change is one commit.'] };
    },
  };
}

function describeStep(f: Fields): Step {
  const model = need(f, 'model');
  const version = opt(f, 'version');
  const description = (f.description ?? '').replace(/\r\n/g, '\n').trim();
  return {
    title: `describe ${model}${version ? ` ${version}` : ''}`,
    fields: { model, ...(version ? { version } : {}), description },
    async run(ctx, o) {
      const { describe } = await import('../ops/metadata.js');
      const r = await describe(ctx, { model, description, dryRun: o.dryRun, push: o.push, ...(version ? { version } : {}) });
      return { mode: 'commit', planned: plannedView(r.planned), branch: r.branch, commit: r.commit, pushed: r.pushed, notes: ['No policy rule governs descriptions; the change is one commit.'] };
    },
  };
}

const STEPS: Record<ActionName, (f: Fields) => Step> = { approve: approveStep, promote: promoteStep, rollback: rollbackStep, alias: aliasStep, tag: tagStep, describe: describeStep };

/** A denial or another RegistryError as an outcome; anything else is rethrown (a bug). */
function failed(action: ActionName, title: string, fields: Record<string, string>, e: unknown): ActionOutcome {
  if (!isRegistryError(e)) throw e;
  const decision = e.code === 'DENIED' ? (e.data.decision as Decision | undefined) : undefined;
  return { action, title, fields, step: e.code === 'DENIED' ? 'denied' : 'error', notes: [], ...(decision ? { decision } : {}), error: { code: e.code, message: e.message } };
}

/**
 * The preview of an action: its dry run through the same operation as the CLI — the policy's
 * checklist and the commit it would make. Nothing is written.
 * @example await previewAction('promote', { model: 'churn', version: '1.2.0', stage: 'Production' }, run, ada)
 */
export async function previewAction(action: ActionName, given: Fields, run: Runner, actor: Identity): Promise<ActionOutcome> {
  let step: Step;
  try { step = STEPS[action](given); } catch (e) { return failed(action, action, {}, e); }
  try {
    const parts = await run(actor, (ctx) => step.run(ctx, { dryRun: true, push: false }));
    return { action, title: step.title, fields: step.fields, step: 'preview', notes: [], ...parts, commit: undefined };
  } catch (e) {
    return failed(action, step.title, step.fields, e);
  }
}

/**
 * Commits an action previewed before (`mode` is what the preview said: a commit, or a proposal
 * branch). The policy is evaluated again; a denial writes nothing and carries the checklist.
 */
export async function confirmAction(action: ActionName, given: Fields, run: Runner, actor: Identity): Promise<ActionOutcome> {
  let step: Step;
  try { step = STEPS[action](given); } catch (e) { return failed(action, action, {}, e); }
  const mode = given.mode === 'branch' ? 'branch' : 'commit';
  try {
    const parts = await run(actor, (ctx, o) => step.run(ctx, { dryRun: false, push: o.push, mode }));
    return { action, title: step.title, fields: step.fields, step: 'done', notes: [], ...parts };
  } catch (e) {
    return failed(action, step.title, step.fields, e);
  }
}
