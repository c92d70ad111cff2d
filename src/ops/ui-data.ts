/**
 * What the web UI's pages show, as data: each function reads the registry at one commit through
 * the same operations the CLI uses (list, show, search, history) and the event index, and
 * returns plain objects the UI renders. Nothing here knows HTML.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import type { RegistryEvent } from '../domain/events.js';
import { describeEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import type { ModelVersion, RegisteredModel } from '../domain/state.js';
import { sortVersionsDesc } from '../domain/versions.js';
import type { LoadedPolicy } from '../policy/index.js';
import { commitAtDate, parseDateArg, resolveCommitish } from '../storage/history.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';
import { historyStream, indexedHistory, type HistoryEntry } from './history.js';
import { loadPolicyAt, policyNameOf } from './policies.js';
import { list, showModel, type ModelSummary } from './read.js';
import { search } from './search.js';
import type { ServedState } from './served.js';

/**
 * The commit a page answers from: the served `tip`, or what `at` (a ref, or a date on the tip's
 * first-parent history, as `--at` reads it) names.
 */
export async function resolveUiAt(ctx: Context, tip: string | undefined, at?: string): Promise<string | undefined> {
  if (!at) return tip;
  const store = ctx.store();
  const date = parseDateArg(at);
  if (!date) return resolveCommitish(store, at);
  const commit = await commitAtDate(store, tip, date);
  if (!commit) throw new RegistryError('NOT_FOUND', `The registry has no commit at or before ${date.toISOString()}. Pick a later date, or a ref.`, { at });
  return commit;
}

// ------------------------------------------------------------------ models

/** The model list `list` answers, from the state `serve` holds in memory (no read at all). */
export function summariesOf(state: ServedState): ModelSummary[] {
  return state.models.map((m) => {
    const sorted = sortVersionsDesc(m.versions.map((v) => v.record.version));
    const stageOf = new Map(m.versions.map((v) => [v.record.version, v.record.stage]));
    const stages: Record<string, string[]> = {};
    for (const v of sorted) (stages[stageOf.get(v)!] ??= []).push(v);
    return {
      name: m.name, ...(m.record.description ? { description: m.record.description } : {}), owners: m.record.owners ?? [],
      ...(sorted[0] ? { latest: sorted[0] } : {}), versions: sorted.length, stages, aliases: m.record.aliases ?? {}, tags: m.record.tags ?? {}, policy: m.record.policy ?? 'default',
    };
  });
}

/**
 * Walks the first-parent history of `commit` once, so the event index holds every commit's
 * events (derived and stored where it lacked them): what `modelreg serve` does at start, so the
 * first page that shows history does not pay for deriving it.
 */
export async function warmEventIndex(ctx: Context, commit: string | undefined, stopped: () => boolean = () => false): Promise<number> {
  if (!commit) return 0;
  let n = 0;
  for await (const c of indexedHistory(await ctx.snapshotAt(commit))) {
    void c;
    n++;
    if (stopped()) break;
  }
  return n;
}

export interface ChangeRef { commit: string; time: string; author: string; authorName: string }

export interface ModelsQuery {
  /** Words that must each appear in the name, a tag key or value, an owner or an alias. */
  text?: string;
  /** A CEL filter over versions, as `modelreg search` takes; a model matches when one of its versions does. */
  filter?: string;
  offset?: number;
  limit?: number;
}

export interface ModelsPage {
  total: number;
  /** Models in the registry at the commit, before filtering. */
  all: number;
  rows: Array<ModelSummary & { lastChange?: ChangeRef }>;
  filterError?: string;
  /** When the last-change walk stopped before finding a row's change: the oldest commit time it read. */
  lastChangeBefore?: string;
}

