/** History: the event feed newest first (registrations, transitions, approvals, alias moves, rollbacks, hand edits), filterable by model and type. */
import { historyPage } from '../../ops/ui-data.js';
import { commitId, when } from '../format.js';
import { html } from '../html.js';
import { link } from '../layout.js';
import { definePage } from '../page.js';

const TYPES = ['register', 'transition', 'approval', 'approval-removed', 'alias', 'tag', 'description', 'deprecate', 'delete', 'model-create', 'model-update', 'model-delete', 'immutable-change', 'policy-change', 'config-change'];
const PAGE = 50;
/** Events listed per commit (a bulk import is one commit of thousands). */
const EVENTS_SHOWN = 20;

definePage({
  path: '/history',
  title: 'History',
  nav: { label: 'History', order: 30 },
  async render(req) {
    const model = req.query.get('model')?.trim() || undefined;
    const type = req.query.get('type') || undefined;
    const n = Number(req.query.get('offset') ?? 0);
    const offset = Number.isInteger(n) && n > 0 ? n : 0;
    const at = req.at;
    await req.historyReady();
    const page = await historyPage(req.ctx, req.commit, { model, type: type && TYPES.includes(type) ? type : undefined, offset, limit: PAGE });
    const body = html`<form class="filters" method="get" action="/history">
${at ? html`<input type="hidden" name="at" value="${at}">` : ''}
<div class="field"><label for="h-model">Model</label><input id="h-model" name="model" value="${model ?? ''}"></div>
<div class="field"><label for="h-type">Event type</label><select id="h-type" name="type"><option value="">any</option>${TYPES.map((t) => html`<option value="${t}"${t === type ? html` selected` : ''}>${t}</option>`)}</select></div>
<button type="submit">Filter</button>
</form>
${page.entries.length ? html`<table class="grid" id="history">
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Commit</th></tr></thead>
<tbody>${page.entries.map((e) => html`<tr id="c-${e.commit}" data-action="${e.action ?? ''}">
<td>${when(e.time)}</td><td>${e.authorName} <span class="muted">${e.author}</span></td>
<td><div>${e.subject}${e.reverts ? html` <span class="stage">rollback</span>` : ''}</div>${e.events.slice(0, EVENTS_SHOWN).map((x) => html`<div class="muted">${'model' in x ? html`<a href="${link('/model', at, { name: x.model })}">${x.description}</a>` : x.description}</div>`)}${e.events.length > EVENTS_SHOWN ? html`<div class="muted">and ${e.events.length - EVENTS_SHOWN} more events</div>` : ''}</td>
<td><a href="${link('/', e.commit)}" title="The registry as of this commit">${commitId(e.commit)}</a></td>
</tr>`)}</tbody></table>` : html`<p class="muted">No events${model ? ` for ${model}` : ''}${type ? ` of type ${type}` : ''}.</p>`}
<nav class="pager" aria-label="Pages">${offset > 0 ? html`<a href="${link('/history', at, { model, type, offset: Math.max(0, offset - PAGE) || undefined })}" rel="prev">Newer</a>` : ''}${page.more ? html`<a href="${link('/history', at, { model, type, offset: offset + PAGE })}" rel="next">Older</a>` : ''}</nav>`;
    return { title: model ? `History of ${model}` : 'History', body };
  },
});
