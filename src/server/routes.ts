/**
 * The MLflow Model Registry REST API 2.0 (mlflow/protos/model_registry.proto) over the served
 * state: each route translates a request into a lookup or an operation of ops/, and its result
 * into MLflow's JSON. Writes run the same operations as the CLI.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import { modelKey, parseModelName } from '../domain/names.js';
import { isValidVersion } from '../domain/versions.js';
import type { Context } from '../ops/context.js';
import type { Identity } from '../storage/repo.js';
import type { ServedModel, ServedState } from '../ops/served.js';
import { decodePageToken, encodePageToken, matches, parseFilter, parseOrderBy, type OrderKey } from './filter.js';
import { MLFLOW_STAGES, SEMVER_TAG, lastUpdated, latestPerStage, modelVersionJson, registeredModelJson, type Pending, type ServedVersion } from './mlflow.js';
import { optBool, optInt, optString, reqString, strList, tagList, type Params } from './params.js';

export interface App {
  state(): ServedState;
  /** Runs a write as `actor` (one at a time in this process), then serves the commit it made. */
  write<R>(actor: Identity, run: (ctx: Context, opts: { push: boolean }) => Promise<R>): Promise<R>;
  /** The URI get-download-uri answers: the recorded one, or (--serve-artifacts) this server's artifact route. */
  downloadUri(m: ServedModel, v: ServedVersion, host: string | undefined): string;
  /** With --propose: transitions denied only for missing approvals become a branch (and pull request). */
  readonly propose: boolean;
  readonly pending: Pending;
  /** Remembers the pull request opened for a proposal branch, for status_message (the proposal itself is read from the branch). */
  proposed(branch: string, pullRequest?: string): void;
}

/** What a handler may know of the request besides its fields. */
export interface RequestInfo { host?: string }

export type Handler = (p: Params, app: App, actor?: Identity, info?: RequestInfo) => unknown;
export interface Route { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; write: boolean; handler: Handler }

// ------------------------------------------------------------------ lookups

function model(state: ServedState, name: string): ServedModel {
  parseModelName(name);
  const m = state.byKey.get(modelKey(name));
  if (!m) throw new RegistryError('NOT_FOUND', `Registered Model with name=${name} not found.`, { model: name });
  return m;
}

/** A version by MLflow number ("3") or by semantic version ("2.1.0"). */
function version(m: ServedModel, v: string): ServedVersion {
  const hit = /^\d+$/.test(v) ? m.byNumber.get(Number(v)) : isValidVersion(v) ? m.bySemver.get(v) : undefined;
  if (!hit) {
    if (!/^\d+$/.test(v) && !isValidVersion(v)) throw new RegistryError('BAD_INPUT', `Parameter 'version' must be an integer version number or a semantic version, not ${JSON.stringify(v)}.`, { version: v });
    throw new RegistryError('NOT_FOUND', `Model Version (name=${m.name}, version=${v}) not found.`, { model: m.name, version: v });
  }
  return hit;
}

const semverOf = (state: ServedState, name: string, v: string) => version(model(state, name), v).record.version;

/**
 * get-latest-versions: the highest-numbered version of each stage asked for (every stage when
 * none). A "stage" no version is in that is a semantic version names that version, so
 * `models:/churn/2.1.0` (a stage lookup to MLflow's client) resolves.
 */
