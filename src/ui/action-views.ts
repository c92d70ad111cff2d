/**
 * The views of the UI's write side: the sign-in form, an action's form, its preview (the
 * policy checklist and the commit it would make, with a confirm button) and its outcome, and the
 * checklist every one of them shows. Forms POST and carry the session's CSRF token; nothing here
 * writes, and every registry string goes through `html`.
 */
import type { Decision } from '../policy/index.js';
import type { ActionName, ActionOutcome } from './action-types.js';
import { html, href, type Html } from './html.js';
import { commitId } from './format.js';

/** Who is signed in and the CSRF token of their session; undefined when nobody is. */
export interface Viewer { name: string; email: string; csrf: string; via: 'token' | 'local' }

/** What the server allows: writes with tokens, with its local identity, or none. */
export type WriteMode = { kind: 'tokens' } | { kind: 'local'; name: string; email: string } | { kind: 'read-only'; why: string };

const csrfField = (v: Viewer) => html`<input type="hidden" name="csrf" value="${v.csrf}">`;

/** The signed-in line: who, and a sign-out button (a POST with the CSRF token). */
export function whoBar(v: Viewer | undefined, mode: WriteMode, next: string): Html {
  if (mode.kind === 'read-only') return html`<p class="who muted" role="status">${mode.why}</p>`;
  if (!v) return html`<p class="who"><a href="${href('/sign-in', { next })}">Sign in</a> to approve, promote or change metadata.</p>`;
  return html`<form class="who" method="post" action="/sign-out">Signed in as <strong>${v.name}</strong> &lt;${v.email}&gt;${v.via === 'local' ? ' (the server\'s local identity)' : ''} ${csrfField(v)}<button type="submit">Sign out</button></form>`;
}

export function signInForm(mode: WriteMode, csrf: string, next: string, error?: string): Html {
  const err = error ? html`<p role="alert" class="error">${error}</p>` : html``;
  if (mode.kind === 'read-only') return html`<p role="status">${mode.why}</p>`;
  if (mode.kind === 'local') {
    return html`${err}<form method="post" action="/sign-in" class="action-form">
<p>This server writes as its local identity, <strong>${mode.name}</strong> &lt;${mode.email}&gt; (started with <code>--local-identity</code>).</p>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<button type="submit">Continue as ${mode.name}</button></form>`;
  }
  return html`${err}<form method="post" action="/sign-in" class="action-form">
<p>Sign in with your token from the server's token file (the one MLflow clients send as <code>MLFLOW_TRACKING_TOKEN</code>). Your writes are commits authored by its identity.</p>
<div class="field"><label for="token">Token</label><input id="token" name="token" type="password" autocomplete="current-password" required size="40"></div>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<p><button type="submit">Sign in</button></p></form>`;
}

/** A policy decision as a table: each requirement, what it asks, what was found, pass or fail. */
export function checklist(d: Pick<Decision, 'allowed' | 'checks' | 'message'> | undefined, caption = 'Policy checklist'): Html {
  if (!d) return html``;
  const rows = d.checks.map((c) => html`<tr class="${c.ok ? 'check-ok' : 'check-fail'}"><td><span class="mark" aria-label="${c.ok ? 'passes' : 'fails'}">${c.ok ? '✓' : '✗'}</span></td><th scope="row">${c.name}</th><td>${c.expected}</td><td>${c.actual}</td></tr>`);
  return html`<table class="grid checklist"><caption>${caption}: <strong class="${d.allowed ? 'verdict-ok' : 'verdict-fail'}">${d.allowed ? 'allowed' : 'not allowed'}</strong> — ${d.message}</caption>
<thead><tr><th scope="col"><span class="visually-hidden">Result</span></th><th scope="col">Requirement</th><th scope="col">Needs</th><th scope="col">Found</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="muted">No requirements.</td></tr>`}</tbody></table>`;
}

/** The fields each action's form asks for. */
type Choice = 'stages' | 'versions' | 'aliases';
const FORM: Record<ActionName, Array<{ name: string; label: string; kind?: 'textarea' | 'checkbox'; hint?: string; required?: boolean; list?: Choice }>> = {
  promote: [{ name: 'model', label: 'Model', required: true }, { name: 'version', label: 'Version', required: true, list: 'versions' }, { name: 'stage', label: 'To stage', required: true, list: 'stages' }, { name: 'message', label: 'Why (commit message)', kind: 'textarea' }],
  approve: [{ name: 'model', label: 'Model', required: true }, { name: 'version', label: 'Version', required: true, list: 'versions' }, { name: 'stage', label: 'For stage', required: true, hint: 'a stage, alias:NAME, rollback or delete', list: 'stages' }, { name: 'branch', label: 'On proposal branch', hint: 'empty: the served branch' }, { name: 'comment', label: 'Comment', kind: 'textarea' }],
  rollback: [{ name: 'model', label: 'Model', required: true }, { name: 'stage', label: 'Stage', hint: 'default: the exclusive stage (Production)', list: 'stages' }, { name: 'to', label: 'Restore version', hint: 'empty: revert the promotion that put the current holder there', list: 'versions' }, { name: 'reason', label: 'Reason', kind: 'textarea' }],
  alias: [{ name: 'model', label: 'Model', required: true }, { name: 'alias', label: 'Alias', required: true, list: 'aliases' }, { name: 'version', label: 'Version', hint: 'empty: remove the alias', list: 'versions' }],
  tag: [{ name: 'model', label: 'Model', required: true }, { name: 'version', label: 'Version', hint: 'empty: tag the model', list: 'versions' }, { name: 'key', label: 'Key', required: true }, { name: 'value', label: 'Value' }, { name: 'remove', label: 'Remove this tag', kind: 'checkbox' }],
  describe: [{ name: 'model', label: 'Model', required: true }, { name: 'version', label: 'Version', hint: 'empty: describe the model', list: 'versions' }, { name: 'description', label: 'Description', kind: 'textarea' }],
};

export const ACTION_TITLES: Record<ActionName, string> = { promote: 'Request a promotion', approve: 'Approve', rollback: 'Roll back', alias: 'Set an alias', tag: 'Tag', describe: 'Describe' };

/** An action's form, filled from the query, with the model's stages, versions and aliases to pick from; its button asks for the preview (a POST). */
export function actionForm(action: ActionName, values: URLSearchParams, v: Viewer, choices: Record<Choice, string[]> = { stages: [], versions: [], aliases: [] }): Html {
  const used = new Set<Choice>();
  const fields = FORM[action].map((f) => {
    const id = `f-${f.name}`;
    const value = values.get(f.name) ?? '';
    const hint = f.hint ? html`<span class="muted" id="${id}-hint">${f.hint}</span>` : html``;
    const described = f.hint ? html` aria-describedby="${id}-hint"` : html``;
    if (f.kind === 'checkbox') return html`<div class="field check"><label><input type="checkbox" name="${f.name}" value="1"${value === '1' ? html` checked` : html``}> ${f.label}</label></div>`;
    if (f.kind === 'textarea') return html`<div class="field"><label for="${id}">${f.label}</label><textarea id="${id}" name="${f.name}" rows="3" cols="60"${described}>${value}</textarea>${hint}</div>`;
    const offered = f.list && choices[f.list].length ? f.list : undefined;
    if (offered) used.add(offered);
    const list = offered ? html` list="choices-${offered}"` : html``;
    return html`<div class="field"><label for="${id}">${f.label}</label><input id="${id}" name="${f.name}" value="${value}"${f.required ? html` required` : html``}${described}${list}>${hint}</div>`;
  });
  const lists = [...used].map((c) => html`<datalist id="choices-${c}">${choices[c].map((x) => html`<option value="${x}"></option>`)}</datalist>`);
  return html`<form method="post" action="/actions/${action}" class="action-form">
