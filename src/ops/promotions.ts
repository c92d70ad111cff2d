/**
 * The versions a change moves into a serving stage (any stage but the initial one and
 * Archived), with their metrics and those of the version they take over from: what the
 * GitLab metrics report shows as deltas.
 */
import type { RegistryEvent } from '../domain/events.js';
import type { Promotion } from '../domain/check-result.js';
import type { Snapshot } from '../storage/snapshot.js';
import { modelAt } from './commit-range.js';

const NOT_SERVING = new Set(['None', 'Archived']);

/** Promotions among `events` (transitions and registrations straight into a stage), read at base and head. */
export async function promotionsOf(events: RegistryEvent[], base: Snapshot, head: Snapshot): Promise<Promotion[]> {
  const out: Promotion[] = [];
  for (const e of events) {
    const stage = e.type === 'transition' ? e.to : e.type === 'register' ? e.stage : undefined;
    if (!stage || NOT_SERVING.has(stage) || (e.type !== 'transition' && e.type !== 'register')) continue;
    const version = (await modelAt(head, e.model))?.versions.get(e.version)?.record;
    if (!version) continue;
    const prevVersion = e.type === 'transition' ? e.archives?.[0] ?? e.replaces?.[0] : undefined;
    const prev = prevVersion ? (await modelAt(base, e.model))?.versions.get(prevVersion)?.record : undefined;
    out.push({ model: version.model, version: version.version, stage, metrics: { ...(version.metrics ?? {}) }, ...(prev ? { previous: { version: prev.version, metrics: { ...(prev.metrics ?? {}) } } } : {}) });
  }
  return out;
}
