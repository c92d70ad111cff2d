/**
 * When did a version enter its current stage? From the event index: the newest event that put
 * the version into the stage (its registration or a transition, a rollback's included), found
 * by walking the indexed events newest first. Events are derived from file contents, so hand
 * edits count; a commit is derived once and then read from the index.
 */
import { modelKey } from '../domain/names.js';
import type { Snapshot } from '../storage/snapshot.js';
import { indexedHistory } from './history.js';

export interface StageEntry {
  /** The commit that moved the version into `stage`. */
  commit: string;
  at: Date;
  author: string;
}

/**
 * The commit that put the version stored at `file` (as of the snapshot's commit) into `stage`:
 * the oldest commit of the unbroken run with that stage. Undefined when the history does not say.
 */
export async function stageEnteredAt(snap: Snapshot, file: string, stage: string): Promise<StageEntry | undefined> {
  const m = /^(.+)\/versions\/([^/]+)\.yaml$/.exec(file);
  if (!m || !snap.commit) return undefined;
  const registry = (await snap.config()).registry;
  if (!m[1].startsWith(`${registry}/`)) return undefined;
  const key = modelKey(m[1].slice(registry.length + 1));
  const version = m[2];
  for await (const c of indexedHistory(snap)) {
    // Within one commit, the last event about the version is its state after the commit.
    for (let i = c.events.length - 1; i >= 0; i--) {
      const e = c.events[i];
      if (!('version' in e) || e.version !== version || modelKey(e.model) !== key) continue;
      const entered = { commit: c.c, at: new Date(c.ct * 1000), author: c.ae };
      if (e.type === 'transition') return e.to === stage ? entered : undefined;
      if (e.type === 'register') return e.stage === stage ? entered : undefined;
      if (e.type === 'delete') return undefined;
    }
  }
  return undefined;
}
