/** Policy: stages and allowed transitions as a graph, guards and approval rules in words, the models that use it. */
import type { Approvals, Policy, Transition } from '../../domain/schema-types.js';
import { policyView } from '../../ops/ui-data.js';
import { html, type Html } from '../html.js';
import { link } from '../layout.js';
import { definePage } from '../page.js';
import { policyGraph } from '../policy-graph.js';
import { listedModels } from './models.js';

const stageList = (s: string | string[]) => (Array.isArray(s) ? s : [s]).map((x) => (x === '*' ? 'any stage' : x)).join(' or ');

function approvalsWords(a: Approvals | undefined, doc: Policy): Html {
  if (!a || !a.min) return html`no approvals`;
  const from = (a.from ?? []).map((f) => (doc.groups?.[f] ? html`group <strong>${f}</strong> (${doc.groups[f].join(', ')})` : f === 'owners' ? html`the model's owners` : html`${f}`));
  return html`${a.min} approval${a.min > 1 ? 's' : ''}${from.length ? html` from ${from.map((f, i) => html`${i ? ' or ' : ''}${f}`)}` : ''}${a.allowAuthor ? '' : html` (the person making the change cannot approve it)`}`;
}

function transitionWords(t: Transition, doc: Policy): Html {
  const parts: Html[] = [];
  parts.push(t.when ? html`when <code>${t.when}</code> holds` : html`with no guard`);
  parts.push(approvalsWords(t.approvals, doc));
  if (t.minTimeInStage) parts.push(html`after at least ${t.minTimeInStage} in ${stageList(t.from)}`);
  if (t.requireTags?.length) parts.push(html`with tags ${t.requireTags.join(', ')}`);
  if (t.requireFields?.length) parts.push(html`with fields ${t.requireFields.join(', ')}`);
  return html`<li><strong>${stageList(t.from)} → ${stageList(t.to)}</strong>: ${parts.map((p, i) => html`${i ? '; ' : ''}${p}`)}.${t.description ? html` <span class="muted">${t.description}</span>` : ''}</li>`;
}

definePage({
  path: '/policy',
  title: 'Policy',
  nav: { label: 'Policy', order: 40 },
  async render(req) {
    const at = req.at;
    const v = await policyView(req.ctx, req.commit, req.query.get('name') ?? undefined, await listedModels(req));
    const picker = html`<nav aria-label="Policies"><ul class="inline">${v.names.map((n) => html`<li><a href="${link('/policy', at, { name: n })}"${n === v.name ? html` aria-current="page"` : ''}>${n}</a></li>`)}</ul></nav>`;
    if (!v.policy) return { title: `Policy ${v.name}`, body: html`${picker}<p role="alert" class="error">${v.error ?? 'This policy could not be loaded.'}</p>`, status: v.names.includes(v.name) ? 200 : 404 };
    const doc = v.policy.doc;
    const body = html`${picker}
${doc.description ? html`<p class="desc">${doc.description}</p>` : ''}
<p class="muted">From <code>${v.policy.file}</code>. Initial stage: ${v.policy.initialStage}${v.policy.archiveStage ? html`; an exclusive stage's previous holder goes to ${v.policy.archiveStage}` : ''}. ① marks an exclusive stage (one version at a time).</p>
<figure>${policyGraph(doc)}</figure>
<h2>Stages</h2>
<ul>${doc.stages.map((s) => html`<li><strong>${s.name}</strong>${s.exclusive ? ' (exclusive)' : ''}${s.description ? html` — ${s.description}` : ''}</li>`)}</ul>
<h2>Allowed moves</h2>
${doc.transitions?.length ? html`<ul id="transitions">${doc.transitions.map((t) => transitionWords(t, doc))}</ul>` : html`<p>No transitions: every stage change is denied.</p>`}
<h2>Aliases</h2>
${Object.keys(doc.aliases ?? {}).length ? html`<ul>${Object.entries(doc.aliases!).map(([a, r]) => html`<li><strong>@${a}</strong>: ${r.requireStage ? html`only a version in ${stageList(r.requireStage)}; ` : ''}${r.when ? html`when <code>${r.when}</code>; ` : ''}${approvalsWords(r.approvals, doc)}.</li>`)}</ul>` : html`<p class="muted">Any alias may be set without conditions.</p>`}
<h2>Rollback and delete</h2>
<ul><li>Rollback: ${doc.rollback?.allowed === false ? 'not allowed' : approvalsWords(doc.rollback?.approvals, doc)}${doc.rollback?.when ? html`, when <code>${doc.rollback.when}</code>` : ''}.</li>
<li>Delete: ${doc.delete?.allowed === false ? 'not allowed' : approvalsWords(doc.delete?.approvals, doc)}${doc.delete?.when ? html`, when <code>${doc.delete.when}</code>` : ''}.</li></ul>
${doc.automations?.length ? html`<h2>Automations</h2><ul>${doc.automations.map((a) => html`<li>On ${a.on}${a.when ? html` when <code>${a.when}</code>` : ''}: move to ${a.transition}.</li>`)}</ul>` : ''}
${doc.versioning ? html`<h2>Versioning</h2><p>Default bump: ${doc.versioning.defaultBump ?? 'minor'}; a signature change needs a ${doc.versioning.signatureChangeRequires ?? 'major'} bump.</p>` : ''}
<h2>Models using it (${v.models.length})</h2>
<p>${v.models.slice(0, 200).map((n, i) => html`${i ? ', ' : ''}<a href="${link('/model', at, { name: n })}">${n}</a>`)}${v.models.length > 200 ? ` and ${v.models.length - 200} more` : ''}</p>`;
    return { title: `Policy ${v.name}`, body };
  },
});
