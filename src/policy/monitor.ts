/**
 * A stage's `monitor:` (Argo Rollouts' analysis, in the policy DSL): its defaults, the rules the
 * schema cannot say (one provider per metric, conditions that compile, JSONPaths that parse),
 * how one measured value is judged and how measurements add up to an analysis phase. Pure:
 * measuring (Prometheus, HTTP, a file) is ops/monitor-providers.ts.
 */
import { query as jsonPathQuery } from 'jsonpath-rfc9535';
import type { Monitor, MonitorMetric } from '../domain/schema-types.js';
import { compileCondition, evaluateCondition, type CompiledGuard } from './cel.js';
import { parseDuration } from './duration.js';
import type { LoadedPolicy } from './types.js';

export type { Monitor, MonitorMetric };

export const MONITOR_DEFAULTS = { interval: '1m', count: 1, failureLimit: 0, inconclusiveLimit: 0, onFailure: 'rollback', maxRollbacks: { count: 2, window: '24h' } } as const;

/** A monitor with its defaults applied and durations in milliseconds. */
export interface MonitorPlan {
  stage: string;
  intervalMs: number;
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
  onFailure: 'rollback' | 'alert';
  maxRollbacks: { count: number; windowMs: number; window: string };
  metrics: MonitorMetric[];
  /** The JSON path of the stage in the policy, e.g. `stages.2`, for the compiled conditions' keys. */
  path: string;
}

export type Provider = 'prometheus' | 'http' | 'file';
export const PROVIDERS: Provider[] = ['prometheus', 'http', 'file'];

/** The one provider a metric names (the policy rules make sure there is exactly one). */
export function providerOf(m: MonitorMetric): Provider {
  return PROVIDERS.find((p) => m[p] !== undefined)!;
}

