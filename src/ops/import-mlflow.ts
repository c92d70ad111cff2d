/**
 * `import mlflow`: migrate an MLflow Model Registry over its REST API. Every model and every
 * version in registration order; each version one commit (the register op: lock, policy,
 * trailers) numbered `N.0.0` from MLflow's version N, with N kept in the tag `mlflow.version`.
 * Then, as MLflow has them now, model tags, stages and aliases — each through its own op, so
 * the registry's policy governs them; a move the policy refuses is reported, not forced.
 * Resumable and idempotent: a version already imported (same number, tag `mlflow.version`)
 * is skipped, so a rerun adds only what is new.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import { isValidModelName } from '../domain/names.js';
import type { Context } from './context.js';
import { MlflowClient, type MlflowModel, type MlflowTag, type MlflowVersion } from './import-mlflow-client.js';
import { register } from './register.js';
import { transition } from './transition.js';
import { alias, tag } from './metadata.js';

export interface ImportMlflowInput {
  registryUri: string;
  /** Only these models (default: all). */
  models?: string[];
  /** Push after each commit. */
  push?: boolean;
  pageSize?: number;
}

export interface ImportMlflowModel {
  model: string;
  imported: string[];
  skipped: string[];
  stages: Array<{ version: string; stage: string; applied: boolean; reason?: string }>;
  aliases: Array<{ alias: string; version: string; applied: boolean; reason?: string }>;
  error?: string;
}

export interface ImportMlflowResult {
  registryUri: string;
  models: ImportMlflowModel[];
  commits: number;
}

/** MLflow's version N becomes N.0.0: ordered like MLflow's numbers, and every step a major (signatures may change). */
export const semverOf = (n: string | number): string => `${Number(n)}.0.0`;

const tagMap = (tags: MlflowTag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value ?? '']));

function isoTime(ms: string | number | undefined): string | undefined {
  const n = Number(ms);
  return ms !== undefined && Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : undefined;
}

/** MLflow tag keys may hold characters modelreg's keys do not: those are kept under a safe key. */
function safeTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) out[/^[A-Za-z_][A-Za-z0-9_.:/-]*$/.test(k) ? k : `mlflow.tag.${k.replace(/[^A-Za-z0-9_.:/-]/g, '_')}`] = v;
  return out;
}

/** Stages in an order that lets exclusive stages archive their previous holder: Archived first, Production last. */
const STAGE_ORDER = (s: string) => ({ Archived: 0, Staging: 1, Production: 2 } as Record<string, number>)[s] ?? 1;

async function importVersions(ctx: Context, m: MlflowModel, versions: MlflowVersion[], input: ImportMlflowInput, into: ImportMlflowModel): Promise<number> {
  let commits = 0;
  const existing = await (await ctx.snapshotAt()).model(m.name);
  for (const v of versions) {
    const version = semverOf(v.version);
    const here = existing?.versions.get(version)?.record;
    if (here) {
      if (here.tags?.['mlflow.version'] !== String(v.version)) {
        throw new RegistryError('CONFLICT', `${m.name} ${version} is already registered here but was not imported from MLflow version ${v.version} (its tag mlflow.version is ${here.tags?.['mlflow.version'] ?? 'missing'}). Import into another registry, or delete the clash first.`, { model: m.name, version });
      }
      into.skipped.push(version);
      continue;
    }
    if (v.status && v.status !== 'READY') { into.skipped.push(version); continue; }
    const created = isoTime(v.creation_timestamp);
    const r = await register(ctx, {
      model: m.name, version, artifact: v.source || `models:/${m.name}/${v.version}`,
      description: v.description || undefined, runId: v.run_id || undefined, runUri: v.run_link || undefined,
      tags: { ...safeTags(tagMap(v.tags)), 'mlflow.version': String(v.version), ...(created ? { 'mlflow.created': created } : {}), ...(v.user_id ? { 'mlflow.user_id': v.user_id } : {}) },
      modelDescription: m.description || undefined, noAutomations: true, push: input.push,
      // MLflow clients keep addressing the version by its number: models:/name/N resolves to the same version here.
      ...(Number.isSafeInteger(Number(v.version)) && Number(v.version) >= 1 ? { number: Number(v.version) } : {}),
    });
    if (r.commit) commits++;
    into.imported.push(version);
  }
  return commits;
}

async function applyState(ctx: Context, m: MlflowModel, versions: MlflowVersion[], input: ImportMlflowInput, into: ImportMlflowModel): Promise<number> {
  let commits = 0;
  const here = await (await ctx.snapshotAt()).model(m.name);
  if (!here) return 0;
  const wanted = safeTags(tagMap(m.tags));
  const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => here.record.tags?.[k] !== v));
  if (Object.keys(changed).length) { if ((await tag(ctx, { model: here.name, set: changed, push: input.push })).commit) commits++; }
  const moves = versions.filter((v) => v.current_stage && v.current_stage !== 'None' && here.versions.has(semverOf(v.version)) && here.versions.get(semverOf(v.version))!.record.stage !== v.current_stage)
    .sort((a, b) => STAGE_ORDER(a.current_stage!) - STAGE_ORDER(b.current_stage!) || Number(a.version) - Number(b.version));
  for (const v of moves) {
    const version = semverOf(v.version);
    try {
      const r = await transition(ctx, { model: here.name, version, stage: v.current_stage!, push: input.push });
      if (r.commit) commits++;
      into.stages.push({ version, stage: v.current_stage!, applied: true });
    } catch (e) {
      if (!isRegistryError(e)) throw e;
      into.stages.push({ version, stage: v.current_stage!, applied: false, reason: e.message });
    }
  }
  for (const a of m.aliases ?? []) {
    const version = semverOf(a.version);
    if (here.record.aliases?.[a.alias] === version) continue;
    try {
      const r = await alias(ctx, { model: here.name, alias: a.alias, version, push: input.push });
      if (r.commit) commits++;
      into.aliases.push({ alias: a.alias, version, applied: true });
    } catch (e) {
      if (!isRegistryError(e)) throw e;
      into.aliases.push({ alias: a.alias, version, applied: false, reason: e.message });
    }
  }
  return commits;
}

/**
 * Migrates an MLflow Model Registry (all models, or the named ones) into this registry.
 * @example await importMlflow(ctx, { registryUri: 'http://localhost:5000', models: ['churn'] })
 */
export async function importMlflow(ctx: Context, input: ImportMlflowInput): Promise<ImportMlflowResult> {
  const client = new MlflowClient(input.registryUri, ctx.env, input.pageSize);
  const models = await client.models(input.models);
  const out: ImportMlflowResult = { registryUri: input.registryUri, models: [], commits: 0 };
  for (const m of models) {
    const into: ImportMlflowModel = { model: m.name, imported: [], skipped: [], stages: [], aliases: [] };
    out.models.push(into);
    if (!isValidModelName(m.name)) {
      into.error = `MLflow model name ${JSON.stringify(m.name)} is not a valid modelreg name ([A-Za-z0-9][A-Za-z0-9._-]*, optionally team/name); rename it in MLflow or register it by hand.`;
      continue;
    }
    const versions = await client.versions(m.name);
    out.commits += await importVersions(ctx, m, versions, input, into);
    out.commits += await applyState(ctx, m, versions, input, into);
  }
  return out;
}
