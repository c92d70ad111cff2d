/**
 * MLflow's Model Registry shapes (mlflow/protos/model_registry.proto), as its REST API returns
 * them: `version` as a string, timestamps in ms, tags as key/value lists. Pure translation of
 * the served state; no I/O.
 */
import type { ServedModel, ServedRecord, ServedVersion } from '../ops/served.js';

export type { ServedVersion };

/** The tag that carries a version's semantic version. */
export const SEMVER_TAG = 'modelreg.version';
/** MLflow's canonical stages (its clients compare case-insensitively). */
export const MLFLOW_STAGES = ['None', 'Staging', 'Production', 'Archived'];

const ms = (iso: string | undefined): number | undefined => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : undefined;
};

/** The latest time the version's record names: created, approvals, deprecation. */
export function lastUpdated(r: ServedRecord): number | undefined {
  let t = ms(r.created.at);
  for (const a of r.approvals ?? []) { const x = ms(a.at); if (x !== undefined && (t === undefined || x > t)) t = x; }
  const d = ms(r.deprecated?.at);
  if (d !== undefined && (t === undefined || d > t)) t = d;
  return t;
}

const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

/** Proposals (`--propose`) not merged yet, by `model\u0000semver`: the version answers PENDING_REGISTRATION. */
export type Pending = ReadonlyMap<string, { stage: string; message: string }>;
export const pendingKey = (model: string, semver: string) => `${model.toLowerCase()}\u0000${semver}`;

export function modelVersionJson(m: ServedModel, v: ServedVersion, pending?: Pending) {
  const proposal = pending?.size ? pending.get(pendingKey(m.name, v.record.version)) : undefined;
  const r = v.record;
  const aliases = Object.entries(m.record.aliases ?? {}).filter(([, x]) => x === r.version).map(([a]) => a).sort();
  const created = ms(r.created.at);
  const updated = lastUpdated(r);
  return {
    name: m.name,
    version: String(v.number),
    ...(created !== undefined ? { creation_timestamp: created } : {}),
    ...(updated !== undefined ? { last_updated_timestamp: updated } : {}),
    user_id: r.created.by,
    current_stage: r.stage,
    ...(r.description ? { description: r.description } : {}),
    source: r.artifact.uri,
    ...(r.lineage?.run?.id ? { run_id: r.lineage.run.id } : {}),
    status: proposal ? 'PENDING_REGISTRATION' : 'READY',
    ...(proposal ? { status_message: proposal.message } : r.deprecated ? { status_message: `deprecated${r.deprecated.reason ? `: ${r.deprecated.reason}` : ''}` } : {}),
    tags: [...tagList(r.tags), { key: SEMVER_TAG, value: r.version }],
    ...(r.lineage?.run?.uri ? { run_link: r.lineage.run.uri } : {}),
    aliases,
  };
}

/** The highest-numbered version in each stage (MLflow's `latest_versions`), in `stages` (all when empty). */
export function latestPerStage(m: ServedModel, stages: string[] = []): ServedVersion[] {
  const wanted = stages.map((s) => s.toLowerCase());
  const best = new Map<string, ServedVersion>();
  for (const v of m.versions) {
    const key = v.record.stage.toLowerCase();
    if (wanted.length && !wanted.includes(key)) continue;
    const cur = best.get(key);
    if (!cur || v.number > cur.number) best.set(key, v);
  }
  return [...best.values()].sort((a, b) => a.number - b.number);
}

export function registeredModelJson(m: ServedModel, pending?: Pending) {
  const created = ms(m.record.created.at);
  let updated = created;
  for (const v of m.versions) { const t = lastUpdated(v.record); if (t !== undefined && (updated === undefined || t > updated)) updated = t; }
  return {
    name: m.name,
    ...(created !== undefined ? { creation_timestamp: created } : {}),
    ...(updated !== undefined ? { last_updated_timestamp: updated } : {}),
    user_id: m.record.created.by,
    ...(m.record.description ? { description: m.record.description } : {}),
    latest_versions: latestPerStage(m).map((v) => modelVersionJson(m, v, pending)),
    tags: tagList(m.record.tags),
    aliases: Object.entries(m.record.aliases ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([alias, semver]) => ({ alias, version: String(m.bySemver.get(semver)?.number ?? semver) })),
  };
}
