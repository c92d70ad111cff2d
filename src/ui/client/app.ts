/**
 * The UI's only script (served from /ui/assets/app.js; the Content-Security-Policy allows no
 * other): draws the metric charts from the JSON the page carries in a
 * `<script type="application/json">` block, and marks the page ready (`data-ready`) for tests
 * and the benchmark. Pages work without it; the chart is the one thing it adds.
 */
import uPlot from 'uplot';

interface ChartPoint { v: string; time: number; stage: string; metrics: Record<string, number> }
interface ChartData { points: ChartPoint[]; metrics: string[]; holders: string[]; metric?: string }

function readJson<T>(id: string): T | undefined {
  const el = document.getElementById(id);
  if (!el?.textContent) return undefined;
  try { return JSON.parse(el.textContent) as T; } catch { return undefined; }
}

function drawChart(host: HTMLElement): void {
  const data = readJson<ChartData>(host.dataset.source ?? '');
  if (!data) return;
  const metricSel = document.getElementById(host.dataset.metricSelect ?? '') as HTMLSelectElement | null;
  const xSel = document.getElementById(host.dataset.xSelect ?? '') as HTMLSelectElement | null;
  let plot: uPlot | undefined;
  const render = () => {
    const metric = metricSel?.value || data.metric || data.metrics[0];
    const byTime = xSel?.value === 'time';
    const pts = data.points.filter((p) => typeof p.metrics[metric] === 'number');
    if (byTime) pts.sort((a, b) => a.time - b.time);
    const xs = pts.map((p, i) => (byTime ? p.time : i));
    const ys = pts.map((p) => p.metrics[metric]);
    const held = pts.map((p) => (data.holders.includes(p.v) ? p.metrics[metric] : null));
    const labels = pts.map((p) => p.v);
    plot?.destroy();
    host.replaceChildren();
    const width = Math.max(320, Math.min(host.clientWidth || 900, 1100));
    plot = new uPlot({
      width, height: 300,
      scales: { x: { time: byTime } },
      axes: [
        byTime ? {} : { values: (_u: uPlot, splits: number[]) => splits.map((i) => (Number.isInteger(i) ? labels[i] ?? '' : '')) },
        { label: metric },
      ],
      series: [
        { label: byTime ? 'registered' : 'version', value: (_u: uPlot, x: number | null) => (x === null ? '' : byTime ? new Date(x * 1000).toISOString().slice(0, 16).replace('T', ' ') : labels[x] ?? '') },
        { label: metric, stroke: '#1f5fa8', width: 2, points: { show: true, size: 6 } },
        { label: 'stage holder', stroke: '#b3261e', width: 0, paths: () => null, points: { show: true, size: 12, width: 2, fill: '#ffffff' } },
      ],
    }, [xs, ys, held] as uPlot.AlignedData, host);
    host.dataset.points = String(pts.length);
    host.dataset.metric = metric;
    host.setAttribute('aria-label', `${metric} of ${pts.length} versions${byTime ? ' by registration time' : ' by version'}`);
  };
  metricSel?.addEventListener('change', render);
  xSel?.addEventListener('change', render);
  render();
}

function start(): void {
  document.querySelectorAll<HTMLElement>('[data-chart]').forEach(drawChart);
  document.documentElement.dataset.ready = '1';
  // Time to interactive, from the navigation's start (bench/ui.mjs reads it).
  performance.mark('modelreg-ready');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
