/**
 * The event feed: registry events as CloudEvents 1.0, and as the webhook payloads MLflow 3 and
 * Databricks' registry send, so receivers written for those work unchanged.
 *
 * Pure: a commit's derived events (domain/events.ts, from the event index) come in, feed events
 * go out. Ids are `<commit>:<n>`, n counting the commit's feed events in derivation order (which
 * is fixed: models by name, then the model diff's order), so the same commit always gives the
 * same ids, whatever a reader filters, in every clone.
 */
import type { RegistryEvent } from './events.js';
import { modelKey } from './names.js';
import { parseCommitMessage } from './trailers.js';

export const EVENT_TYPE_PREFIX = 'dev.modelreg.';

/** Every type the feed emits (without the `dev.modelreg.` prefix). */
export const FEED_TYPES = [
  'model.created', 'model.deleted',
  'version.registered', 'version.transitioned', 'version.approved',
  'version.deprecated', 'version.undeprecated', 'version.deleted',
  'alias.set', 'alias.deleted', 'tag.set', 'tag.deleted',
  'stage.rolled_back', 'deployment.recorded', 'analysis.failed',
] as const;
export type FeedType = (typeof FEED_TYPES)[number];

export const FEED_FORMATS = ['cloudevents', 'mlflow', 'databricks'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export interface Artifact { uri: string; digest?: string }

/** What `data` carries; absent fields did not apply. */
export interface FeedData {
  model: string;
  version?: string;
  fromStage?: string;
  toStage?: string;
  /** Versions that left the target stage because of this transition (archived or replaced). */
  replaced?: string[];
  alias?: string;
  key?: string;
  value?: string;
  previous?: string;
  approvedBy?: string;
  actor: string;
  commit: string;
  reason?: string;
  artifact?: Artifact;
  /** deployment.recorded: the environment, how it went, where it serves. */
  env?: string;
  status?: string;
  url?: string;
  /** analysis.failed: the stage analysed, the analysis file, what watch did (rolled-back, alerted, refused), the version it restored. */
  stage?: string;
  analysis?: string;
  action?: string;
  restored?: string;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: FeedData;
}

/** One commit as the feed reads it (from the event index). */
export interface FeedCommit {
  commit: string;
  /** commit time, seconds */
  time: number;
  actor: string;
  message: string;
  events: RegistryEvent[];
}

/** Whether the commit is a rollback: `modelreg rollback`'s trailer, or a plain `git revert`. */
export function isRollbackCommit(message: string): boolean {
  return /^Modelreg-Action:\s*rollback\s*$/im.test(message) || /This reverts commit [0-9a-f]{40}/.test(message);
}

/** The reason a commit gives: a `Reason:` line of its body, else its body (trailers excluded). */
export function commitReason(message: string): string | undefined {
  const body = parseCommitMessage(message).body?.trim();
  if (!body) return undefined;
  return /^Reason: (.*)$/m.exec(body)?.[1].trim() || body;
}

function kindOf(e: RegistryEvent, rollback: boolean): { type: FeedType; data: Partial<FeedData> } | undefined {
  switch (e.type) {
    case 'model-create': return { type: 'model.created', data: {} };
    case 'model-delete': return { type: 'model.deleted', data: {} };
    case 'register': return { type: 'version.registered', data: { version: e.version, toStage: e.stage } };
    case 'transition': {
      const replaced = [...(e.replaces ?? []), ...(e.archives ?? [])];
      return {
        type: rollback ? 'stage.rolled_back' : 'version.transitioned',
        data: { version: e.version, fromStage: e.from, toStage: e.to, ...(replaced.length ? { replaced } : {}) },
      };
    }
    case 'approval': return { type: 'version.approved', data: { version: e.version, toStage: e.stage, approvedBy: e.by } };
    case 'alias': return e.to === undefined
      ? { type: 'alias.deleted', data: { alias: e.alias, version: e.from } }
      : { type: 'alias.set', data: { alias: e.alias, version: e.to, ...(e.from ? { previous: e.from } : {}) } };
    case 'tag': return e.to === undefined
      ? { type: 'tag.deleted', data: { version: e.version, key: e.key, previous: e.from } }
      : { type: 'tag.set', data: { version: e.version, key: e.key, value: e.to, ...(e.from !== undefined ? { previous: e.from } : {}) } };
    case 'deprecate': return { type: e.deprecated ? 'version.deprecated' : 'version.undeprecated', data: { version: e.version } };
    case 'delete': return { type: 'version.deleted', data: { version: e.version } };
    case 'deployment': return { type: 'deployment.recorded', data: { version: e.version, env: e.env, status: e.status, url: e.url, previous: e.previous } };
    case 'analysis': return { type: 'analysis.failed', data: { version: e.version, stage: e.stage, analysis: e.file, action: e.action, ...(e.restored ? { restored: e.restored } : {}) } };
    // Model field and description edits, removed approvals, policy and configuration changes are
    // in `history`, not in the feed (no deployment tool acts on them).
    default: return undefined;
  }
}

/** Drops undefined fields, so the JSON of an event never depends on how it was built. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The commit's feed events, in order, with their stable ids. `artifactOf` gives the artifact of
 * a version as the commit holds it (registrations and transitions carry it).
 */
export function commitFeed(c: FeedCommit, source: string, artifactOf: (model: string, version: string) => Artifact | undefined): CloudEvent[] {
  const rollback = isRollbackCommit(c.message);
  const reason = commitReason(c.message);
  const out: CloudEvent[] = [];
  for (const e of c.events) {
    const k = kindOf(e, rollback);
    if (!k || !('model' in e)) continue;
    const version = k.data.version;
    const artifact = version && (k.type === 'version.registered' || k.type === 'version.transitioned' || k.type === 'stage.rolled_back')
      ? artifactOf(e.model, version) : undefined;
    out.push({
      specversion: '1.0',
      id: `${c.commit}:${out.length}`,
      source,
      type: EVENT_TYPE_PREFIX + k.type,
      subject: `models/${e.model}${version && k.type !== 'alias.deleted' ? `/${version}` : ''}`,
      time: new Date(c.time * 1000).toISOString(),
      datacontenttype: 'application/json',
      data: compact({ model: e.model, ...k.data, actor: c.actor, commit: c.commit, reason, artifact: artifact ? compact(artifact) : undefined }),
    });
  }
  return out;
}

/**
 * A type filter from `--type` / `events:` patterns: full types or short ones (`version.*`), a
 * trailing `*` matching any rest. Undefined when a pattern names no type the feed has.
 */
export function typeMatcher(patterns: string[]): { matches: (type: string) => boolean; unknown: string[] } {
  const full = patterns.map((p) => (p.startsWith(EVENT_TYPE_PREFIX) ? p : EVENT_TYPE_PREFIX + p));
  const all = FEED_TYPES.map((t) => EVENT_TYPE_PREFIX + t);
  const test = (p: string, t: string) => (p.endsWith('*') ? t.startsWith(p.slice(0, -1)) : t === p);
  const unknown = patterns.filter((_, i) => !all.some((t) => test(full[i], t)));
  return { matches: (type) => !full.length || full.some((p) => test(p, type)), unknown };
}

/** Whether an event is about `model` (names compare as the registry compares them). */
export function aboutModel(e: CloudEvent, model: string): boolean {
  return modelKey(e.data.model) === modelKey(model);
}

/** MLflow 3's webhook envelope; undefined for events MLflow has no name for. */
export function toMlflow(e: CloudEvent): { entity: string; action: string; timestamp: string; data: Record<string, unknown> } | undefined {
  const d = e.data;
  const env = (entity: string, action: string, data: Record<string, unknown>) => ({ entity, action, timestamp: e.time, data: compact(data) });
  switch (e.type.slice(EVENT_TYPE_PREFIX.length) as FeedType) {
    case 'model.created': return env('registered_model', 'created', { name: d.model, tags: {}, description: null });
    case 'version.registered': return env('model_version', 'created', { name: d.model, version: d.version, source: d.artifact?.uri, run_id: null, tags: {}, description: null });
    case 'tag.set': return d.version ? env('model_version_tag', 'set', { name: d.model, version: d.version, key: d.key, value: d.value }) : undefined;
    case 'tag.deleted': return d.version ? env('model_version_tag', 'deleted', { name: d.model, version: d.version, key: d.key }) : undefined;
    case 'alias.set': return env('model_version_alias', 'created', { name: d.model, alias: d.alias, version: d.version });
    case 'alias.deleted': return env('model_version_alias', 'deleted', { name: d.model, alias: d.alias });
    // MLflow has no deployment entity; its users record deployments as version tags, so a
    // recorded deployment is sent as the tag `deployment.<env>` set to its status.
    case 'deployment.recorded': return env('model_version_tag', 'set', { name: d.model, version: d.version, key: `deployment.${d.env}`, value: d.status });
    default: return undefined;
  }
}

export interface DatabricksPayload {
  event: string;
  webhook_id: string;
  event_timestamp: number;
  model_name: string;
  version?: string;
  from_stage?: string;
  to_stage?: string;
  text: string;
}

/** Databricks' registry webhook payload; undefined for events it has no name for. */
export function toDatabricks(e: CloudEvent, webhookId = ''): DatabricksPayload | undefined {
  const d = e.data;
  const base = { webhook_id: webhookId, event_timestamp: Date.parse(e.time), model_name: d.model };
  switch (e.type.slice(EVENT_TYPE_PREFIX.length) as FeedType) {
    case 'model.created': return { event: 'REGISTERED_MODEL_CREATED', ...base, text: `A new registered model '${d.model}' was created.` };
    case 'version.registered': return { event: 'MODEL_VERSION_CREATED', ...base, version: d.version, text: `A new model version ${d.version} of '${d.model}' was created.` };
    case 'version.transitioned':
    case 'stage.rolled_back':
      return { event: 'MODEL_VERSION_TRANSITIONED_STAGE', ...base, version: d.version, from_stage: d.fromStage, to_stage: d.toStage,
        text: `Registered model '${d.model}' version ${d.version} transitioned from ${d.fromStage} to ${d.toStage}.` };
    case 'tag.set': return d.version ? { event: 'MODEL_VERSION_TAG_SET', ...base, version: d.version, text: `Tag '${d.key}' set to '${d.value}' on model '${d.model}' version ${d.version}.` } : undefined;
    // As for MLflow: the tag `deployment.<env>` set to the status, the text saying what happened.
    case 'deployment.recorded': return { event: 'MODEL_VERSION_TAG_SET', ...base, version: d.version,
      text: `Tag 'deployment.${d.env}' set to '${d.status}' on model '${d.model}' version ${d.version}: deployed to ${d.env}${d.url ? ` at ${d.url}` : ''}.` };
    default: return undefined;
  }
}

/** The event in `format`; undefined when that format has no name for it (it is then not sent). */
export function formatEvent(e: CloudEvent, format: FeedFormat, webhookId?: string): object | undefined {
  if (format === 'mlflow') return toMlflow(e);
  if (format === 'databricks') return toDatabricks(e, webhookId);
  return e;
}
