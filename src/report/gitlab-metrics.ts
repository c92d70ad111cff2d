/**
 * Metric deltas of the versions a change promotes, as an OpenMetrics text file
 * (`artifacts:reports:metrics`). GitLab's metrics widget compares each series with the target
 * branch's report; the series carry the delta to the version a promotion takes over from, so
 * the merge request shows it even though the target branch's pipeline promoted nothing.
 */
import type { CheckResult, Promotion } from '../domain/check-result.js';

/** An OpenMetrics label value: backslash, double quote and newline escaped. */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A number as OpenMetrics writes it (NaN, +Inf and -Inf spelled out). */
function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

/** `a - b` without binary floating-point noise in the last digits (0.91 - 0.88 is 0.03, not 0.030000000000000027). */
function delta(a: number, b: number): number {
  return Number.parseFloat((a - b).toPrecision(12));
}

function labels(p: Promotion, metric: string, extra: Record<string, string> = {}): string {
  const all = { model: p.model, version: p.version, stage: p.stage, metric, ...extra };
  return `{${Object.entries(all).map(([k, v]) => `${k}="${label(v)}"`).join(',')}}`;
}

/**
 * Two gauge families: `modelreg_promoted_metric` (each metric of each promoted version) and
 * `modelreg_promoted_metric_delta` (the change against the version it replaces, when there is
 * one and it has the metric). Ends with `# EOF` as OpenMetrics requires.
 *
 * @example
 * openMetrics(result);
 * // '# TYPE modelreg_promoted_metric gauge\n…modelreg_promoted_metric{model="churn",version="2.1.0",stage="Production",metric="auc"} 0.91\n…# EOF\n'
 */
export function openMetrics(r: CheckResult): string {
  const values: string[] = [];
  const deltas: string[] = [];
  for (const p of r.promotions ?? []) {
    for (const [metric, value] of Object.entries(p.metrics).sort(([a], [b]) => a.localeCompare(b))) {
      values.push(`modelreg_promoted_metric${labels(p, metric)} ${num(value)}`);
      const before = p.previous?.metrics[metric];
      if (p.previous && typeof before === 'number') deltas.push(`modelreg_promoted_metric_delta${labels(p, metric, { previous: p.previous.version })} ${num(delta(value, before))}`);
    }
  }
  return [
    '# TYPE modelreg_promoted_metric gauge',
    '# HELP modelreg_promoted_metric A metric of a model version this change moves into a stage.',
    ...values,
    '# TYPE modelreg_promoted_metric_delta gauge',
    '# HELP modelreg_promoted_metric_delta The metric minus that of the version it takes over from in the stage.',
    ...deltas,
    '# EOF',
    '',
  ].join('\n');
}
