/** `search`, `compare` and `best`: questions over versions, answered from a snapshot. */
import { isDeepStrictEqual } from 'node:util';
import { RegistryError } from '../errors/index.js';
import { compareVersions } from '../domain/versions.js';
import type { ModelVersion } from '../domain/state.js';
import { guardContext } from '../policy/index.js';
import type { CompiledGuard } from '../policy/cel.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';

export interface SearchInput {
  /** A CEL expression over `version` and `model`, e.g. `version.stage == "Production" && version.metrics.auc > 0.9`. */
  filter?: string;
  /** A dotted field of the version: `metrics.auc`, `created.at`, `version`, `model`. */
  orderBy?: string;
  desc?: boolean;
  limit?: number;
  at?: string;
}

function field(v: ModelVersion, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);
}

function compareValues(a: unknown, b: unknown, path: string, x: ModelVersion, y: ModelVersion): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (path === 'version') return compareVersions(x.version, y.version);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Versions across all models that match a CEL filter.
 * @example await search(ctx, { filter: 'version.stage == "Production" && version.metrics.auc > 0.9', orderBy: 'metrics.auc', desc: true })
 */
export async function search(ctx: Context, input: SearchInput = {}): Promise<{ versions: ModelVersion[]; total: number }> {
  let guard: CompiledGuard | undefined;
  // cel-js is loaded for a filter only: `search` without one, like every command under a policy
  // without guards, never initialises it (policy/load.ts).
  const cel = input.filter ? await import('../policy/cel.js') : undefined;
  if (input.filter && cel) {
    const compiled = cel.compileGuard(input.filter);
    if (compiled.error || !compiled.guard) throw new RegistryError('BAD_INPUT', `Invalid filter: ${compiled.error?.message ?? 'it does not compile'}. Filters are CEL over version and model, e.g. version.metrics.auc > 0.9.`, { filter: input.filter });
    guard = compiled.guard;
  }
  if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1)) throw new RegistryError('BAD_INPUT', `--limit must be a positive integer.`, {});
  const snap = await ctx.snapshotAt(input.at);
  const now = ctx.now();
  const hits: ModelVersion[] = [];
  // One model at a time: only the matching records are kept (a registry of 100k versions).
  await snap.forEachModel((m) => {
    for (const v of m.versions.values()) {
      if (!guard || !cel) { hits.push(v.record); continue; }
      const r = cel.evaluateGuard(guard, guardContext(v.record, m.record, { email: '' }, now));
      if (r.ok) hits.push(v.record);
    }
  });
  const orderBy = input.orderBy ?? 'created.at';
  hits.sort((x, y) => {
    const c = compareValues(field(x, orderBy), field(y, orderBy), orderBy, x, y);
    const undef = field(x, orderBy) === undefined || field(y, orderBy) === undefined;
    return (input.desc && !undef ? -c : c) || x.model.localeCompare(y.model) || compareVersions(y.version, x.version);
  });
  return { versions: input.limit ? hits.slice(0, input.limit) : hits, total: hits.length };
}

export interface Comparison {
  model: string;
  a: string;
  b: string;
  rows: Array<{ section: 'metrics' | 'params' | 'tags' | 'stage' | 'artifact' | 'signature' | 'framework'; key: string; a: unknown; b: unknown; delta?: number; same: boolean }>;
}

/** Metrics, params, tags and signature of two versions side by side. */
export async function compare(ctx: Context, input: { model: string; a: string; b: string; at?: string }): Promise<Comparison> {
  const snap = await ctx.snapshotAt(input.at);
  const m = await requireModel(snap, input.model);
  const va = requireVersion(m, input.a).record;
  const vb = requireVersion(m, input.b).record;
  const rows: Comparison['rows'] = [];
  rows.push({ section: 'stage', key: 'stage', a: va.stage, b: vb.stage, same: va.stage === vb.stage });
  for (const section of ['metrics', 'params', 'tags'] as const) {
    const x = (va[section] ?? {}) as Record<string, unknown>;
    const y = (vb[section] ?? {}) as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      const delta = typeof x[key] === 'number' && typeof y[key] === 'number' ? (y[key] as number) - (x[key] as number) : undefined;
      rows.push({ section, key, a: x[key], b: y[key], ...(delta !== undefined ? { delta: Number(delta.toPrecision(12)) } : {}), same: isDeepStrictEqual(x[key], y[key]) });
    }
  }
  rows.push({ section: 'artifact', key: 'uri', a: va.artifact.uri, b: vb.artifact.uri, same: va.artifact.uri === vb.artifact.uri });
  rows.push({ section: 'framework', key: 'framework', a: va.framework ? `${va.framework.name} ${va.framework.version ?? ''}`.trim() : undefined, b: vb.framework ? `${vb.framework.name} ${vb.framework.version ?? ''}`.trim() : undefined, same: isDeepStrictEqual(va.framework, vb.framework) });
  for (const side of ['inputs', 'outputs'] as const) {
    const fmt = (v: ModelVersion) => (v.signature?.[side] ?? []).map((c) => `${c.name ?? '?'}:${c.type}`).join(', ') || undefined;
    rows.push({ section: 'signature', key: side, a: fmt(va), b: fmt(vb), same: isDeepStrictEqual(va.signature?.[side], vb.signature?.[side]) });
  }
  return { model: m.name, a: input.a, b: input.b, rows };
}

/** The version with the best value of a metric (highest, or lowest with `min`), optionally within a stage. */
export async function best(ctx: Context, input: { model: string; metric: string; min?: boolean; stage?: string; at?: string }): Promise<{ model: string; metric: string; version: ModelVersion; value: number; candidates: number }> {
  const snap = await ctx.snapshotAt(input.at);
  const m = await requireModel(snap, input.model);
  const candidates = [...m.versions.values()].map((v) => v.record)
    .filter((v) => (input.stage ? v.stage.toLowerCase() === input.stage.toLowerCase() : true) && typeof v.metrics?.[input.metric] === 'number');
  if (!candidates.length) throw new RegistryError('NOT_FOUND', `No version of ${m.name}${input.stage ? ` in ${input.stage}` : ''} records metric ${input.metric}.`, { model: m.name, metric: input.metric });
  candidates.sort((x, y) => (input.min ? x.metrics![input.metric] - y.metrics![input.metric] : y.metrics![input.metric] - x.metrics![input.metric]) || compareVersions(y.version, x.version));
  return { model: m.name, metric: input.metric, version: candidates[0], value: candidates[0].metrics![input.metric], candidates: candidates.length };
}
