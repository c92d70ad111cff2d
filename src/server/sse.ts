/**
 * `GET /api/v1/events`: the registry's event feed (ops/events.ts) as Server-Sent Events. Each
 * event is `id: <CloudEvents id>` and `data: <the CloudEvent as JSON>`, oldest first; the
 * stream then stays open and sends the events of each new commit the server serves. A client
 * resumes with `Last-Event-ID` (what EventSource sends on reconnect) or `?since=<commit>`.
 * Every stream works on its own: a client that does not read is dropped once its unsent bytes
 * pass a limit (it resumes with Last-Event-ID), so it never holds the others.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from '../errors/index.js';
import type { Context } from '../ops/context.js';
import { checkEventsInput, events, type EventsInput } from '../ops/events.js';
import { checkSince } from '../ops/served.js';

export interface EventStreamOptions {
  /** A comment line this often, so proxies and clients see the connection alive (default 15 s). */
  heartbeatMs?: number;
  /** A client with more unsent bytes than this is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
}

interface Stream {
  res: ServerResponse;
  /** Where the next catch-up starts (exclusive): the last commit sent, or at first the `since` asked for (a ref or a date). */
  last: string | undefined;
  /** Skip events of this commit up to this index (a Last-Event-ID inside a commit). */
  skip?: { commit: string; n: number };
  input: EventsInput;
  busy: Promise<void>;
  closed: boolean;
}

const ID = /^([0-9a-f]{40}):(\d+)$/;

/** The SSE frame of one event: `id:` and `data:` (the JSON has no newlines). */
export function sseFrame(id: string, data: object): string {
  return `id: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Open event streams; the server tells it when it serves a new commit, and closes it on shutdown. */
export class EventStreams {
  private readonly streams = new Set<Stream>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly ctx: Context, private readonly served: () => string | undefined, private readonly opts: EventStreamOptions = {}, private readonly log: (line: string) => void = () => undefined) {
    this.heartbeat = setInterval(() => { for (const s of this.streams) this.write(s, ': keep-alive\n\n'); }, opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number { return this.streams.size; }

  /** Answers `GET /api/v1/events?since=&type=&model=` with a stream. Throws BAD_INPUT / NOT_FOUND before anything is sent. */
  async open(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const lastId = req.headers['last-event-id'];
    const since = query.get('since') ?? undefined;
    const input: EventsInput = {
      ...(query.getAll('type').length ? { types: query.getAll('type') } : {}),
      ...(query.get('model') ? { model: query.get('model')! } : {}),
    };
    checkEventsInput(input);
    let start: string | undefined;
    let skip: Stream['skip'];
    if (typeof lastId === 'string' && lastId.trim()) {
      const m = ID.exec(lastId.trim());
      if (!m) throw new RegistryError('BAD_INPUT', `Last-Event-ID ${JSON.stringify(lastId)} is not an event id of this feed (<commit>:<n>); reconnect without it, or with ?since=<commit>.`, { lastEventId: lastId });
      // Resume inside that commit: from its parent, skipping what was sent.
      const c = await this.ctx.store().readCommit(m[1]).catch(() => undefined);
      if (!c) throw new RegistryError('NOT_FOUND', `Last-Event-ID names commit ${m[1]}, which this repository does not have; reconnect with ?since=<a commit it has>.`, { lastEventId: lastId });
      start = c.parents[0];
      skip = { commit: m[1], n: Number(m[2]) };
    } else if (since) {
      await checkSince(this.ctx, since);
      start = since;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no', 'X-Modelreg-Commit': this.served() ?? '' });
    res.write(': modelreg event feed\n\n');
    const s: Stream = { res, last: start, ...(skip ? { skip } : {}), input, busy: Promise.resolve(), closed: false };
    this.streams.add(s);
    const drop = () => { s.closed = true; this.streams.delete(s); };
    res.on('close', drop);
    req.on('close', drop);
    // Without a start, the whole feed is the backlog (as `modelreg events` without --since).
    this.catchUp(s, true);
  }

  /** The server serves a new commit: every stream sends what it has not sent yet. */
  advanced(): void {
    for (const s of this.streams) this.catchUp(s, false);
  }

  /** Ends every stream (shutdown): clients see the end and reconnect elsewhere with Last-Event-ID. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const s of this.streams) { s.closed = true; s.res.end(); }
    this.streams.clear();
  }

  private catchUp(s: Stream, first: boolean): void {
    s.busy = s.busy.then(async () => {
      const tip = this.served();
      if (s.closed || !tip || (!first && tip === s.last)) return;
      try {
        for await (const item of events(this.ctx, { ...s.input, ...(s.last ? { since: s.last } : {}), until: tip })) {
          if (s.closed) return;
          const m = ID.exec(item.event.id);
          if (s.skip && m && m[1] === s.skip.commit && Number(m[2]) <= s.skip.n) continue;
          if (!this.write(s, sseFrame(item.event.id, item.payload))) return;
        }
        s.skip = undefined;
        s.last = tip;
      } catch (e) {
        this.log(`modelreg serve: event stream: ${(e as Error).message}`);
        this.end(s);
      }
    });
  }

  /** Writes a frame; a client that lets too much pile up unread is dropped (false). */
  private write(s: Stream, text: string): boolean {
    if (s.closed) return false;
    if (s.res.writableLength > (this.opts.maxBufferedBytes ?? 1 << 20)) {
      this.log('modelreg serve: an event stream client is not reading; dropped (it resumes with Last-Event-ID)');
      this.end(s);
      return false;
    }
    s.res.write(text);
    return true;
  }

  private end(s: Stream): void {
    s.closed = true;
    this.streams.delete(s);
    s.res.destroy();
  }
}
