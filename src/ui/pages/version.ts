/** Version: artifact, framework, signature, metrics, params, lineage, tags, approvals, deprecation, and its own history. */
import { versionActions } from '../action-links.js';
import type { ModelVersion } from '../../domain/state.js';
import { cell, commitId, keyValues, stageBadge, when } from '../format.js';
import { html, uriLink, type Html } from '../html.js';
import { link } from '../layout.js';
import { definePage } from '../page.js';
import { modelOf } from './model.js';

function columns(title: string, cols: NonNullable<ModelVersion['signature']>['inputs']): Html {
  if (!cols?.length) return html``;
  return html`<table class="grid signature"><caption>${title}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Required</th></tr></thead>
<tbody>${cols.map((c) => html`<tr><td>${c.name ?? html`<span class="muted">(unnamed)</span>`}</td><td>${c.type}</td><td>${(c as { required?: boolean }).required === false ? 'no' : 'yes'}</td></tr>`)}</tbody></table>`;
}

definePage({
  path: '/version',
  title: 'Version',
  async render(req) {
    const name = req.query.get('name');
    const wanted = req.query.get('v');
    if (!name || !wanted) return { title: 'Version', body: html`<p role="alert" class="error">Which version? Add ?name=MODEL&amp;v=VERSION, or pick one on a model's page.</p>`, status: 400 };
    const m = await modelOf(req, name);
    const v = m.versions.find((x) => x.version === wanted || String(x.number) === wanted);
    const at = req.at;
    if (!v) return { title: 'Not found', body: html`<p role="alert" class="error">${m.name} has no version ${wanted}${at ? ` at ${at}` : ''}. Its versions: ${m.versions.slice(0, 20).map((x) => x.version).join(', ')}.</p>`, status: 404 };
    const aliases = Object.entries(m.record.aliases ?? {}).filter(([, x]) => x === v.version).map(([a]) => `@${a}`);
    const lin = v.lineage;
    const own = m.changes.filter((c) => c.events.some((e) => 'version' in e && e.version === v.version)).reverse();
    const others = m.versions.filter((x) => x.version !== v.version).slice(0, 1);
    const body = html`<p><a href="${link('/model', at, { name: m.name })}">${m.name}</a> · ${stageBadge(v.stage)} ${aliases.join(' ')}${v.number !== undefined ? html` · MLflow version ${v.number}` : ''}${others.length ? html` · <a href="${link('/compare', at, { name: m.name, v: [others[0].version, v.version] })}">compare with ${others[0].version}</a>` : ''}</p>
${versionActions(req, m.name, v.version)}
${v.description ? html`<p class="desc">${v.description}</p>` : ''}
${v.deprecated ? html`<p class="error" role="note">Deprecated ${when(v.deprecated.at)} by ${String(v.deprecated.by)}${v.deprecated.reason ? html`: ${v.deprecated.reason}` : ''}.</p>` : ''}
<h2>Artifact</h2>
<dl class="facts">
<dt>URI</dt><dd id="artifact-uri">${uriLink(v.artifact.uri)}</dd>
<dt>Digest</dt><dd><code>${v.artifact.digest ?? '—'}</code></dd>
<dt>Size</dt><dd>${v.artifact.size !== undefined ? `${v.artifact.size.toLocaleString('en')} bytes` : '—'}</dd>
<dt>Format</dt><dd>${v.artifact.format ?? '—'}</dd>
<dt>Framework</dt><dd>${v.framework ? `${v.framework.name} ${v.framework.version ?? ''}` : '—'}</dd>
<dt>Created</dt><dd>${when(v.created.at)} ${String(v.created.by)}</dd>
</dl>
<h2>Signature</h2>
${v.signature ? html`${columns('Inputs', v.signature.inputs)}${columns('Outputs', v.signature.outputs)}${v.signature.params?.length ? html`<h3>Parameters</h3>${keyValues(Object.fromEntries(v.signature.params.map((p) => [p.name, p.type])))}` : ''}` : html`<p class="muted">No signature recorded.</p>`}
<h2>Metrics</h2>
${v.metrics && Object.keys(v.metrics).length ? html`<table class="grid"><thead><tr><th scope="col">Metric</th><th scope="col">Value</th></tr></thead><tbody>${Object.entries(v.metrics).map(([k, x]) => html`<tr><th scope="row">${k}</th><td>${cell(x)}</td></tr>`)}</tbody></table>` : html`<p class="muted">None.</p>`}
<h2>Params</h2>
${keyValues(v.params, 'None.')}
<h2>Lineage</h2>
<dl class="facts">
<dt>Run</dt><dd>${lin?.run ? html`${lin.run.id ?? ''} ${lin.run.experiment ? html`(experiment ${lin.run.experiment})` : ''} ${uriLink(lin.run.uri)}` : '—'}</dd>
<dt>Code</dt><dd>${lin?.code ? html`${uriLink(lin.code.repo)} ${lin.code.commit ? html`<code>${lin.code.commit}</code>` : ''}` : '—'}</dd>
<dt>Data</dt><dd>${lin?.data?.length ? html`<ul>${lin.data.map((d) => html`<li>${d.name}${d.version ? ` ${d.version}` : ''} ${uriLink(d.uri)}</li>`)}</ul>` : '—'}</dd>
<dt>Parent</dt><dd>${lin?.parent ? html`<a href="${link('/version', at, { name: m.name, v: lin.parent })}">${lin.parent}</a>` : '—'}</dd>
</dl>
<h2>Tags</h2>
${keyValues(v.tags, 'None.')}
<h2>Approvals</h2>
${v.approvals?.length ? html`<table class="grid"><thead><tr><th scope="col">By</th><th scope="col">For stage</th><th scope="col">When</th><th scope="col">Comment</th></tr></thead><tbody>${v.approvals.map((a) => html`<tr><td>${String(a.by)}</td><td>${stageBadge(a.stage)}</td><td>${when(a.at)}</td><td>${a.comment ?? ''}</td></tr>`)}</tbody></table>` : html`<p class="muted">None.</p>`}
<h2>History</h2>
${own.length ? html`<table class="grid" id="version-history"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Commit</th></tr></thead><tbody>${own.map((c) => html`<tr><td>${when(c.time)}</td><td>${c.authorName} <span class="muted">${c.author}</span></td><td>${c.events.filter((e) => !('version' in e) || e.version === v.version).map((e) => html`<div>${e.description}</div>`)}</td><td>${commitId(c.commit)}</td></tr>`)}</tbody></table>` : html`<p class="muted">No recorded changes.</p>`}`;
    return { title: `${m.name} ${v.version}`, body };
  },
});