${fields}${lists}
${csrfField(v)}<input type="hidden" name="step" value="preview">
<p><button type="submit">Preview</button> <span class="muted">Shows the policy checklist and the commit; nothing is written until you confirm.</span></p>
</form>`;
}

function plannedCommit(o: ActionOutcome): Html {
  if (!o.planned) return html``;
  const files = o.planned.files.map((f) => html`<figure class="diff"><figcaption><code>${f.path}</code></figcaption><pre>${f.rows.map((r) => html`<span class="${r.op === '+' ? 'add' : r.op === '-' ? 'del' : 'ctx'}">${r.op} ${r.text}\n</span>`)}</pre></figure>`);
  return html`<section aria-labelledby="planned-h"><h2 id="planned-h">The commit${o.branch ? html` on <code>${o.branch}</code>` : ''}</h2>
<pre class="message">${o.planned.subject}\n\n${o.planned.trailers.map(([k, v]) => `${k}: ${v}\n`)}</pre>${files}</section>`;
}

/** A preview (with the confirm form), a denial, an error or a done action. */
export function outcomeView(o: ActionOutcome, v: Viewer | undefined): Html {
  const notes = o.notes.map((n) => html`<p class="note">${n}</p>`);
  if (o.step === 'error') return html`<p role="alert" class="error">${o.error?.message ?? 'The action failed.'}</p><p>Nothing was written. <a href="${href(`/actions/${o.action}`, o.fields)}">Back to the form</a></p>`;
  if (o.step === 'denied') {
    return html`<p role="alert" class="error">Denied by policy: ${o.title}. Nothing was written.</p>${checklist(o.decision)}${notes}
<p><a href="${href(`/actions/${o.action}`, o.fields)}">Back to the form</a></p>`;
  }
  if (o.step === 'done') {
    const where = o.mode === 'branch' ? html`on the proposal branch <code>${o.branch}</code>` : html`on <code>${o.branch}</code>`;
    const pr = o.pullRequest?.url ? html`<p>Opened <a href="${o.pullRequest.url}">${o.pullRequest.url}</a>.</p>` : o.pullRequest?.manual ? html`<pre class="message">${o.pullRequest.manual}</pre>` : html``;
    return html`<p role="status" class="done">Done: ${o.title} — ${o.commit ? html`commit ${commitId(o.commit)} ${where}` : html`nothing to change`}${o.pushed ? ', pushed' : ''}.</p>${pr}${notes}${checklist(o.decision)}
<p><a href="/promotions">Promotions</a> · <a href="${href('/model', { name: o.fields.model })}">${o.fields.model}</a></p>`;
  }
  const confirm = v
    ? html`<form method="post" action="/actions/${o.action}" class="confirm">
${Object.entries(o.fields).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}
<input type="hidden" name="mode" value="${o.mode ?? 'commit'}">${csrfField(v)}<input type="hidden" name="step" value="confirm">
<button type="submit">${o.mode === 'branch' ? 'Confirm: open the proposal branch' : 'Confirm: commit'}</button> <a href="${href(`/actions/${o.action}`, o.fields)}">Change</a></form>`
    : html``;
  return html`<p role="status">Preview of <strong>${o.title}</strong>: nothing has been written.</p>${notes}${checklist(o.decision)}${plannedCommit(o)}${confirm}`;
}