/** Why a JSONPath cannot be used, or undefined when it parses (RFC 9535). */
export function jsonPathError(path: string): string | undefined {
  try {
    jsonPathQuery({}, path);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The value a JSONPath selects: the single node it finds, else why there is none. */
export function selectJsonPath(doc: unknown, path: string): { value: unknown } | { missing: string } {
  const found = jsonPathQuery(doc as Parameters<typeof jsonPathQuery>[0], path);
  if (found.length === 0) return { missing: `${path} selects nothing` };
  if (found.length > 1) return { missing: `${path} selects ${found.length} values, not one` };
  return { value: found[0] };
}

/** The stage's monitor with defaults applied, or undefined when the stage has none. */
export function monitorOf(policy: LoadedPolicy, stage: string): MonitorPlan | undefined {
  const n = policy.doc.stages.findIndex((s) => s.name === stage);
  const m = n >= 0 ? policy.doc.stages[n].monitor : undefined;
  if (!m) return undefined;
  const window = m.maxRollbacks?.window ?? MONITOR_DEFAULTS.maxRollbacks.window;
  return {
    stage,
    intervalMs: parseDuration(m.interval ?? MONITOR_DEFAULTS.interval),
    count: m.count ?? MONITOR_DEFAULTS.count,
    failureLimit: m.failureLimit ?? MONITOR_DEFAULTS.failureLimit,
    inconclusiveLimit: m.inconclusiveLimit ?? MONITOR_DEFAULTS.inconclusiveLimit,
    onFailure: m.onFailure ?? MONITOR_DEFAULTS.onFailure,
    maxRollbacks: { count: m.maxRollbacks?.count ?? MONITOR_DEFAULTS.maxRollbacks.count, window, windowMs: parseDuration(window) },
    metrics: m.metrics,
    path: `stages.${n}`,
  };
}

/** The key of a metric's compiled condition in `LoadedPolicy.guards`. */
export function conditionKey(stageIndex: number, metricIndex: number, which: 'successCondition' | 'failureCondition'): string {
  return `stages.${stageIndex}.monitor.metrics.${metricIndex}.${which}`;
}

export interface ConditionSite {
  path: Array<string | number>;
  source: string;
}

/** Problems of one monitor the schema cannot see, each with its path; compiled conditions into `guards`. */
export function monitorProblems(monitor: Monitor, stageIndex: number, guards: Map<string, CompiledGuard>): Array<{ path: Array<string | number>; rule: string; message: string }> {
  const out: Array<{ path: Array<string | number>; rule: string; message: string }> = [];
  const base = ['stages', stageIndex, 'monitor'];
  const names = new Set<string>();
  monitor.metrics.forEach((metric, i) => {
    const at = [...base, 'metrics', i];
    if (names.has(metric.name)) out.push({ path: [...at, 'name'], rule: 'monitor-metric', message: `metric '${metric.name}' is defined twice in this monitor; rename one` });
    names.add(metric.name);
    const providers = PROVIDERS.filter((p) => metric[p] !== undefined);
    if (providers.length !== 1) {
      out.push({ path: at, rule: 'monitor-provider', message: providers.length ? `metric '${metric.name}' names ${providers.join(' and ')}; give exactly one provider` : `metric '${metric.name}' has no provider; add one of prometheus: {address, query}, http: {url, jsonPath} or file: {path, jsonPath}` });
    }
    for (const p of ['http', 'file'] as const) {
      const jp = metric[p]?.jsonPath;
      const why = jp === undefined ? undefined : jsonPathError(jp);
      if (why) out.push({ path: [...at, p, 'jsonPath'], rule: 'monitor-jsonpath', message: `'${jp}' is not a JSONPath (RFC 9535): ${why}; write e.g. $.auc or $.models[0].auc` });
    }
    if (metric.successCondition === undefined && metric.failureCondition === undefined) {
      out.push({ path: at, rule: 'monitor-condition', message: `metric '${metric.name}' has neither successCondition nor failureCondition, so no measurement could fail; add one, e.g. successCondition: result < 0.05` });
    }
    for (const which of ['successCondition', 'failureCondition'] as const) {
      const source = metric[which];
      if (source === undefined) continue;
      const { guard, error } = compileCondition(source);
      if (guard) guards.set(conditionKey(stageIndex, i, which), guard);
      else if (error) out.push({ path: [...at, which], rule: error.rule, message: error.message });
    }
  });
  return out;
}

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive';

/**
 * Judges one measured value as Argo Rollouts does: with both conditions, success when
 * successCondition holds, failure when failureCondition holds, inconclusive when neither;
 * with one, its opposite is the other outcome. A condition that cannot be evaluated (an error,
 * a missing key) makes the measurement inconclusive.
 */
export function judge(conditions: { success?: CompiledGuard; failure?: CompiledGuard }, ctx: { result: unknown; version: unknown; baseline: unknown }): { phase: MeasurementPhase; message?: string } {
  const run = (g: CompiledGuard | undefined) => (g ? evaluateCondition(g, ctx) : undefined);
  const s = run(conditions.success);
  const f = run(conditions.failure);
  const error = [s, f].find((r): r is { error: string } => !!r && 'error' in r);
  if (error) return { phase: 'Inconclusive', message: `condition ${error.error}` };
  const sv = s && 'value' in s ? s.value : undefined;
  const fv = f && 'value' in f ? f.value : undefined;
  if (fv === true) return { phase: 'Failed', message: `failureCondition \`${conditions.failure!.source}\` holds` };
  if (sv === true) return { phase: 'Successful' };
  if (sv === false && fv === undefined) return { phase: 'Failed', message: `successCondition \`${conditions.success!.source}\` does not hold` };
  if (fv === false && sv === undefined) return { phase: 'Successful' };
  return { phase: 'Inconclusive', message: 'neither successCondition nor failureCondition holds' };
}

export type AnalysisPhase = 'Successful' | 'Failed' | 'Inconclusive';

/** A metric's phase from its measurements: failed past failureLimit, else inconclusive past inconclusiveLimit. */
export function metricPhase(phases: MeasurementPhase[], plan: Pick<MonitorPlan, 'failureLimit' | 'inconclusiveLimit'>): AnalysisPhase {
  const failed = phases.filter((p) => p === 'Failed').length;
  const inconclusive = phases.filter((p) => p === 'Inconclusive').length;
  if (failed > plan.failureLimit) return 'Failed';
  if (inconclusive > plan.inconclusiveLimit) return 'Inconclusive';
  return 'Successful';
}

/** The analysis' phase: failed when any metric failed, else inconclusive when any was, else successful. */
export function analysisPhase(metrics: AnalysisPhase[]): AnalysisPhase {
  if (metrics.includes('Failed')) return 'Failed';
  if (metrics.includes('Inconclusive')) return 'Inconclusive';
  return 'Successful';
}

/**
 * A value for a PromQL string literal: backslash, both quotes and control characters escaped,
 * so a name cannot close the string and change the query.
 * @example promqlString('a"b') // 'a\\"b'
 */
export function promqlString(s: string): string {
  return s.replace(/[\\"'`\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', "'": "\\'", '`': '\\`', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
}

/** `{{model}}` and `{{version}}` replaced, each value passed through `escape`. */
export function substitute(template: string, vars: { model: string; version: string }, escape: (s: string) => string): string {
  return template.replace(/\{\{\s*(model|version)\s*\}\}/g, (_m, k: 'model' | 'version') => escape(vars[k]));
}
