/** Model: description, owners, policy; versions with chosen metric columns; the stage timeline from the history; a metric chart. */
import { modelActions } from '../action-links.js';
import type { ModelVersion } from '../../domain/state.js';
import { modelView, type StageTimeline } from '../../ops/ui-data.js';
import { metricChart } from '../chart.js';
import { cell, commitId, keyValues, stageBadge, when } from '../format.js';
import { html, type Html } from '../html.js';
import { link } from '../layout.js';
import { definePage, type UiRequest } from '../page.js';

/** The model a page names (`?name=`), read once per commit. */
export function modelOf(req: UiRequest, name: string) {
  return req.memo(`model:${name}`, async () => { await req.historyReady(); return modelView(req.ctx, req.commit, name); });
}

/** Versions that hold a stage other than the initial and archive stages: the chart marks them. */
export function holdersOf(versions: ModelVersion[], initial: string | undefined, archive: string | undefined): string[] {
  return versions.filter((v) => v.stage !== (initial ?? 'None') && v.stage !== (archive ?? 'Archived')).map((v) => v.version);
}

function timeline(t: StageTimeline[], at: string | undefined, name: string): Html {
  if (!t.some((s) => s.spans.length)) return html`<p class="muted">No version has held a stage yet.</p>`;
  return html`${t.filter((s) => s.spans.length).map((s) => html`<h3>${stageBadge(s.stage)}</h3>
<table class="grid timeline" data-stage="${s.stage}">
<thead><tr><th scope="col">Held by</th><th scope="col">From</th><th scope="col">Until</th><th scope="col">Changed by</th><th scope="col">Commit</th></tr></thead>
<tbody>${[...s.spans].reverse().map((sp) => html`<tr class="${sp.until ? '' : 'span-now'}" data-from="${sp.from.time}" data-until="${sp.until?.time ?? ''}">
<td>${sp.holders.map((v, i) => html`${i ? ', ' : ''}<a href="${link('/version', at, { name, v })}">${v}</a>`)}</td>
<td>${when(sp.from.time)}</td><td>${sp.until ? when(sp.until.time) : html`<span class="muted">now</span>`}</td>
<td>${sp.from.authorName} <span class="muted">${sp.from.author}</span></td><td><a href="${link('/history', at, { model: name })}#c-${sp.from.commit}">${commitId(sp.from.commit)}</a></td>
</tr>`)}</tbody></table>`)}`;
}

const TABLE_ROWS = 100;

definePage({
  path: '/model',
  title: 'Model',
  async render(req) {
    const name = req.query.get('name');
    if (!name) return { title: 'Model', body: html`<p role="alert" class="error">Which model? Add ?name=MODEL, or pick one on the <a href="${link('/', req.at)}">Models</a> page.</p>`, status: 400 };
    const m = await modelOf(req, name);
    const at = req.at;
    const picked = req.query.getAll('cols').filter((c) => m.metrics.includes(c));
    const cols = picked.length ? picked : m.metrics.slice(0, 3);
    const aliasesOf = (v: string) => Object.entries(m.record.aliases ?? {}).filter(([, x]) => x === v).map(([a]) => `@${a}`).join(' ');
    // The newest versions by default: a table of 1,000 rows is most of a page's weight; the chart has them all.
    const all = req.query.get('all') === '1';
    const shown = all ? m.versions : m.versions.slice(0, TABLE_ROWS);
    const rows = shown.map((v) => html`<tr>
<td><input type="checkbox" name="v" value="${v.version}" form="compare" id="cmp-${v.version}" aria-label="Compare ${v.version}"></td>
<th scope="row"><a href="${link('/version', at, { name: m.name, v: v.version })}">${v.version}</a></th>
<td>${v.number ?? ''}</td>
<td>${stageBadge(v.stage)}</td>
<td>${aliasesOf(v.version)}</td>
${cols.map((c) => html`<td>${cell(v.metrics?.[c])}</td>`)}
<td>${when(v.created.at)}</td><td>${v.created.by}</td>
<td>${v.deprecated ? html`<span title="${v.deprecated.reason ?? ''}">deprecated</span>` : ''}</td>
</tr>`);
    const body = html`${modelActions(req, m.name, m.versions.map((v) => ({ stage: v.stage, version: v.version })))}<dl class="facts">
<dt>Description</dt><dd class="desc">${m.record.description ?? html`<span class="muted">none</span>`}</dd>
<dt>Owners</dt><dd>${(m.record.owners ?? []).join(', ') || html`<span class="muted">none</span>`}</dd>
<dt>Policy</dt><dd><a href="${link('/policy', at, { name: m.summary.policy })}">${m.summary.policy}</a>${m.policyError ? html` <span class="error">${m.policyError}</span>` : ''}</dd>
<dt>Aliases</dt><dd>${keyValues(m.record.aliases)}</dd>
<dt>Tags</dt><dd>${keyValues(m.record.tags)}</dd>
<dt>Created</dt><dd>${when(m.record.created?.at)} ${m.record.created?.by ?? ''}</dd>
</dl>
<h2 id="versions">Versions (${m.versions.length})</h2>
${m.metrics.length ? html`<form method="get" action="/model" class="columns-form">
<input type="hidden" name="name" value="${m.name}">${at ? html`<input type="hidden" name="at" value="${at}">` : ''}
<fieldset class="columns"><legend>Metric columns</legend>
${m.metrics.map((c) => html`<label><input type="checkbox" name="cols" value="${c}"${cols.includes(c) ? html` checked` : ''}> ${c}</label>`)}
<button type="submit">Show columns</button></fieldset></form>` : ''}
<form method="get" action="/compare" id="compare"><input type="hidden" name="name" value="${m.name}">${at ? html`<input type="hidden" name="at" value="${at}">` : ''}<button type="submit">Compare selected versions</button></form>
<table class="grid" id="versions-table">
<thead><tr><th scope="col"><span class="visually-hidden">Compare</span></th><th scope="col">Version</th><th scope="col">#</th><th scope="col">Stage</th><th scope="col">Aliases</th>${cols.map((c) => html`<th scope="col">${c}</th>`)}<th scope="col">Created</th><th scope="col">By</th><th scope="col">Deprecated</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${shown.length < m.versions.length ? html`<p>The newest ${shown.length} of ${m.versions.length} versions. <a href="${link('/model', at, { name: m.name, cols: picked, all: '1' })}#versions">Show all ${m.versions.length}</a></p>` : ''}
<h2 id="chart">Metric across versions</h2>
${metricChart('metric-chart', m.versions, m.metrics, holdersOf(m.versions, m.policy?.initialStage, m.policy?.archiveStage), req.query.get('metric') ?? undefined)}
<h2 id="timeline">Stage timeline</h2>
<p class="muted">Which version held each stage, from the commits that changed it (first-parent history${at ? ' up to this point in time' : ''}).</p>
${timeline(m.timeline, at, m.name)}
<h2 id="changes">Recent changes</h2>
<ul>${[...m.changes].reverse().slice(0, 15).map((c) => html`<li>${when(c.time)} ${c.authorName}: ${c.events.map((e) => e.description).join('; ')} ${commitId(c.commit)}</li>`)}</ul>
<p><a href="${link('/history', at, { model: m.name })}">Whole history of ${m.name}</a></p>`;
    return { title: m.name, body };
  },
});
