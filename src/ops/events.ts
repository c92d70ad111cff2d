/**
 * `events`: the registry's event feed, oldest first, from the first-parent commits of the
 * registry branch (hand edits included) — the same per-commit events `history` shows, read from
 * the event index (ops/history.ts `indexedHistory`), never derived a second way.
 */
import {
  aboutModel, commitFeed, FEED_FORMATS, formatEvent, typeMatcher,
  type Artifact, type CloudEvent, type FeedFormat,
} from '../domain/cloudevents.js';
import { RegistryError } from '../errors/index.js';
import type { IndexedCommit } from '../storage/event-index.js';
import { parseDateArg, resolveCommitish } from '../storage/history.js';
import { remoteUrl } from '../storage/remote.js';
import { rawEntryAt } from '../storage/tree-diff.js';
import type { ModelVersion } from '../domain/state.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';
import { indexedHistory } from './history.js';

export interface EventsInput {
  /** Start after this ref or date (exclusive). */
  since?: string;
  /** End at this ref (inclusive; default: the tip of the registry branch). */
  until?: string;
  model?: string;
  /** CloudEvents types, full or without `dev.modelreg.`; a trailing `*` matches any rest. */
  types?: string[];
  format?: FeedFormat;
}

export interface FeedItem {
  event: CloudEvent;
  /** The event in the requested format (the CloudEvent itself by default). */
  payload: object;
}

/** Checks the input once, at the edge. */
export function checkEventsInput(input: EventsInput): { matches: (type: string) => boolean; format: FeedFormat } {
  const format = input.format ?? 'cloudevents';
  if (!FEED_FORMATS.includes(format)) {
    throw new RegistryError('BAD_INPUT', `--format ${format} is not a feed format; use one of ${FEED_FORMATS.join(', ')}.`, { field: 'format', value: format });
  }
  const m = typeMatcher(input.types ?? []);
  if (m.unknown.length) {
    throw new RegistryError('BAD_INPUT', `--type ${m.unknown.join(', ')} matches no event type; see docs/events.md for the list (e.g. version.registered, version.*).`, { field: 'type', value: m.unknown });
  }
  return { matches: m.matches, format };
}

/**
 * Where the events come from (CloudEvents `source`): the `origin` remote's url without any
 * credentials in it, else the repository folder.
 */
export async function feedSource(ctx: Context): Promise<string> {
  try {
    const url = await remoteUrl(ctx.repo);
    try {
      const u = new URL(url);
      u.username = '';
      u.password = '';
      return u.toString();
    } catch {
      return url.replace(/^[^@/]*@(?=[^/]*:)/, ''); // scp-like user@host:path
    }
  } catch {
    return ctx.repo.dir ?? ctx.repo.gitdir;
  }
}

/**
 * The artifact of the versions a commit registers or moves, as that commit holds them: one
 * version file each, found by path in the raw trees (the event names the model's folder).
 */
async function artifacts(head: Snapshot, c: IndexedCommit): Promise<Map<string, Artifact>> {
  const wanted = c.events.filter((e) => e.type === 'register' || e.type === 'transition') as Array<{ model: string; version: string }>;
  const out = new Map<string, Artifact>();
  if (!wanted.length) return out;
  const tree = (await head.store.readCommit(c.c)).tree;
  const snap = head.at(c.c, tree);
  const dir = (await snap.config()).registry;
  for (const w of wanted) {
    const path = `${dir}/${w.model}/versions/${w.version}.yaml`;
    const e = rawEntryAt(head.store, tree, path);
    if (!e || e.isTree) continue;
    try {
      const v = await snap.record<ModelVersion>('version', path, { mode: e.mode, path: e.name, oid: e.oid, type: 'blob' }, undefined, false);
      if (v) out.set(`${w.model}\0${w.version}`, v.value.artifact);
    } catch {
      // a version file that does not parse carries no artifact (the file check reports it)
    }
  }
  return out;
}

async function* feedOf(ctx: Context, head: Snapshot, commits: IndexedCommit[], input: EventsInput, source: string): AsyncGenerator<FeedItem> {
  const { matches, format } = checkEventsInput(input);
  for (const c of commits) {
    const arts = await artifacts(head, c);
    const feed = commitFeed({ commit: c.c, time: c.ct, actor: c.ae, message: c.msg, events: c.events }, source, (m, v) => arts.get(`${m}\0${v}`));
    for (const event of feed) {
      if (input.model !== undefined && !aboutModel(event, input.model)) continue;
      if (!matches(event.type)) continue;
      const payload = formatEvent(event, format);
      if (payload) yield { event, payload };
    }
  }
}

/** The first-parent commits with events between `stopAt` (exclusive) and `head`, oldest first. */
async function commitsBetween(head: Snapshot, stopAt?: string, stopDate?: Date): Promise<IndexedCommit[]> {
  const list: IndexedCommit[] = [];
  for await (const c of indexedHistory(head, stopAt)) {
    if (stopDate && c.ct * 1000 <= stopDate.getTime()) break;
    if (c.events.length) list.push(c);
  }
  return list.reverse();
}

async function range(ctx: Context, input: EventsInput): Promise<{ head: Snapshot; commits: IndexedCommit[] }> {
  const store = ctx.store();
  const head = await ctx.snapshotAt(input.until, store);
  let stopAt: string | undefined;
  let stopDate: Date | undefined;
  if (input.since) {
    stopDate = parseDateArg(input.since);
    if (!stopDate) stopAt = await resolveCommitish(store, input.since);
  }
  return { head, commits: await commitsBetween(head, stopAt, stopDate) };
}

/**
 * The feed, oldest first.
 * @example for await (const { event } of events(ctx, { since: 'v1', types: ['version.*'] })) console.log(event.id)
 */
export async function* events(ctx: Context, input: EventsInput = {}): AsyncGenerator<FeedItem> {
  checkEventsInput(input);
  const { head, commits } = await range(ctx, input);
  yield* feedOf(ctx, head, commits, input, await feedSource(ctx));
}

export interface FollowOptions {
  /** How often the branch is read, in milliseconds. */
  intervalMs?: number;
  /** Stops following (the generator returns after the current poll). */
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The feed, then every new event as commits arrive on the registry branch (the branch is read
 * every `intervalMs`). When the branch is rewritten (a force push), the walk goes back to the
 * last commit already printed that is still on it, so nothing is printed twice.
 */
export async function* followEvents(ctx: Context, input: EventsInput = {}, opts: FollowOptions = {}): AsyncGenerator<FeedItem> {
  if (input.until) throw new RegistryError('BAD_INPUT', '--follow and --until do not go together: --follow prints events as they arrive, --until stops at a commit. Drop one of them.', { field: 'until' });
  checkEventsInput(input);
  const source = await feedSource(ctx);
  const first = await range(ctx, input);
  yield* feedOf(ctx, first.head, first.commits, input, source);
  const seen = new Set(first.commits.map((c) => c.c));
  let last = first.head.commit;
  while (!opts.signal?.aborted) {
    await sleep(opts.intervalMs ?? 1000, opts.signal);
    if (opts.signal?.aborted) return;
    const head = await ctx.snapshotAt(undefined, ctx.store());
    if (!head.commit || head.commit === last) continue;
    const commits = (await commitsBetween(head, last)).filter((c) => !seen.has(c.c));
    yield* feedOf(ctx, head, commits, input, source);
    for (const c of commits) seen.add(c.c);
    last = head.commit;
  }
}

/** One JSON line per event. */
export function eventLine(item: FeedItem): string {
  return `${JSON.stringify(item.payload)}\n`;
}
