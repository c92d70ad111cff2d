/** Compare: two or more versions of a model side by side — metric deltas, params and tags diffs, signature diff, a chart. */
import { compareRows, type CompareRow } from '../../ops/ui-data.js';
import { compareVersions } from '../../domain/versions.js';
import { metricChart } from '../chart.js';
import { cell } from '../format.js';
import { html, type Html } from '../html.js';
import { link } from '../layout.js';
import { definePage } from '../page.js';
import { holdersOf, modelOf } from './model.js';

const TITLES: Record<CompareRow['section'], string> = { stage: 'Stage', metrics: 'Metrics', params: 'Params', tags: 'Tags', artifact: 'Artifact', framework: 'Framework', signature: 'Signature' };

function deltaCell(r: CompareRow, i: number): Html {
  const d = r.deltas?.[i];
  if (i === 0 || d === undefined) return html`<td>${cell(r.values[i])}</td>`;
  const cls = d > 0 ? 'delta-up' : d < 0 ? 'delta-down' : '';
  return html`<td class="${cls}">${cell(r.values[i])} <span class="delta">(${d > 0 ? '+' : ''}${Number(d.toPrecision(6))})</span></td>`;
}

definePage({
  path: '/compare',
  title: 'Compare',
  async render(req) {
    const name = req.query.get('name');
    if (!name) return { title: 'Compare', body: html`<p role="alert" class="error">Which model? Add ?name=MODEL&amp;v=A&amp;v=B, or pick versions on a model's page.</p>`, status: 400 };
    const m = await modelOf(req, name);
    const at = req.at;
    const asked = [...new Set(req.query.getAll('v'))];
    const missing = asked.filter((a) => !m.versions.some((v) => v.version === a));
    const chosen = m.versions.filter((v) => asked.includes(v.version)).sort((a, b) => compareVersions(a.version, b.version));
    if (missing.length || chosen.length < 2) {
      return {
        title: `Compare ${m.name}`, status: missing.length ? 404 : 400,
        body: html`<p role="alert" class="error">${missing.length ? `${m.name} has no version ${missing.join(', ')}${at ? ` at ${at}` : ''}. ` : ''}Pick two or more versions to compare.</p>
<form method="get" action="/compare"><input type="hidden" name="name" value="${m.name}">${at ? html`<input type="hidden" name="at" value="${at}">` : ''}
<fieldset class="columns"><legend>Versions</legend>${m.versions.slice(0, 200).map((v) => html`<label><input type="checkbox" name="v" value="${v.version}"${asked.includes(v.version) ? html` checked` : ''}> ${v.version}</label>`)}</fieldset>
<button type="submit">Compare</button></form>`,
      };
    }
    const rows = compareRows(chosen);
    const sections = [...new Set(rows.map((r) => r.section))];
    const metrics = [...new Set(chosen.flatMap((v) => Object.keys(v.metrics ?? {})))];
    const body = html`<p><a href="${link('/model', at, { name: m.name })}">${m.name}</a>: ${chosen.length} versions; deltas against ${chosen[0].version}; rows that differ are highlighted.</p>
<table class="grid" id="compare-table">
<thead><tr><th scope="col">Field</th>${chosen.map((v) => html`<th scope="col"><a href="${link('/version', at, { name: m.name, v: v.version })}">${v.version}</a></th>`)}</tr></thead>
${sections.map((s) => html`<tbody data-section="${s}"><tr><th scope="colgroup" colspan="${chosen.length + 1}">${TITLES[s]}</th></tr>
${rows.filter((r) => r.section === s).map((r) => html`<tr class="${r.same ? 'same' : 'differs'}" data-key="${r.key}"><th scope="row">${r.key}</th>${chosen.map((_, i) => deltaCell(r, i))}</tr>`)}</tbody>`)}
</table>
<h2>Chart</h2>
${metricChart('compare-chart', [...chosen].reverse(), metrics, holdersOf(chosen, m.policy?.initialStage, m.policy?.archiveStage))}`;
    return { title: `Compare ${m.name}`, body };
  },
});
