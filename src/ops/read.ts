/** Read operations: list, show, resolve. Each reads the registry at a ref or date (`at`). */
import { RegistryError } from '../errors/index.js';
import { parseModelUri, formatModelUri } from '../domain/uri.js';
import { compareVersions, satisfiesRange, sortVersionsDesc } from '../domain/versions.js';
import type { ModelState, ModelVersion, RegisteredModel } from '../domain/state.js';
import type { Context } from './context.js';
import type { CachedSummary } from '../storage/summary-cache.js';
import type { ModelStages, Snapshot } from '../storage/snapshot.js';
import { assertFilesMatchNames, requireModel, requireVersion } from './errors.js';
import { byEnv, deploymentsOfVersion, type Deployment, type DeploymentView } from '../domain/deployments.js';
import { allDeployments, deploymentsOfModel } from '../storage/deployments.js';
import { modelKey } from '../domain/names.js';

export interface ReadInput {
  /** A ref (branch, tag, commit) or a date: the registry as it was then. */
  at?: string;
}

export interface ModelSummary {
  name: string;
  description?: string;
  owners: string[];
  latest?: string;
  versions: number;
  stages: Record<string, string[]>;
  aliases: Record<string, string>;
  tags: Record<string, string>;
  policy: string;
  /** env → what is deployed there (deployments/<env>/<model>.yaml); absent when nothing is recorded. */
  deployments?: Record<string, DeploymentView>;
}

function summary(m: ModelState): ModelSummary {
  const stages: Record<string, string[]> = {};
  const sorted = sortVersionsDesc(m.versions.keys());
  for (const v of sorted) (stages[m.versions.get(v)!.record.stage] ??= []).push(v);
  return {
    name: m.name,
    ...(m.record.description ? { description: m.record.description } : {}),
    owners: m.record.owners ?? [],
    ...(sorted[0] ? { latest: sorted[0] } : {}),
    versions: sorted.length,
    stages,
    aliases: m.record.aliases ?? {},
    tags: m.record.tags ?? {},
    policy: m.record.policy ?? 'default',
  };
}

function toCached(name: string, m: ModelStages): CachedSummary {
  return {
    name, ...(m.record.description ? { description: m.record.description } : {}), owners: m.record.owners ?? [],
    policy: m.record.policy ?? 'default', aliases: m.record.aliases ?? {}, tags: m.record.tags ?? {}, stages: m.stages,
  };
}

function fromCached(c: CachedSummary): ModelSummary {
  const sorted = sortVersionsDesc(Object.keys(c.stages));
  const stages: Record<string, string[]> = {};
  for (const v of sorted) (stages[c.stages[v]] ??= []).push(v);
  return { name: c.name, ...(c.description ? { description: c.description } : {}), owners: c.owners, ...(sorted[0] ? { latest: sorted[0] } : {}), versions: sorted.length, stages, aliases: c.aliases, tags: c.tags, policy: c.policy };
}

/**
 * How many uncached models make a listing read version files on two threads. Measured on the
 * benchmark registries: at 1,000 models the worker's start-up ate its gain (0.43 s either way),
 * at 10,000 it saved 0.4 s (2.2 s -> 1.8 s). Measured again after the cold-list work (one zlib
 * handle, plain model files, one read per file): at 1,000 models 313 ms on two threads against
 * 316 ms on one (and 70 ms more CPU: two threads opening files in one process slow each other),
 * at 10,000 models 1.23 s against 1.62 s; so the threshold stays. MODELREG_LIST_THREADS_FROM
 * overrides it (`0`: always; a large number: never).
 */
function parallelFrom(env: NodeJS.ProcessEnv): number {
  const v = env.MODELREG_LIST_THREADS_FROM;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 2000;
}

/**
 * Every model with its latest version, its stages and aliases. Summaries are cached by the
 * model folder's tree id under .git/, so a list at a new commit reads only the models that changed.
 * Of a version file, a listing reads `model`, `version` and `stage` (Snapshot.stagesOf); the
 * rest of the file is validated by `check`, `show` and every write, not here.
 */
export async function list(ctx: Context, input: ReadInput = {}): Promise<{ commit?: string; models: ModelSummary[] }> {
  const snap = await ctx.snapshotAt(input.at);
  const cache = await ctx.summaryCache();
  const models: ModelSummary[] = [];
  const locs = await snap.locations((tree) => cache.get(tree) !== undefined);
  const missing = locs.filter((l) => !cache.get(l.tree));
  const read = await snap.stagesOf(missing, missing.length >= parallelFrom(ctx.env), (files, byWorker) => {
    ctx.options.onProgress?.(`list: read ${files} version files not in the cache on 2 threads (${byWorker} by a worker); later lists use the cache in .git/modelreg`);
  });
  missing.forEach((loc, i) => {
    const m = read[i];
    if (m) cache.set(loc.tree, toCached(loc.name, m));
  });
  for (const loc of locs) {
    const c = cache.get(loc.tree);
    // The folder name is the model's name (a case-only rename changes the path, not the tree).
    if (c) models.push(fromCached({ ...c, name: loc.name }));
  }
  await cache.save();
  withDeployments(models, await allDeployments(snap));
  models.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  return { ...(snap.commit ? { commit: snap.commit } : {}), models };
}

/** Each model's deployments, by env, on its summary (one pass over every deployment). */
function withDeployments(models: ModelSummary[], all: Deployment[]): void {
  if (!all.length) return;
  const byModel = new Map<string, Deployment[]>();
  for (const d of all) byModel.set(modelKey(d.model), [...(byModel.get(modelKey(d.model)) ?? []), d]);
  for (const m of models) {
    const mine = byModel.get(modelKey(m.name));
    if (mine) m.deployments = byEnv(mine);
  }
}

