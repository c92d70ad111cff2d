/** Models: every model with its latest version, stage holders, aliases, owners, tags and last change; text and CEL filters; paging. */
import { list, type ModelSummary } from '../../ops/read.js';
import { modelsPage, summariesOf } from '../../ops/ui-data.js';
import { commitId, keyValues, stageBadge, when } from '../format.js';
import { html } from '../html.js';
import { link } from '../layout.js';
import { definePage, type UiRequest } from '../page.js';

const PAGE = 50;

/** The models at the request's commit, listed once per commit. */
export function listedModels(req: UiRequest): Promise<ModelSummary[]> {
  // The served commit's models are in memory already; another commit's come from `list`.
  return req.memo('list', async () => (req.commit === req.state.commit ? summariesOf(req.state) : (await list(req.ctx, { at: req.commit })).models));
}

function intParam(q: URLSearchParams, key: string): number {
  const n = Number(q.get(key) ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export const modelsPageDef = definePage({
  path: '/',
  title: 'Models',
  nav: { label: 'Models', order: 10 },
  async render(req) {
    const text = req.query.get('q') ?? '';
    const filter = req.query.get('filter') ?? '';
    const offset = intParam(req.query, 'offset');
    await req.historyReady();
    const page = await modelsPage(req.ctx, req.commit, { text, filter, offset, limit: PAGE }, await listedModels(req));
    const at = req.at;
    const nav = (o: number) => link('/', at, { q: text, filter, offset: o || undefined });
    const rows = page.rows.map((m) => html`<tr>
<th scope="row"><a href="${link('/model', at, { name: m.name })}">${m.name}</a>${m.description ? html`<div class="desc">${m.description}</div>` : ''}</th>
<td>${m.latest ? html`<a href="${link('/version', at, { name: m.name, v: m.latest })}">${m.latest}</a>` : html`<span class="muted">none</span>`} <span class="muted">(${m.versions})</span></td>
<td>${Object.entries(m.stages).filter(([s]) => s !== 'None' && s !== 'Archived').map(([s, vs]) => html`<div>${stageBadge(s)} ${vs.slice(0, 3).join(', ')}${vs.length > 3 ? ` +${vs.length - 3}` : ''}</div>`)}</td>
<td>${Object.entries(m.aliases).map(([a, v]) => html`<div>@${a} → ${v}</div>`)}</td>
<td>${m.owners.join(', ')}</td>
<td>${keyValues(m.tags, '')}</td>
<td>${m.lastChange ? html`${when(m.lastChange.time)}<div class="muted">${m.lastChange.authorName} ${commitId(m.lastChange.commit)}</div>` : page.lastChangeBefore ? html`<span class="muted">before ${when(page.lastChangeBefore)}</span>` : ''}</td>
</tr>`);
    const body = html`<form class="filters" method="get" action="/">
${at ? html`<input type="hidden" name="at" value="${at}">` : ''}
<div class="field"><label for="q">Name, tag, owner or alias</label><input id="q" name="q" type="search" value="${text}" placeholder="churn team=growth"></div>
<div class="field"><label for="filter">CEL filter over versions</label><input id="filter" name="filter" value="${filter}" placeholder='version.stage == "Production" &amp;&amp; version.metrics.auc &gt; 0.9' size="50"${page.filterError ? html` aria-invalid="true" aria-describedby="filter-error"` : ''}></div>
<button type="submit">Filter</button>
</form>
${page.filterError ? html`<p id="filter-error" class="error" role="alert">${page.filterError}</p>` : ''}
<p class="count" id="count">${page.total === page.all ? html`${page.all} models` : html`${page.total} of ${page.all} models`}${page.total > PAGE ? html`, ${offset + 1}–${Math.min(offset + PAGE, page.total)} shown` : ''}</p>
<table class="grid" id="models">
<thead><tr><th scope="col">Model</th><th scope="col">Latest</th><th scope="col">Stages</th><th scope="col">Aliases</th><th scope="col">Owners</th><th scope="col">Tags</th><th scope="col">Last change</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<nav class="pager" aria-label="Pages">${offset > 0 ? html`<a href="${nav(Math.max(0, offset - PAGE))}" rel="prev">Previous</a>` : ''}${offset + PAGE < page.total ? html`<a href="${nav(offset + PAGE)}" rel="next">Next</a>` : ''}</nav>`;
    return { title: 'Models', body };
  },
});
