/**
 * `history`: what happened to the registry, newest first, derived from the content of the
 * files between commits (hand edits merged by a pull request show up too); commit trailers
 * only annotate.
 *
 * A stream: commits are walked along first parents from the tip and each entry is handed on as
 * soon as it is known, so `--limit` stops the walk and no step holds more than one commit's
 * events. Each commit's events come from the event index (storage/event-index.ts), or are
 * derived from the trees on the changed paths and then stored there.
 */
import { setFlagsFromString } from 'node:v8';
import { describeEvent, type RegistryEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import { parseCommitMessage, trailerValue } from '../domain/trailers.js';
import { CommitEventReader } from '../storage/commit-events.js';
import { EventIndex, type IndexedCommit } from '../storage/event-index.js';
import type { CommitInfo } from '../storage/objects.js';
import { parseDateArg, resolveCommitish } from '../storage/history.js';
import { Snapshot } from '../storage/snapshot.js';
import { ParsedCache } from '../storage/cache.js';
import { ObjectDatabase } from '../storage/odb.js';
import { ObjectStore } from '../storage/objects.js';
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
  /**
   * Keep V8's young generation at its starting size, and bound its old generation's growth, while
   * the walk derives events (a first walk of thousands of commits: about 30-40 MB less peak
   * memory, 5-10 % more CPU; see HEAP_GROWING_PERCENT). It sets a V8 flag
   * for the whole process, and puts V8's default back after: for a process that runs the walk
   * alone, as the CLI does; not in a server that sets its own.
   */
  smallYoungGeneration?: boolean;
}

/** Events that turn snapshot `a` into `b`, of one model or all; reads only the trees and files that differ. */
export async function eventsBetween(ctx: Context, a: Snapshot, b: Snapshot, onlyModel?: string): Promise<RegistryEvent[]> {
  const cfg = await b.config();
  const events = await new CommitEventReader(b.store, b).between(a.tree, b.tree, cfg.registry);
  return onlyModel ? events.filter((e) => 'model' in e && modelKey(e.model) === modelKey(onlyModel)) : events;
}

/**
 * Every commit on the first-parent history of `snap`'s commit with its events, newest first,
 * from the event index (what it lacks is derived and stored). For other readers: the UI's
 * timeline, an event feed, the time a version entered its stage.
 */
export function indexedHistory(snap: Snapshot, stopAt?: string, model?: string, smallYoungGeneration = false): AsyncGenerator<IndexedCommit> {
  // The walk reads through an object database of its own that reuses the memory of the large
  // trees it rebuilds (a model folder of 10,000 versions, once a commit): the context's
  // database hands its objects to other readers (serve), which may keep them.
  // Its object cache needs only the last few commits' objects, and a large pack is read where
  // needed rather than held whole (35 MB at 10,000 versions in 11,597 commits).
  // Its caches hold 8 MB each (a delta chain of 50 folder trees of 400 kB does not fit, and
  // rebuilding the links it lacks costs a copy of each, far less than the walk's other work).
  // A pack index of a few MB is read whole at once: a walk looks up several objects a commit,
  // and 64 lookups on disk first (a `--limit 20` makes about that many) took 1,100 reads.
  const store = new ObjectStore(snap.store.gitdir, new ObjectDatabase(snap.store.gitdir, process.env, WALK_CACHE_BYTES, { recycleTrees: true, cacheEntries: 1024, bulkMaxBytes: 16 * 1024 * 1024, lazyIndexBytes: 4 * 1024 * 1024 }));
  // And parses files into a bounded cache of its own: a walk of every commit meets every version
  // of every model.yaml, and the context's cache keeps all it is given.
  const walkSnap = new Snapshot(store, snap.commit, snap.tree, new ParsedCache(WALK_PARSED_PER_KIND), snap.persisted);
  const reader = new CommitEventReader(store, walkSnap);
  const walk = (derive: (c: CommitInfo) => Promise<RegistryEvent[]>) => EventIndex.open(store.gitdir).walk(store, snap.commit, derive, stopAt, model);
  if (!smallYoungGeneration) return walk((c) => reader.events(c));
  const young = new WalkHeap();
  return young.around(walk((c) => {
    young.start();
    return reader.events(c);
  }));
}

const WALK_CACHE_BYTES = 8 * 1024 * 1024;
/** Parsed files of each kind the walk keeps (a commit reads its model.yaml twice, once a side). */
const WALK_PARSED_PER_KIND = 1024;