export interface ShowModelResult {
  model: RegisteredModel;
  summary: ModelSummary;
  versions: ModelVersion[];
  /** env → what is deployed there. */
  deployments: Record<string, DeploymentView>;
}

/** A model with all its versions, newest first, and what is deployed where. */
export async function showModel(ctx: Context, input: ReadInput & { model: string }): Promise<ShowModelResult> {
  const snap = await ctx.snapshotAt(input.at);
  const m = await requireModel(snap, input.model);
  const deployments = byEnv(await deploymentsOfModel(snap, m.name));
  const s = summary(m);
  return { model: m.record, summary: Object.keys(deployments).length ? { ...s, deployments } : s, versions: sortVersionsDesc(m.versions.keys()).map((v) => m.versions.get(v)!.record), deployments };
}

/** One version's full record. */
export async function showVersion(ctx: Context, input: ReadInput & { model: string; version: string }): Promise<ModelVersion> {
  const snap = await ctx.snapshotAt(input.at);
  return requireVersion(await requireModel(snap, input.model, true), input.version).record;
}

/** A model with all its versions (newest first), or one version's full record. */
export async function show(ctx: Context, input: ReadInput & { model: string }): Promise<ShowModelResult>;
export async function show(ctx: Context, input: ReadInput & { model: string; version: string }): Promise<ModelVersion>;
export async function show(ctx: Context, input: ReadInput & { model: string; version?: string }): Promise<ShowModelResult | ModelVersion> {
  return input.version ? showVersion(ctx, { ...input, version: input.version }) : showModel(ctx, input);
}

export interface Resolved {
  uri: string;
  model: string;
  version: string;
  stage: string;
  aliases: string[];
  artifact: ModelVersion['artifact'];
  record: ModelVersion;
  /** The environments this version is deployed in (env → deployment); `{}` when none. */
  deployments: Record<string, DeploymentView>;
  commit?: string;
}

/** Which version a model URI names now (or at `at`). */
export function pick(m: ModelState, uri: string): ModelVersion {
  const ref = parseModelUri(uri);
  // By name where a name is enough: a model read on demand then reads one version file.
  const all = () => [...m.versions.values()].map((v) => v.record);
  const highest = (names: string[]) => names.sort((a, b) => compareVersions(b, a))[0];
  const none = (what: string): never => {
    assertFilesMatchNames(m);
    throw new RegistryError('NOT_FOUND', `${formatModelUri(ref)}: ${m.name} has no ${what}.`, { uri });
  };
  switch (ref.kind) {
    case 'version': return requireVersion(m, ref.version).record;
    case 'latest': {
      const top = highest([...m.versions.keys()]);
      return (top ? m.versions.get(top)?.record : undefined) ?? none('versions');
    }
    case 'alias': {
      const v = m.record.aliases?.[ref.alias];
      if (!v) return none(`alias @${ref.alias}${Object.keys(m.record.aliases ?? {}).length ? ` (aliases: ${Object.keys(m.record.aliases ?? {}).join(', ')})` : ''}`);
      return requireVersion(m, v).record;
    }
    case 'stage': {
      const inStage = all().filter((r) => r.stage.toLowerCase() === ref.stage.toLowerCase()).sort((a, b) => compareVersions(b.version, a.version));
      return inStage[0] ?? none(`version in stage ${ref.stage}`);
    }
    case 'range': {
      const hit = highest([...m.versions.keys()].filter((v) => satisfiesRange(v, ref.range)));
      return (hit ? m.versions.get(hit)?.record : undefined) ?? none(`version in range ${ref.range}`);
    }
  }
}

/** The highest version in `stage` (matched case-insensitively), as `pick` answers it. */
async function holderOf(snap: Snapshot, m: ModelState, stage: string, uri: string): Promise<ModelVersion> {
  let top: string | undefined;
  for (const v of (await snap.stages(m)).versionsIn(stage, true)) if (top === undefined || compareVersions(v, top) > 0) top = v;
  const hit = top ? m.versions.get(top)?.record : undefined;
  if (!hit) {
    assertFilesMatchNames(m);
    throw new RegistryError('NOT_FOUND', `${formatModelUri(parseModelUri(uri))}: ${m.name} has no version in stage ${stage}.`, { uri });
  }
  return hit;
}

/**
 * Resolves a model URI to a version and its artifact.
 * @example await resolve(ctx, { uri: 'models:/churn/Production' })
 */
export async function resolve(ctx: Context, input: ReadInput & { uri: string }): Promise<Resolved> {
  const ref = parseModelUri(input.uri);
  const snap = await ctx.snapshotAt(input.at);
  // Read on demand: a version, alias, latest or range names one version; a stage reads every
  // version's stage by a line scan and parses the holder's file only.
  const m = await requireModel(snap, ref.model, true);
  const record = ref.kind === 'stage' ? await holderOf(snap, m, ref.stage, input.uri) : pick(m, input.uri);
  const aliases = Object.entries(m.record.aliases ?? {}).filter(([, v]) => v === record.version).map(([a]) => a);
  const deployments = deploymentsOfVersion(await deploymentsOfModel(snap, m.name), record.version);
  return { uri: input.uri, model: m.name, version: record.version, stage: record.stage, aliases, artifact: record.artifact, record, deployments, ...(snap.commit ? { commit: snap.commit } : {}) };
}
