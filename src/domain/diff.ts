/**
 * The difference of two states of one model, as events. History and the pull-request check
 * derive what happened from file contents, so hand edits show up like tool edits.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RegistryEvent } from './events.js';
import type { ModelState, ModelVersion } from './state.js';
import { sortVersionsDesc } from './versions.js';

export const IMMUTABLE_FIELDS = ['model', 'version', 'artifact', 'framework', 'signature', 'metrics', 'params', 'lineage', 'created', 'origin'] as const;

function tagEvents(model: string, version: string | undefined, a: Record<string, string> = {}, b: Record<string, string> = {}, initial = false): RegistryEvent[] {
  const out: RegistryEvent[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[key] !== b[key]) out.push({ type: 'tag', model, ...(version ? { version } : {}), key, ...(a[key] !== undefined ? { from: a[key] } : {}), ...(b[key] !== undefined ? { to: b[key] } : {}), ...(initial ? { initial } : {}) });
  }
  return out;
}

/** An approval's identity: who, for what, when, and what they said (an edited comment is a new record). */
function approvalKey(a: { by: string; stage: string; at: string; comment?: string }): string {
  return `${a.by.toLowerCase()}|${a.stage}|${a.at}|${a.comment ?? ''}`;
}

export function diffVersion(model: string, a: ModelVersion | undefined, b: ModelVersion | undefined): RegistryEvent[] {
  if (!a && !b) return [];
  if (!a) {
    const v = b!.version;
    const out: RegistryEvent[] = [{ type: 'register', model, version: v, stage: b!.stage }];
    out.push(...tagEvents(model, v, {}, b!.tags, true));
    if (b!.description !== undefined) out.push({ type: 'description', model, version: v, to: b!.description, initial: true });
    if (b!.deprecated) out.push({ type: 'deprecate', model, version: v, deprecated: true, initial: true });
    for (const ap of b!.approvals ?? []) out.push({ type: 'approval', model, version: v, by: ap.by, stage: ap.stage, at: ap.at, ...(ap.comment ? { comment: ap.comment } : {}) });
    return out;
  }
  if (!b) return [{ type: 'delete', model, version: a.version }];
  const v = b.version;
  const out: RegistryEvent[] = [];
  for (const f of IMMUTABLE_FIELDS) {
    if (!isDeepStrictEqual(a[f], b[f])) out.push({ type: 'immutable-change', model, version: v, field: f });
  }
  // A number is recorded once (at registration, or by `renumber` for older versions) and never changes.
  if (a.number !== undefined && a.number !== b.number) out.push({ type: 'immutable-change', model, version: v, field: 'number' });
  const before = new Set((a.approvals ?? []).map(approvalKey));
  const after = new Set((b.approvals ?? []).map(approvalKey));
  for (const ap of b.approvals ?? []) if (!before.has(approvalKey(ap))) out.push({ type: 'approval', model, version: v, by: ap.by, stage: ap.stage, at: ap.at, ...(ap.comment ? { comment: ap.comment } : {}) });
  for (const ap of a.approvals ?? []) if (!after.has(approvalKey(ap))) out.push({ type: 'approval-removed', model, version: v, by: ap.by, stage: ap.stage, at: ap.at, ...(ap.comment ? { comment: ap.comment } : {}) });
  if (a.stage !== b.stage) out.push({ type: 'transition', model, version: v, from: a.stage, to: b.stage });
  out.push(...tagEvents(model, v, a.tags, b.tags));
  if (a.description !== b.description) out.push({ type: 'description', model, version: v, from: a.description, to: b.description });
  if (!!a.deprecated !== !!b.deprecated) out.push({ type: 'deprecate', model, version: v, deprecated: !!b.deprecated });
  return out;
}

/** Events that turn model state `a` into `b` (either may be undefined). */
export function diffModel(a: ModelState | undefined, b: ModelState | undefined): RegistryEvent[] {
  const name = (b ?? a)!.name;
  const out: RegistryEvent[] = [];
  if (!a && b) {
    out.push({ type: 'model-create', model: name });
    const r = b.record;
    for (const f of ['owners', 'policy', 'deletedVersions'] as const) if (r[f] !== undefined) out.push({ type: 'model-update', model: name, field: f, to: r[f], initial: true });
    if (r.description !== undefined) out.push({ type: 'description', model: name, to: r.description, initial: true });
    out.push(...tagEvents(name, undefined, {}, r.tags, true));
  }
  const am = a?.record;
  const bm = b?.record;
  if (am && bm) {
    for (const f of ['owners', 'policy', 'name', 'deletedVersions', 'created'] as const) {
      if (!isDeepStrictEqual(am[f], bm[f])) out.push({ type: 'model-update', model: name, field: f, from: am[f], to: bm[f] });
    }
    if (am.description !== bm.description) out.push({ type: 'description', model: name, from: am.description, to: bm.description });
    out.push(...tagEvents(name, undefined, am.tags, bm.tags));
  }
  const aa = am?.aliases ?? {};
  const ba = bm?.aliases ?? {};
  for (const alias of [...new Set([...Object.keys(aa), ...Object.keys(ba)])].sort()) {
    if (aa[alias] !== ba[alias]) out.push({ type: 'alias', model: name, alias, ...(aa[alias] ? { from: aa[alias] } : {}), ...(ba[alias] ? { to: ba[alias] } : {}) });
  }
  const versions = sortVersionsDesc(new Set([...(a?.versions.keys() ?? []), ...(b?.versions.keys() ?? [])]));
  const transitions: Array<RegistryEvent & { type: 'transition' }> = [];
  for (const v of versions.reverse()) {
    for (const e of diffVersion(name, a?.versions.get(v)?.record, b?.versions.get(v)?.record)) {
      out.push(e);
      if (e.type === 'transition') transitions.push(e);
    }
  }
  // A move out of a stage in the same change as another version's move into it: the other
  // version was archived (promotion) or displaced (a rollback sends it back where it came from).
  for (const t of transitions) {
    const displaced = transitions.filter((o) => o !== t && o.from === t.to);
    const archived = displaced.filter((o) => o.to === 'Archived').map((o) => o.version);
    const replaced = displaced.filter((o) => o.to !== 'Archived').map((o) => o.version);
    if (archived.length) t.archives = archived;
    if (replaced.length) t.replaces = replaced;
  }
  if (a && !b) out.push({ type: 'model-delete', model: name });
  return out;
}