function matchesText(m: ModelSummary, words: string[]): boolean {
  const hay = [m.name, ...Object.entries(m.tags).flat(), ...m.owners, ...Object.keys(m.aliases)].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** How many commits the last-change column reads back at most (the event index answers each from its segments). */
const LAST_CHANGE_WALK = 5000;

/**
 * One page of the model list: text filter, CEL filter (its error returned, not thrown), paging,
 * and each listed model's last change from the event index.
 * @example await modelsPage(ctx, commit, { text: 'churn', limit: 50 })
 */
export async function modelsPage(ctx: Context, commit: string | undefined, q: ModelsQuery, listed?: ModelSummary[]): Promise<ModelsPage> {
  const models = listed ?? (await list(ctx, { at: commit })).models;
  let hits = models;
  const words = (q.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length) hits = hits.filter((m) => matchesText(m, words));
  let filterError: string | undefined;
  if (q.filter?.trim()) {
    try {
      const found = await search(ctx, { filter: q.filter, at: commit });
      const names = new Set(found.versions.map((v) => modelKey(v.model)));
      hits = hits.filter((m) => names.has(modelKey(m.name)));
    } catch (e) {
      if (!isRegistryError(e, 'BAD_INPUT')) throw e;
      filterError = e.message;
    }
  }
  const offset = Math.max(0, q.offset ?? 0);
  const rows = hits.slice(offset, offset + (q.limit ?? 50)).map((m) => ({ ...m }));
  const { found, before } = await lastChanges(ctx, commit, rows.map((r) => r.name));
  for (const r of rows) {
    const c = found.get(modelKey(r.name));
    if (c) (r as ModelsPage['rows'][number]).lastChange = c;
  }
  return { total: hits.length, all: models.length, rows, ...(filterError ? { filterError } : {}), ...(before && rows.some((r) => !found.has(modelKey(r.name))) ? { lastChangeBefore: before } : {}) };
}

/** The newest commit that changed each named model, walking the event index back from `commit`. */
async function lastChanges(ctx: Context, commit: string | undefined, names: string[]): Promise<{ found: Map<string, ChangeRef>; before?: string }> {
  const found = new Map<string, ChangeRef>();
  if (!commit || !names.length) return { found };
  const wanted = new Set(names.map(modelKey));
  const snap = await ctx.snapshotAt(commit);
  let n = 0;
  let oldest: number | undefined;
  for await (const c of indexedHistory(snap)) {
    oldest = c.ct;
    for (const e of c.events) {
      if (!('model' in e)) continue;
      const k = modelKey(e.model);
      if (wanted.has(k) && !found.has(k)) found.set(k, { commit: c.c, time: new Date(c.at * 1000).toISOString(), author: c.ae, authorName: c.an });
    }
    if (found.size === wanted.size || ++n >= LAST_CHANGE_WALK) break;
  }
  return { found, ...(found.size < wanted.size && n >= LAST_CHANGE_WALK && oldest ? { before: new Date(oldest * 1000).toISOString() } : {}) };
}

// ------------------------------------------------------------------ one model's history

export interface ModelChange extends ChangeRef {
  subject: string;
  events: Array<RegistryEvent & { description: string }>;
}

/** A stage's holders from one change to the next. */
export interface StageSpan {
  holders: string[];
  from: ChangeRef;
  /** The change that ended this span; absent for the current one. */
  until?: ChangeRef;
}

export interface StageTimeline { stage: string; spans: StageSpan[] }

/** Every commit on the first-parent history of `snap` that changed `model`, oldest first (from the event index). */
export async function modelChanges(snap: Snapshot, model: string): Promise<ModelChange[]> {
  const key = modelKey(model);
  const out: ModelChange[] = [];
  for await (const c of indexedHistory(snap)) {
    const events = c.events.filter((e) => 'model' in e && modelKey(e.model) === key);
    if (!events.length) continue;
    out.push({
      commit: c.c, time: new Date(c.at * 1000).toISOString(), author: c.ae, authorName: c.an,
      subject: c.msg.split('\n', 1)[0], events: events.map((e) => ({ ...e, description: describeEvent(e) })),
    });
  }
  return out.reverse();
}

/**
 * For each stage, which versions held it from which change until which change: replayed from
 * the model's register, transition and delete events, oldest first.
 */
export function stageTimeline(changes: ModelChange[], stages: string[]): StageTimeline[] {
  const stageOf = new Map<string, string>();
  const spans = new Map<string, StageSpan[]>(stages.map((s) => [s, []]));
  const holders = (stage: string) => sortVersionsDesc([...stageOf].filter(([, s]) => s === stage).map(([v]) => v));
  for (const ch of changes) {
    const before = new Map(stages.map((s) => [s, holders(s).join(',')]));
    for (const e of ch.events) {
      if (e.type === 'register') stageOf.set(e.version, e.stage);
      else if (e.type === 'transition') stageOf.set(e.version, e.to);
      else if (e.type === 'delete') stageOf.delete(e.version);
      else if (e.type === 'model-delete') stageOf.clear();
    }
    const ref: ChangeRef = { commit: ch.commit, time: ch.time, author: ch.author, authorName: ch.authorName };
    for (const s of spans.keys()) {
      const now = holders(s);
      if (now.join(',') === (before.get(s) ?? '')) continue;
      const list = spans.get(s)!;
      const open = list[list.length - 1];
      if (open && !open.until) open.until = ref;
      if (now.length) list.push({ holders: now, from: ref });
    }
  }
  return [...spans].map(([stage, s]) => ({ stage, spans: s }));
}

export interface ModelView {
  name: string;
  record: RegisteredModel;
  summary: ModelSummary;
  /** Newest first. */
  versions: ModelVersion[];
  policy?: LoadedPolicy;
  policyError?: string;
  changes: ModelChange[];
  timeline: StageTimeline[];
  /** Metric names across the versions, most common first. */
  metrics: string[];
}

/** A model page's data: the model, its versions, its policy, its changes and stage timeline. */
export async function modelView(ctx: Context, commit: string | undefined, model: string): Promise<ModelView> {
  const shown = await showModel(ctx, { at: commit, model });
  const snap = await ctx.snapshotAt(commit);
  let policy: LoadedPolicy | undefined;
  let policyError: string | undefined;
  try { policy = await loadPolicyAt(snap, policyNameOf(shown.model)); } catch (e) { policyError = (e as Error).message; }
  const changes = await modelChanges(snap, shown.summary.name);
  const stages = (policy?.stages ?? [...new Set(shown.versions.map((v) => v.stage))]).filter((s) => s !== policy?.initialStage);
  const count = new Map<string, number>();
  for (const v of shown.versions) for (const k of Object.keys(v.metrics ?? {})) count.set(k, (count.get(k) ?? 0) + 1);
  return {
    name: shown.summary.name, record: shown.model, summary: shown.summary, versions: shown.versions,
    ...(policy ? { policy } : {}), ...(policyError ? { policyError } : {}),
    changes, timeline: stageTimeline(changes, stages),
    metrics: [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k),
  };
}

// ------------------------------------------------------------------ compare

export interface CompareRow {
  section: 'stage' | 'metrics' | 'params' | 'tags' | 'artifact' | 'framework' | 'signature';
  key: string;
  values: unknown[];
  /** For numbers: each value minus the first version's. */
  deltas?: Array<number | undefined>;
  same: boolean;
}

const fmtSig = (cols: NonNullable<ModelVersion['signature']>['inputs'] | undefined) => (cols ?? []).map((c) => `${c.name ?? '?'}: ${c.type}`);

/** Two or more versions side by side: metrics with deltas against the first, params, tags, signature. */
export function compareRows(versions: ModelVersion[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const same = (vals: unknown[]) => vals.every((v) => JSON.stringify(v) === JSON.stringify(vals[0]));
  const push = (section: CompareRow['section'], key: string, values: unknown[]) => {
    const first = values[0];
    const deltas = typeof first === 'number' && values.some((v, i) => i > 0 && typeof v === 'number') ? values.map((v) => (typeof v === 'number' ? Number((v - first).toPrecision(12)) : undefined)) : undefined;
    rows.push({ section, key, values, ...(deltas ? { deltas } : {}), same: same(values) });
  };
  push('stage', 'stage', versions.map((v) => v.stage));
  for (const section of ['metrics', 'params', 'tags'] as const) {
    const keys = [...new Set(versions.flatMap((v) => Object.keys((v[section] ?? {}) as object)))].sort();
    for (const k of keys) push(section, k, versions.map((v) => ((v[section] ?? {}) as Record<string, unknown>)[k]));
  }
  push('artifact', 'uri', versions.map((v) => v.artifact.uri));
  push('artifact', 'digest', versions.map((v) => v.artifact.digest));
  push('framework', 'framework', versions.map((v) => (v.framework ? `${v.framework.name} ${v.framework.version ?? ''}`.trim() : undefined)));
  for (const side of ['inputs', 'outputs'] as const) {
    const cols = [...new Set(versions.flatMap((v) => fmtSig(v.signature?.[side]).map((c) => c.split(':')[0])))];
    for (const c of cols) push('signature', `${side}.${c}`, versions.map((v) => fmtSig(v.signature?.[side]).find((x) => x.split(':')[0] === c)?.split(': ')[1]));
  }
  return rows;
}

// ------------------------------------------------------------------ history

export interface HistoryQuery { model?: string; type?: string; offset?: number; limit?: number }

/** The event feed newest first from `commit`, filtered by model and event type, one page of it. */
export async function historyPage(ctx: Context, commit: string | undefined, q: HistoryQuery): Promise<{ entries: HistoryEntry[]; more: boolean }> {
  const entries: HistoryEntry[] = [];
  if (!commit) return { entries, more: false };
  const limit = q.limit ?? 50;
  let skip = Math.max(0, q.offset ?? 0);
  for await (const e of historyStream(ctx, { ref: commit, ...(q.model ? { model: q.model } : {}) })) {
    const events = q.type ? e.events.filter((x) => x.type === q.type) : e.events;
    if (!events.length) continue;
    if (skip > 0) { skip--; continue; }
    if (entries.length === limit) return { entries, more: true };
    entries.push({ ...e, events });
  }
  return { entries, more: false };
}

// ------------------------------------------------------------------ policy

export interface PolicyView {
  names: string[];
  name: string;
  policy?: LoadedPolicy;
  error?: string;
  /** Models that name this policy. */
  models: string[];
}

/** The policies in the registry at `commit`, one of them loaded, and the models that use it. */
export async function policyView(ctx: Context, commit: string | undefined, name: string | undefined, listed?: ModelSummary[]): Promise<PolicyView> {
  const snap = await ctx.snapshotAt(commit);
  const cfg = await snap.config();
  const folder = await snap.entry(cfg.policies);
  const files = folder?.type === 'tree' ? await snap.store.readTree(folder.oid) : [];
  const names = [...new Set(['default', ...files.filter((f) => /\.ya?ml$/.test(f.path)).map((f) => f.path.replace(/\.ya?ml$/, ''))])].sort();
  const chosen = name ?? 'default';
  let policy: LoadedPolicy | undefined;
  let error: string | undefined;
  try { policy = await loadPolicyAt(snap, chosen); } catch (e) { error = (e as Error).message; }
  const models = (listed ?? (await list(ctx, { at: commit })).models).filter((m) => m.policy === chosen).map((m) => m.name);
  return { names, name: chosen, ...(policy ? { policy } : {}), ...(error ? { error } : {}), models };
}