function latestVersions(m: ServedModel, stages: string[]): ServedVersion[] {
  const out = latestPerStage(m, stages);
  for (const s of stages) {
    const known = m.versions.some((v) => v.record.stage.toLowerCase() === s.toLowerCase()) || MLFLOW_STAGES.some((x) => x.toLowerCase() === s.toLowerCase());
    const hit = !known && isValidVersion(s) ? m.bySemver.get(s) : undefined;
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}

// ------------------------------------------------------------------ search

function page<T>(items: T[], p: Params, def: number, max: number): { items: T[]; next?: string } {
  const limit = optInt(p, 'max_results', 1, max) ?? def;
  const offset = decodePageToken(optString(p, 'page_token'));
  const slice = items.slice(offset, offset + limit);
  return { items: slice, ...(offset + limit < items.length ? { next: encodePageToken(offset + limit) } : {}) };
}

function sortBy<T>(items: T[], keys: OrderKey[], get: (x: T, key: string) => string | number | undefined): T[] {
  return items.sort((a, b) => {
    for (const k of keys) {
      const x = get(a, k.key);
      const y = get(b, k.key);
      const c = x === y ? 0 : x === undefined ? 1 : y === undefined ? -1 : x < y ? -1 : 1;
      if (c) return k.desc ? -c : c;
    }
    return 0;
  });
}

function searchModels(p: Params, app: App) {
  const clauses = parseFilter(optString(p, 'filter'), ['name', 'tags.*']);
  const order = parseOrderBy(strList(p, 'order_by'), ['name', 'creation_timestamp', 'last_updated_timestamp']);
  const hits = app.state().models.filter((m) => clauses.every((c) => matches(c, c.key === 'name' ? m.name : m.record.tags?.[c.key.slice(5)])));
  const json = hits.map((m) => registeredModelJson(m, app.pending));
  sortBy(json, [...order, ...(order.some((o) => o.key === 'name') ? [] : [{ key: 'name', desc: false }])], (x, k) => x[k as 'name']);
  const { items, next } = page(json, p, 100, 1000);
  return { registered_models: items, ...(next ? { next_page_token: next } : {}) };
}

function versionField(m: ServedModel, v: ServedVersion, key: string): string | undefined {
  switch (key) {
    case 'name': return m.name;
    case 'run_id': return v.record.lineage?.run?.id;
    case 'source_path': return v.record.artifact.uri;
    case 'version_number': return String(v.number);
    case 'current_stage': return v.record.stage;
    default: return key === `tags.${SEMVER_TAG}` ? v.record.version : v.record.tags?.[key.slice(5)];
  }
}

function searchVersions(p: Params, app: App) {
  const clauses = parseFilter(optString(p, 'filter'), ['name', 'run_id', 'source_path', 'version_number', 'current_stage', 'tags.*']);
  const order = parseOrderBy(strList(p, 'order_by'), ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']);
  const state = app.state();
  // name = 'x' is the common question: answer it from the index.
  const byName = clauses.find((c) => c.key === 'name' && c.op === '=');
  const pool = byName ? [state.byKey.get(modelKey(byName.values[0]))].filter((m): m is ServedModel => !!m && m.name === byName.values[0]) : state.models;
  const hits: Array<{ m: ServedModel; v: ServedVersion }> = [];
  for (const m of pool) for (const v of m.versions) if (clauses.every((c) => matches(c, versionField(m, v, c.key)))) hits.push({ m, v });
  const keys = order.length ? order : [{ key: 'last_updated_timestamp', desc: true }, { key: 'name', desc: false }, { key: 'version_number', desc: true }];
  sortBy(hits, keys, ({ m, v }, k) => (k === 'name' ? m.name : k === 'version_number' ? v.number : k === 'creation_timestamp' ? Date.parse(v.record.created.at) : lastUpdated(v.record)));
  const { items, next } = page(hits, p, 10_000, 200_000);
  return { model_versions: items.map(({ m, v }) => modelVersionJson(m, v, app.pending)), ...(next ? { next_page_token: next } : {}) };
}

// ------------------------------------------------------------------ writes

/** A denial whose only failed requirements are approvals: what a review can supply. */
function onlyApprovalsMissing(e: RegistryError): boolean {
  const checks = (e.data.decision as { checks?: Array<{ ok: boolean; name: string }> } | undefined)?.checks ?? [];
  return checks.some((c) => !c.ok) && checks.every((c) => c.ok || c.name.startsWith('approvals'));
}

const canonicalStage = (s: string) => MLFLOW_STAGES.find((x) => x.toLowerCase() === s.toLowerCase()) ?? s;

async function createVersion(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  const source = reqString(p, 'source');
  // As MLflow's stores: a version of a model that does not exist is RESOURCE_DOES_NOT_EXIST (create the model first).
  model(app.state(), name);
  const tags = tagList(p, 'tags');
  const semver = tags[SEMVER_TAG];
  delete tags[SEMVER_TAG];
  if (semver !== undefined && !isValidVersion(semver)) throw new RegistryError('BAD_INPUT', `Tag ${SEMVER_TAG} must be a semantic version (1.2.0), not ${JSON.stringify(semver)}.`, {});
  const r = await app.write(actor!, async (ctx, o) => {
    const { register } = await import('../ops/register.js');
    return register(ctx, {
      model: name, artifact: source, push: o.push, tags,
      ...(semver ? { version: semver } : {}),
      ...(optString(p, 'description') ? { description: optString(p, 'description') } : {}),
      ...(optString(p, 'run_id') ? { runId: optString(p, 'run_id') } : {}),
      ...(optString(p, 'run_link') ? { runUri: optString(p, 'run_link') } : {}),
    });
  });
  const m = model(app.state(), r.model);
  return { model_version: modelVersionJson(m, m.bySemver.get(r.version)!, app.pending) };
}

async function createModel(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  parseModelName(name);
  const tags = tagList(p, 'tags');
  const description = optString(p, 'description');
  if (app.state().byKey.has(modelKey(name))) throw new RegistryError('VERSION_EXISTS', `Registered Model (name=${name}) already exists.`, { model: name });
  await app.write(actor!, async (ctx, o) => {
    const { createModel: create } = await import('../ops/create-model.js');
    return create(ctx, { model: name, tags, ...(description ? { description } : {}), push: o.push });
  });
  return { registered_model: registeredModelJson(model(app.state(), name), app.pending) };
}

async function transitionStage(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  const semver = semverOf(app.state(), name, reqString(p, 'version'));
  const stage = canonicalStage(reqString(p, 'stage'));
  optBool(p, 'archive_existing_versions'); // the policy decides: an exclusive stage archives its previous holder
  const message = optString(p, 'comment');
  const r = await app.write(actor!, async (ctx, o) => {
    const { transition } = await import('../ops/transition.js');
    const input = { model: name, version: semver, stage, push: o.push, ...(message ? { message } : {}) };
    try {
      return await transition(ctx, input);
    } catch (e) {
      if (!app.propose || !isRegistryError(e, 'DENIED') || !onlyApprovalsMissing(e)) throw e;
      // A protected stage: the change goes on a branch for review instead (with --remote, pushed, and a pull request where a forge token allows).
      const pending = await transition(ctx, { ...input, branch: true, allowPending: true });
      let url: string | undefined;
      if (o.push) {
        const { openPullRequest } = await import('../ops/pull-request.js');
        url = (await openPullRequest(ctx, { branch: pending.branch, title: `promote ${pending.model} ${pending.version}: ${pending.from} -> ${stage}` }).catch(() => undefined))?.url;
      }
      app.proposed(pending.branch, url);
      return pending;
    }
  });
  const m = model(app.state(), r.model);
  return { model_version: modelVersionJson(m, m.bySemver.get(r.version)!, app.pending) };
}

async function tagWrite(p: Params, app: App, actor: Identity | undefined, withVersion: boolean, set: boolean) {
  const name = reqString(p, 'name');
  const v = withVersion ? semverOf(app.state(), name, reqString(p, 'version')) : undefined;
  const key = reqString(p, 'key');
  if (key === SEMVER_TAG) throw new RegistryError('BAD_INPUT', `Tag ${SEMVER_TAG} is the version's semantic version; it cannot be set or deleted.`, {});
  const value = set ? optString(p, 'value') ?? '' : undefined;
  if (!withVersion) model(app.state(), name);
  await app.write(actor!, async (ctx, o) => {
    const { tag } = await import('../ops/metadata.js');
    return tag(ctx, { model: name, ...(v ? { version: v } : {}), ...(set ? { set: { [key]: value! } } : { delete: [key] }), push: o.push });
  });
  return {};
}

async function describeWrite(p: Params, app: App, actor: Identity | undefined, withVersion: boolean) {
  const name = reqString(p, 'name');
  const v = withVersion ? semverOf(app.state(), name, reqString(p, 'version')) : undefined;
  if (!withVersion) model(app.state(), name);
  const description = optString(p, 'description') ?? '';
  await app.write(actor!, async (ctx, o) => {
    const { describe } = await import('../ops/metadata.js');
    return describe(ctx, { model: name, ...(v ? { version: v } : {}), description, push: o.push });
  });
  const m = model(app.state(), name);
  return withVersion ? { model_version: modelVersionJson(m, m.bySemver.get(v!)!, app.pending) } : { registered_model: registeredModelJson(m, app.pending) };
}

async function aliasWrite(p: Params, app: App, actor: Identity | undefined, set: boolean) {
  const name = reqString(p, 'name');
  const alias = reqString(p, 'alias');
  const v = set ? semverOf(app.state(), name, reqString(p, 'version')) : undefined;
  await app.write(actor!, async (ctx, o) => {
    const { alias: run } = await import('../ops/metadata.js');
    return run(ctx, { model: name, alias, ...(v ? { version: v } : {}), push: o.push });
  });
  return {};
}

async function renameModelWrite(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  const to = reqString(p, 'new_name');
  model(app.state(), name);
  parseModelName(to);
  const r = await app.write(actor!, async (ctx, o) => {
    const { renameModel } = await import('../ops/model-admin.js');
    return renameModel(ctx, { model: name, to, push: o.push });
  });
  return { registered_model: registeredModelJson(model(app.state(), r.to), app.pending) };
}

async function deleteModelWrite(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  model(app.state(), name);
  await app.write(actor!, async (ctx, o) => {
    const { deleteModel } = await import('../ops/model-admin.js');
    return deleteModel(ctx, { model: name, push: o.push });
  });
  return {};
}

async function deleteVersion(p: Params, app: App, actor?: Identity) {
  const name = reqString(p, 'name');
  const v = semverOf(app.state(), name, reqString(p, 'version'));
  await app.write(actor!, async (ctx, o) => {
    const { deleteVersion: run } = await import('../ops/lifecycle.js');
    return run(ctx, { model: name, version: v, push: o.push });
  });
  return {};
}

// ------------------------------------------------------------------ the table

const R = (method: Route['method'], path: string, handler: Handler, write = false): Route => ({ method, path, handler, write });

export const ROUTES: Route[] = [
  R('GET', 'registered-models/get', (p, app) => ({ registered_model: registeredModelJson(model(app.state(), reqString(p, 'name')), app.pending) })),
  R('GET', 'registered-models/search', searchModels),
  R('POST', 'registered-models/get-latest-versions', (p, app) => {
    const m = model(app.state(), reqString(p, 'name'));
    return { model_versions: latestVersions(m, strList(p, 'stages')).map((v) => modelVersionJson(m, v, app.pending)) };
  }),
  R('GET', 'registered-models/get-latest-versions', (p, app) => {
    const m = model(app.state(), reqString(p, 'name'));
    return { model_versions: latestVersions(m, strList(p, 'stages')).map((v) => modelVersionJson(m, v, app.pending)) };
  }),
  R('GET', 'registered-models/alias', (p, app) => {
    const m = model(app.state(), reqString(p, 'name'));
    const alias = reqString(p, 'alias');
    const semver = m.record.aliases?.[alias];
    if (!semver) throw new RegistryError('NOT_FOUND', `Registered model alias ${alias} not found (model ${m.name}${Object.keys(m.record.aliases ?? {}).length ? `; its aliases: ${Object.keys(m.record.aliases ?? {}).join(', ')}` : ''}).`, {});
    return { model_version: modelVersionJson(m, version(m, semver), app.pending) };
  }),
  R('GET', 'model-versions/get', (p, app) => {
    const m = model(app.state(), reqString(p, 'name'));
    return { model_version: modelVersionJson(m, version(m, reqString(p, 'version')), app.pending) };
  }),
  R('GET', 'model-versions/search', searchVersions),
  R('GET', 'model-versions/get-download-uri', (p, app, _actor, info) => {
    const m = model(app.state(), reqString(p, 'name'));
    return { artifact_uri: app.downloadUri(m, version(m, reqString(p, 'version')), info?.host) };
  }),

  R('POST', 'registered-models/create', createModel, true),
  R('PATCH', 'registered-models/update', (p, app, a) => describeWrite(p, app, a, false), true),
  R('POST', 'registered-models/rename', renameModelWrite, true),
  R('DELETE', 'registered-models/delete', deleteModelWrite, true),
  R('POST', 'registered-models/set-tag', (p, app, a) => tagWrite(p, app, a, false, true), true),
  R('DELETE', 'registered-models/delete-tag', (p, app, a) => tagWrite(p, app, a, false, false), true),
  R('POST', 'registered-models/alias', (p, app, a) => aliasWrite(p, app, a, true), true),
  R('DELETE', 'registered-models/alias', (p, app, a) => aliasWrite(p, app, a, false), true),
  R('POST', 'model-versions/create', createVersion, true),
  R('PATCH', 'model-versions/update', (p, app, a) => describeWrite(p, app, a, true), true),
  R('POST', 'model-versions/transition-stage', transitionStage, true),
  R('DELETE', 'model-versions/delete', deleteVersion, true),
  R('POST', 'model-versions/set-tag', (p, app, a) => tagWrite(p, app, a, true, true), true),
  R('DELETE', 'model-versions/delete-tag', (p, app, a) => tagWrite(p, app, a, true, false), true),
];
