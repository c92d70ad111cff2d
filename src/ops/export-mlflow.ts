/**
 * `export mlflow`: mirror this registry into an MLflow Model Registry (for teams that keep an
 * MLflow UI). Models are created with their description and tags; each version not yet there
 * becomes an MLflow version (source = the artifact URI, run_id from lineage) tagged
 * `modelreg.version` and `modelreg.digest`, which is how a rerun recognises it: idempotent,
 * and it adds only what is new. Stages MLflow knows (None, Staging, Production, Archived) and
 * aliases are then set to match. modelreg stays the source of truth; nothing is read back.
 */
import type { Context } from './context.js';
import { MlflowClient, type MlflowVersion } from './import-mlflow-client.js';

export interface ExportMlflowInput {
  registryUri: string;
  models?: string[];
  pageSize?: number;
}

export interface ExportMlflowModel {
  model: string;
  created: boolean;
  /** semver → MLflow version number, for versions created by this run. */
  exported: Record<string, string>;
  skipped: string[];
  stages: Array<{ version: string; stage: string }>;
  aliases: Array<{ alias: string; version: string }>;
  notes: string[];
}

const MLFLOW_STAGES = new Set(['None', 'Staging', 'Production', 'Archived']);
const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

/**
 * Exports every model (or the named ones) to an MLflow tracking server.
 * @example await exportMlflow(ctx, { registryUri: 'http://localhost:5000' })
 */
export async function exportMlflow(ctx: Context, input: ExportMlflowInput): Promise<{ registryUri: string; commit?: string; models: ExportMlflowModel[] }> {
  const client = new MlflowClient(input.registryUri, ctx.env, input.pageSize);
  const snap = await ctx.snapshotAt();
  const all = await snap.models();
  const models = input.models?.length ? all.filter((m) => input.models!.some((n) => n.toLowerCase() === m.name.toLowerCase())) : all;
  const out: ExportMlflowModel[] = [];
  for (const m of models.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r: ExportMlflowModel = { model: m.name, created: false, exported: {}, skipped: [], stages: [], aliases: [], notes: [] };
    out.push(r);
    if (!(await client.model(m.name))) {
      await client.call('POST', 'registered-models/create', { name: m.name, description: m.record.description ?? '', tags: tagList(m.record.tags) });
      r.created = true;
    }
    const there = new Map<string, MlflowVersion>();
    for (const v of await client.versions(m.name)) {
      const key = v.tags?.find((t) => t.key === 'modelreg.version')?.value;
      if (key) there.set(key, v);
    }
    const { compareVersions } = await import('../domain/versions.js');
    const mine = [...m.versions.values()].map((v) => v.record).sort((a, b) => compareVersions(a.version, b.version));
    for (const v of mine) {
      let mv = there.get(v.version);
      if (mv) r.skipped.push(v.version);
      else {
        const tags = [...tagList(v.tags), { key: 'modelreg.version', value: v.version }, ...(v.artifact.digest ? [{ key: 'modelreg.digest', value: v.artifact.digest }] : [])];
        mv = (await client.call<{ model_version: MlflowVersion }>('POST', 'model-versions/create', {
          name: m.name, source: v.artifact.uri, ...(v.lineage?.run?.id ? { run_id: v.lineage.run.id } : {}), ...(v.lineage?.run?.uri ? { run_link: v.lineage.run.uri } : {}),
          description: v.description ?? '', tags,
        })).model_version;
        r.exported[v.version] = mv.version;
      }
      if (!MLFLOW_STAGES.has(v.stage)) { r.notes.push(`${v.version} is in ${v.stage}, a stage MLflow does not have; left in ${mv.current_stage ?? 'None'} there.`); continue; }
      if ((mv.current_stage ?? 'None') !== v.stage) {
        await client.call('POST', 'model-versions/transition-stage', { name: m.name, version: mv.version, stage: v.stage, archive_existing_versions: false });
        r.stages.push({ version: v.version, stage: v.stage });
      }
      there.set(v.version, mv);
    }
    const current = new Map(((await client.model(m.name))?.aliases ?? []).map((a) => [a.alias, a.version]));
    for (const [a, version] of Object.entries(m.record.aliases ?? {})) {
      const mv = there.get(version);
      if (!mv) continue;
      if (current.get(a) === mv.version) continue;
      await client.call('POST', 'registered-models/alias', { name: m.name, alias: a, version: mv.version });
      r.aliases.push({ alias: a, version });
    }
  }
  return { registryUri: input.registryUri, ...(snap.commit ? { commit: snap.commit } : {}), models: out };
}
