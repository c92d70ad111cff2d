/** Small renderers the pages share: times, people, stages, key/value lists, commit ids. */
import { html, type Html } from './html.js';

/** An ISO time as `2024-03-01 09:00 UTC` in a <time> element. */
export function when(iso: string | undefined): Html {
  if (!iso) return html``;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function commitId(c: string | undefined): Html {
  return c ? html`<code class="commit" title="${c}">${c.slice(0, 10)}</code>` : html``;
}

export function stageBadge(stage: string): Html {
  return html`<span class="stage stage-${stage.toLowerCase().replace(/[^a-z0-9-]/g, '')}">${stage}</span>`;
}

export function keyValues(rec: Record<string, unknown> | undefined, empty = '—'): Html {
  const entries = Object.entries(rec ?? {});
  if (!entries.length) return html`<span class="muted">${empty}</span>`;
  return html`<ul class="kv">${entries.map(([k, v]) => html`<li><span class="k">${k}</span> <span class="v">${typeof v === 'string' ? v : JSON.stringify(v)}</span></li>`)}</ul>`;
}

/** A value of a metric, param or tag in a table cell. */
export function cell(v: unknown): Html {
  if (v === undefined || v === null) return html`<span class="muted">—</span>`;
  if (typeof v === 'number') return html`<span class="num">${Number.isInteger(v) ? v : Number(v.toPrecision(6))}</span>`;
  return html`${typeof v === 'string' ? v : JSON.stringify(v)}`;
}

export function notFound(what: string): { title: string; body: Html; status: number } {
  return { title: 'Not found', body: html`<p role="alert">${what}</p>`, status: 404 };
}
