/**
 * The Promotions page: every pending promotion — a `modelreg/*` branch, or with a forge token an
 * open pull request — with its changes in words and, for each change the policy judges, the
 * checklist `check --base` computes (what approvals are missing, which guards fail). Signed-in
 * reviewers get an Approve button per promotion (a link to the action's form; the form POSTs).
 */
import type { PendingPromotion, PendingResult } from '../ops/pending.js';
import { checklist, type Viewer, type WriteMode } from './action-views.js';
import { commitId, when } from './format.js';
import { html, href, type Html } from './html.js';

function approveLinks(p: PendingPromotion, canWrite: boolean): Html {
  if (!canWrite || !p.check || !p.head) return html``;
  const moves = p.check.decisions.filter((d) => d.event.type === 'transition' && !d.allowed && d.checks.some((c) => !c.ok && c.name.startsWith('approvals')));
  return html`${moves.map((d) => {
    const e = d.event as { model: string; version: string; to: string };
    return html`<a class="button" href="${href('/actions/approve', { model: e.model, version: e.version, stage: e.to, branch: p.branch.startsWith('modelreg/') ? p.branch : undefined })}">Approve ${e.model} ${e.version} for ${e.to}…</a> `;
  })}`;
}

/** Problems that restate a policy decision, which the page shows as its checklist. */
const DECIDED = new Set(['policy-transition', 'policy-alias', 'policy-register', 'policy-rollback', 'policy-delete']);

function promotion(p: PendingPromotion, canWrite: boolean): Html {
  const pr = p.pullRequest;
  const heading = pr ? html`${pr.url ? html`<a href="${pr.url}">${pr.forge === 'gitlab' ? '!' : '#'}${pr.number}</a>` : html`#${pr.number}`} ${pr.title}` : html`<code>${p.branch}</code>`;
  const meta = html`<p class="muted">${pr ? html`Branch <code>${p.branch}</code>${pr.author ? html` by ${pr.author}` : ''}${pr.approvers.length ? html`; approved on the forge by ${pr.approvers.join(', ')}` : ''}. ` : ''}${p.subject ? html`Last commit ${commitId(p.head)} “${p.subject}” by ${p.author?.name} ${when(p.at)}.` : ''}</p>`;
  const behind = p.behind ? html`<p class="note">The registry branch moved on since this branch left it (at ${commitId(p.base)}): the changes are compared with that commit; update the branch before merging, CI checks the merge result.</p>` : html``;
  const lines = p.lines.length ? html`<ul class="changes">${p.lines.map((l) => html`<li class="${l.needs ? 'needs' : ''}">${l.text}</li>`)}</ul>` : html``;
  const decisions = (p.check?.decisions ?? []).map((d) => checklist(d, d.subject));
  // Denials are shown as their checklists above; the other problems (schema, forged approvals, invariants) are listed.
  const problems = (p.check?.problems ?? []).filter((x) => !DECIDED.has(x.rule));
  const problemList = problems.length ? html`<h3>Problems</h3><ul class="problems">${problems.map((x) => html`<li class="${x.severity}"><code>${x.file}:${x.line}</code> ${x.rule}: ${x.message}</li>`)}</ul>` : html``;
  const verdict = p.error ? html`<p role="alert" class="error">${p.error}</p>` : p.check ? html`<p class="${p.check.ok ? 'verdict-ok' : 'verdict-fail'}"><strong>${p.check.ok ? 'Ready to merge: the check passes.' : 'Not ready: the check fails.'}</strong></p>` : html``;
  return html`<article class="promotion" aria-label="${p.branch}"><h2>${heading}</h2>${meta}${behind}${verdict}${lines}${decisions}${problemList}<p>${approveLinks(p, canWrite)}</p></article>`;
}

export function promotionsView(r: PendingResult, v: Viewer | undefined, mode: WriteMode): Html {
  const canWrite = mode.kind !== 'read-only';
  const forge = r.forge?.error ? html`<p class="muted">Pull requests are not listed: ${r.forge.error}</p>` : r.forge?.name ? html`<p class="muted">Open ${r.forge.name === 'gitlab' ? 'merge' : 'pull'} requests into <code>${r.target}</code> are listed from ${r.forge.name}.</p>` : html``;
  const intro = html`<p>Changes proposed for <code>${r.target}</code>${r.tip ? html` (at ${commitId(r.tip)})` : ''}, each checked against its base as <code>modelreg check --base</code> does in CI.${canWrite ? html` <a href="${href('/actions/promote')}">Request a promotion…</a>` : ''}</p>`;
  const list = r.promotions.length ? r.promotions.map((p) => promotion(p, canWrite)) : html`<p>No pending promotions: no unmerged <code>modelreg/…</code> branch${r.forge?.name ? ' and no open pull request' : ''}.</p>`;
  void v;
  return html`${intro}${forge}${list}`;
}
