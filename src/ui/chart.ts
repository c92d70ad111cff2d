/** The metric chart's markup: its controls, the element the browser script draws into, and its data as a JSON block. */
import type { ModelVersion } from '../domain/state.js';
import { html, jsonBlock, type Html } from './html.js';

/** A chart of `metrics` across `versions` (one point per version recording the metric); `holders` are marked. */
export function metricChart(id: string, versions: ModelVersion[], metrics: string[], holders: string[], metric?: string): Html {
  if (!metrics.length) return html`<p class="muted">No version records a metric.</p>`;
  const points = [...versions].reverse().map((v) => ({ v: v.version, time: Math.floor(Date.parse(v.created.at) / 1000), stage: v.stage, metrics: Object.fromEntries(Object.entries(v.metrics ?? {}).filter(([, x]) => typeof x === 'number')) }));
  const chosen = metric && metrics.includes(metric) ? metric : metrics[0];
  return html`<div class="chart-controls">
<label for="${id}-metric">Metric</label>
<select id="${id}-metric">${metrics.map((m) => html`<option value="${m}"${m === chosen ? html` selected` : ''}>${m}</option>`)}</select>
<label for="${id}-x">X axis</label>
<select id="${id}-x"><option value="version" selected>version</option><option value="time">registration time</option></select>
</div>
<div class="chart" id="${id}" role="img" aria-label="${chosen} across versions" data-chart data-source="${id}-data" data-metric-select="${id}-metric" data-x-select="${id}-x"></div>
${jsonBlock(`${id}-data`, { points, metrics, holders, metric: chosen })}`;
}