/**
 * Keeps V8's young generation at its starting size while a walk derives events. V8 doubles it
 * (up to 2 × 16 MB) each time as many bytes have survived its collections as it holds, which a
 * walk of thousands of commits always reaches, though what it keeps alive at once is small:
 * that was 32 MB of a first `history`'s peak (145 MB at 2,000 commits, 105 with this). The
 * growth factor is read at each growth, so it is set to 1 for the walk and back to V8's default
 * (2) after (before bin/modelreg.js may write its code cache, which V8 ties to the flags); not
 * when node was started with a growth factor or semi-space size of its own. A process-wide
 * setting, so only for a process that runs the walk alone (the CLI's `history`, HistoryInput
 * `smallYoungGeneration`): `serve` keeps its own (server/heap.ts), which putting back V8's
 * default would undo. Costs about 5-10 % more CPU in the walk's collections. Only a walk that
 * derives: one that reads the index allocates little.
 *
 * The old generation too: V8 lets it grow to up to four times what survived the last full
 * collection before the next one, and the Buffers that die meanwhile keep their memory (outside
 * the heap) until that collection finds them. `--heap-growing-percent` (read at each full
 * collection) bounds the growth to three times what is alive. A first walk of 110,000 commits
 * over 10,000 models (about 7 MB alive with the walk's bounded parse cache; 17 MB before it, with
 * 57 MB reached and the allocator's heap at 60 MB) peaked at 165 MB without the bound and 151 MB
 * with it, at 81.3 and 82.5 s of user CPU (80.2 s before both changes, 190 MB). A bound of 1.5
 * times peaked at 134 MB but took 91 s: V8 marks the heap twice as often.
 */
const HEAP_GROWING_PERCENT = 200;

/** The walk's V8 heap settings (above), set at the first commit derived and put back after the walk. */
class WalkHeap {
  private on = false;
  /** Called for each commit derived: from the first (V8 grows the young generation within the first few hundred). */
  start(): void {
    if (this.on || OWN_GC_FLAGS) return;
    this.on = true;
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }

  async *around<T>(walk: AsyncGenerator<T>): AsyncGenerator<T> {
    try {
      yield* walk;
    } finally {
      if (this.on) {
        setFlagsFromString('--semi-space-growth-factor=2');
        setFlagsFromString('--heap-growing-percent=0');
      }
      this.on = false;
    }
  }
}

const OWN_GC_FLAGS = /--(max-)?semi[-_]space|--semi[-_]space[-_]growth|--heap[-_]growing/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);

function entryOf(c: IndexedCommit, events: RegistryEvent[]): HistoryEntry {
  const msg = parseCommitMessage(c.msg);
  const reverts = /This reverts commit ([0-9a-f]{40})/.exec(c.msg)?.[1];
  const action = trailerValue(msg, 'Modelreg-Action');
  return {
    commit: c.c, author: c.ae, authorName: c.an,
    time: new Date(c.at * 1000).toISOString(), subject: msg.subject,
    ...(action ? { action } : {}),
    ...(reverts ? { reverts } : {}),
    events: events.map((e) => ({ ...e, description: describeEvent(e) })),
  };
}

/**
 * The history as a stream of entries, newest first.
 * @example for await (const e of historyStream(ctx, { model: 'churn', limit: 20 })) console.log(e.subject)
 */
export async function* historyStream(ctx: Context, input: HistoryInput = {}): AsyncGenerator<HistoryEntry> {
  const store = ctx.store();
  const head = await ctx.snapshotAt(input.ref, store);
  let stopCommit: string | undefined;
  let stopDate: Date | undefined;
  if (input.since) {
    stopDate = parseDateArg(input.since);
    if (!stopDate) stopCommit = await resolveCommitish(store, input.since);
  }
  const key = input.model === undefined ? undefined : modelKey(input.model);
  let n = 0;
  // A date bound needs every commit's time (the walk stops at the first older one), so it reads them all.
  for await (const c of indexedHistory(head, stopCommit, stopDate ? undefined : input.model, input.smallYoungGeneration)) {
    if (stopDate && c.ct * 1000 < stopDate.getTime()) break;
    const events = key === undefined ? c.events : c.events.filter((e) => 'model' in e && modelKey(e.model) === key);
    if (!events.length) continue;
    yield entryOf(c, events);
    if (input.limit && ++n >= input.limit) break;
  }
}

/** The history as a list (for a bounded `limit`, or a short history; `historyStream` for any depth). */
export async function history(ctx: Context, input: HistoryInput = {}): Promise<{ entries: HistoryEntry[] }> {
  const entries: HistoryEntry[] = [];
  for await (const e of historyStream(ctx, input)) entries.push(e);
  return { entries };
}
