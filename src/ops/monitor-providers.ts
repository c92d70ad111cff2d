/**
 * Measuring one metric of a stage's `monitor:` once: a Prometheus instant query, a JSON value
 * from an HTTP endpoint, or a JSON value from a file. Every way of not getting one number (a
 * missing series, several series, an unreachable server, an HTTP error, a JSONPath that selects
 * nothing) is an answer with a message, never a throw: the analysis counts it inconclusive.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promqlString, providerOf, selectJsonPath, substitute, type Provider } from '../policy/monitor.js';
import type { MonitorMetric } from '../domain/schema-types.js';

export type Measured = { value: unknown } | { missing: string };

export interface MeasureContext {
  model: string;
  version: string;
  /** Folder a relative `file:` path is read from. */
  cwd: string;
  /** Per request, in milliseconds (default 10 s). */
  timeoutMs?: number;
}

async function getJson(url: string, timeoutMs: number): Promise<{ json: unknown } | { missing: string }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { missing: `${url} could not be reached: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
  }
  const text = await res.text();
  if (!res.ok) return { missing: `${url} answered HTTP ${res.status}: ${text.slice(0, 200)}` };
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { missing: `${url} did not answer JSON: ${text.slice(0, 200)}` };
  }
}

/** A Prometheus sample value ("0.25", "NaN", "+Inf") as a number. */
function sample(v: unknown): Measured {
  const n = Number(Array.isArray(v) ? v[1] : NaN);
  return Number.isNaN(n) ? { missing: `the query returned ${JSON.stringify(v)}, not a number` } : { value: n };
}

/** An instant query (`/api/v1/query`); the result must be one series or a scalar. */
async function prometheus(m: NonNullable<MonitorMetric['prometheus']>, ctx: MeasureContext): Promise<Measured> {
  const query = substitute(m.query, ctx, promqlString);
  const url = `${m.address.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  const got = await getJson(url, ctx.timeoutMs ?? 10_000);
  if ('missing' in got) return got;
  const body = got.json as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (body.status !== 'success') return { missing: `Prometheus refused the query ${query}: ${body.error ?? 'no reason given'}` };
  const { resultType, result } = body.data ?? {};
  if (resultType === 'scalar') return sample(result);
  if (resultType !== 'vector') return { missing: `the query ${query} returned a ${resultType}; write one that returns one series or a scalar (e.g. wrap it in sum())` };
  const series = result as Array<{ metric: Record<string, string>; value: unknown }>;
  if (series.length === 0) return { missing: `the query ${query} returned no series (no data for this model yet?)` };
  if (series.length > 1) return { missing: `the query ${query} returned ${series.length} series; aggregate them into one (e.g. sum(...) or max(...))` };
  return sample(series[0].value);
}

async function http(m: NonNullable<MonitorMetric['http']>, ctx: MeasureContext): Promise<Measured> {
  const got = await getJson(substitute(m.url, ctx, encodeURIComponent), ctx.timeoutMs ?? 10_000);
  return 'missing' in got ? got : selectJsonPath(got.json, m.jsonPath);
}

async function file(m: NonNullable<MonitorMetric['file']>, ctx: MeasureContext): Promise<Measured> {
  const path = resolve(ctx.cwd, m.path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { missing: `${path} could not be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  try {
    return selectJsonPath(JSON.parse(text), m.jsonPath);
  } catch {
    return { missing: `${path} is not JSON` };
  }
}

/** One measurement of a metric by its provider. */
export async function measure(metric: MonitorMetric, ctx: MeasureContext): Promise<Measured & { provider: Provider }> {
  const provider = providerOf(metric);
  const got = provider === 'prometheus' ? await prometheus(metric.prometheus!, ctx)
    : provider === 'http' ? await http(metric.http!, ctx)
      : await file(metric.file!, ctx);
  return { ...got, provider };
}
