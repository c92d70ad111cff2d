/**
 * `history`: what happened to the registry, newest first, derived from the content of the
 * files between commits (hand edits merged by a pull request show up too); commit trailers
 * only annotate.
 */
import { diffModel } from '../domain/diff.js';
import { describeEvent, isInitial, type RegistryEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import { parseCommitMessage, trailerValue } from '../domain/trailers.js';
import { changedPaths, firstParentLog, parseDateArg, resolveCommitish } from '../storage/history.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';

export interface HistoryEntry {
  commit: string;
  author: string;
  authorName: string;
  time: string;
  subject: string;
  action?: string;
  /** The commit this one reverts, when it is a revert (a rollback). */
  reverts?: string;
  events: Array<RegistryEvent & { description: string }>;
}

export interface HistoryInput {
  model?: string;
  /** Stop at this ref or date (exclusive). */
  since?: string;
  limit?: number;
  /** Start from this ref instead of the registry branch. */
  ref?: string;
}

/** Model folders touched between two snapshots. */
async function touchedModels(a: Snapshot, b: Snapshot, registryDir: string): Promise<string[]> {
  const aReg = await a.entry(registryDir);
  const bReg = await b.entry(registryDir);
  const changed = await changedPaths(b.store, aReg?.oid, bReg?.oid);
  const names = new Set<string>();
  for (const c of changed) {
    const m = /^(?:(.+)\/)?(?:model\.yaml|versions\/[^/]+)$/.exec(c.path);
    const name = m?.[1] ?? c.path.split('/')[0];
    if (name) names.add(name);
  }
  const byKey = new Map<string, string>();
  for (const n of names) if (!byKey.has(modelKey(n))) byKey.set(modelKey(n), n);
  return [...byKey.values()];
}

export async function eventsBetween(ctx: Context, a: Snapshot, b: Snapshot, onlyModel?: string): Promise<RegistryEvent[]> {
  const cfg = await b.config();
  const names = await touchedModels(a, b, cfg.registry);
  const out: RegistryEvent[] = [];
  for (const name of names.sort()) {
    if (onlyModel && modelKey(onlyModel) !== modelKey(name)) continue;
    let before, after;
    // A model whose files do not parse at either side has no events: the file check reports it.
    try { before = await a.model(name); } catch { continue; }
    try { after = await b.model(name); } catch { continue; }
    if (!before && !after) continue;
    // The starting content of a model or version created here is part of its creation.
    out.push(...diffModel(before, after).filter((e) => !isInitial(e)));
  }
  return out;
}

export async function history(ctx: Context, input: HistoryInput = {}): Promise<{ entries: HistoryEntry[] }> {
  const store = ctx.store();
  const head = await ctx.snapshotAt(input.ref, store);
  let stopCommit: string | undefined;
  let stopDate: Date | undefined;
  if (input.since) {
    stopDate = parseDateArg(input.since);
    if (!stopDate) stopCommit = await resolveCommitish(store, input.since);
  }
  const entries: HistoryEntry[] = [];
  for await (const c of firstParentLog(store, head.commit, stopCommit)) {
    if (stopDate && c.committer.timestamp * 1000 < stopDate.getTime()) break;
    const after = ctx.snapshot(store, c.oid, c.tree);
    const parent = c.parents[0];
    const before = ctx.snapshot(store, parent, parent ? (await store.readCommit(parent)).tree : undefined);
    const events = await eventsBetween(ctx, before, after, input.model);
    if (!events.length) continue;
    const msg = parseCommitMessage(c.message);
    const reverts = /This reverts commit ([0-9a-f]{40})/.exec(c.message)?.[1];
    entries.push({
      commit: c.oid, author: c.author.email, authorName: c.author.name,
      time: new Date(c.author.timestamp * 1000).toISOString(), subject: msg.subject,
      ...(trailerValue(msg, 'Modelreg-Action') ? { action: trailerValue(msg, 'Modelreg-Action') } : {}),
      ...(reverts ? { reverts } : {}),
      events: events.map((e) => ({ ...e, description: describeEvent(e) })),
    });
    if (input.limit && entries.length >= input.limit) break;
  }
  return { entries };
}
