/**
 * The event index: each commit's derived events, stored once, under `.git/modelreg/events-v3/`.
 *
 * A commit's events (what changed between it and its first parent) never change, so an entry is
 * never stale. Entries are kept in segments: `<commit>.ndjson` holds the events of that commit
 * and of its first-parent ancestors, newest first, up to SEGMENT_MAX commits, and names the
 * commit that continues the walk (`next`, whose own segment may or may not exist yet). A walk
 * from a branch tip reads the segment of each commit it reaches, and derives (and then stores)
 * the commits no segment covers, so the work after a new commit is that one commit.
 *
 * A segment's first line (its header) also lists the models its events name (`models`, by
 * modelKey), so `history MODEL` skips a segment that does not name the model after reading only
 * that line: in a registry of 10,000 models, most segments of 2,000 commits do not. A segment
 * written before the list existed has none and is read whole.
 *
 * Safe to delete at any time. A segment that does not parse, or whose commits do not chain, is
 * ignored and written again. Writers write a temporary file and rename it into place, so two
 * processes indexing the same commits at once both leave a whole file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import type { CommitInfo, ObjectStore } from './objects.js';
import { commonDir } from './worktree.js';

export const EVENT_INDEX_FORMAT = 'modelreg-events';
// 2: commits also carry the events of deployments/ (an index written before would lack them).
// 3: analysis files (analysis/) give `analysis` events.
export const EVENT_INDEX_VERSION = 3;
/** Commits per segment: a segment is read whole (about 300 bytes a commit). */
const SEGMENT_MAX = 2000;
/** A new segment whose successor holds fewer commits than this takes them in (fewer, larger files). */
const MERGE_BELOW = 256;

/** One commit as the index keeps it. */
export interface IndexedCommit {
  /** commit id */
  c: string;
  /** first parent (absent for a root commit) */
  p?: string;
  /** author email, name, time (seconds); committer time (seconds) */
  ae: string;
  an: string;
  at: number;
  ct: number;
  /** the whole commit message */
  msg: string;
  events: RegistryEvent[];
}

interface Segment {
  records: IndexedCommit[];
  next?: string;
}

interface SegmentHeader {
  format?: string;
  version?: number;
  head?: string;
  next?: string | null;
  count?: number;
  models?: string[];
}

/** Bytes read for a header first: a header names at most SEGMENT_MAX commits' models. */
const HEADER_READ = 64 * 1024;

const OID = /^[0-9a-f]{40}$/;

function validRecord(r: unknown): r is IndexedCommit {
  const x = r as IndexedCommit;
  return !!x && typeof x.c === 'string' && OID.test(x.c) && (x.p === undefined || (typeof x.p === 'string' && OID.test(x.p)))
    && typeof x.ae === 'string' && typeof x.an === 'string' && Number.isFinite(x.at) && Number.isFinite(x.ct) && typeof x.msg === 'string'
    && Array.isArray(x.events) && x.events.every((e) => !!e && typeof e === 'object' && typeof (e as { type?: unknown }).type === 'string');
}

export class EventIndex {
  private segmentHeads?: Set<string>;
  private headerBuf?: Buffer;
  private constructor(readonly dir: string) {}

  /** The index of the repository whose gitdir is `gitdir` (shared by its worktrees). */
  static open(gitdir: string): EventIndex {
    return new EventIndex(join(commonDir(gitdir), 'modelreg', `events-v${EVENT_INDEX_VERSION}`));
  }

  private has(commit: string): boolean {
    if (!this.segmentHeads) {
      try {
        this.segmentHeads = new Set(readdirSync(this.dir).filter((n) => n.endsWith('.ndjson')).map((n) => n.slice(0, -7)));
      } catch {
        this.segmentHeads = new Set();
      }
    }
    return this.segmentHeads.has(commit);
  }

  /** The segment that starts at `commit`, or undefined when there is none or it cannot be trusted. */
  private read(commit: string): Segment | undefined {
    if (!this.has(commit)) return undefined;
    let text: string;
    try {
      text = readFileSync(join(this.dir, `${commit}.ndjson`), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const lines = text.split('\n');
      const head = JSON.parse(lines[0]) as { format?: string; version?: number; head?: string; next?: string | null; count?: number };
      if (head.format !== EVENT_INDEX_FORMAT || head.version !== EVENT_INDEX_VERSION || head.head !== commit || typeof head.count !== 'number') return undefined;
      const records: IndexedCommit[] = [];
      for (let i = 1; i <= head.count; i++) {
        const r = JSON.parse(lines[i]) as unknown;
        if (!validRecord(r)) return undefined;
        // The commits must chain along first parents, from `commit` to `next`.
        if (r.c !== (i === 1 ? commit : records[i - 2].p)) return undefined;
        records.push(r);
      }
      const next = head.next ?? undefined;
      if (!records.length || records[records.length - 1].p !== next) return undefined;
      return { records, ...(next ? { next } : {}) };
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the segment at `commit` names model `key`, from its header alone, and where it leads:
   * undefined when there is no such segment, it is not this version's, or its header lists no
   * models (written before the list existed). The list is searched as text, not parsed: a header
   * of a segment over 10,000 models holds about 2,000 names.
   */
  private namesModel(commit: string, key: string): { named: boolean; next?: string } | undefined {
    if (!this.has(commit)) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(join(this.dir, `${commit}.ndjson`), 'r');
      let buf = (this.headerBuf ??= Buffer.allocUnsafe(HEADER_READ));
      const n = readSync(fd, buf, 0, buf.length, 0);
      let end = buf.subarray(0, n).indexOf(10);
      if (end < 0 && n === buf.length) {
        buf = readFileSync(join(this.dir, `${commit}.ndjson`));
        end = buf.indexOf(10);
      }
      if (end < 0) return undefined;
      // The writer puts `models` last: the fields before it parse on their own.
      const line = buf.toString('latin1', 0, end);
      const at = line.indexOf(',"models":[');
      if (at < 0 || !line.endsWith(']}')) return undefined;
      const head = JSON.parse(`${line.slice(0, at)}}`) as SegmentHeader;
      if (head.format !== EVENT_INDEX_FORMAT || head.version !== EVENT_INDEX_VERSION || head.head !== commit || typeof head.count !== 'number') return undefined;
      if (head.next !== null && (typeof head.next !== 'string' || !OID.test(head.next))) return undefined;
      const list = line.slice(at + 10, -1);
      const needle = JSON.stringify(key);
      const named = list.startsWith(`[${needle}`) ? list[needle.length + 1] === ',' || list[needle.length + 1] === ']' : list.includes(`,${needle},`) || list.endsWith(`,${needle}]`);
      return { named, ...(head.next ? { next: head.next } : {}) };
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) try { closeSync(fd); } catch { /* closed */ }
    }
  }

  /**
   * The commits of the segment at `commit` whose line matches `mention`, parsed and checked; the
   * others are not parsed, but their commit ids (which JSON.stringify writes first, at fixed
   * places) must still chain along first parents, as read() requires. What `history MODEL`
   * reads: in a registry of many models most commits name other models, and parsing them was
   * most of the walk.
   */
  private readMentioning(commit: string, mention: RegExp): Segment | undefined {
    if (!this.has(commit)) return undefined;
    // Searched as Latin-1 (one byte a character, so offsets are byte offsets, and a copy instead
    // of a decoding); the lines that match are decoded as the UTF-8 they are.
    let bytes: Buffer;
    let text: string;
    try {
      bytes = readFileSync(join(this.dir, `${commit}.ndjson`));
      text = bytes.toString('latin1');
    } catch {
      return undefined;
    }
    try {
      let at = text.indexOf('\n');
      const head = JSON.parse(text.slice(0, at)) as { format?: string; version?: number; head?: string; next?: string | null; count?: number };
      if (head.format !== EVENT_INDEX_FORMAT || head.version !== EVENT_INDEX_VERSION || head.head !== commit || typeof head.count !== 'number') return undefined;
      const re = new RegExp(mention.source, mention.flags.includes('g') ? mention.flags : `${mention.flags}g`);
      re.lastIndex = at + 1;
      let match = re.exec(text);
      const records: IndexedCommit[] = [];
      let want: string | undefined = commit;
      for (let i = 0; i < head.count; i++) {
        const start = at + 1;
        at = text.indexOf('\n', start);
        if (at < 0 || !want || !text.startsWith(`{"c":"${want}"`, start)) return undefined;
        want = text.startsWith(',"p":"', start + 47) ? text.slice(start + 53, start + 93) : undefined;
        if (match && match.index < at) {
          const r = JSON.parse(bytes.toString('utf8', start, at)) as unknown;
          if (!validRecord(r) || r.p !== want) return undefined;
          records.push(r);
          re.lastIndex = at + 1;
          match = re.exec(text);
        }
      }
      const next = head.next ?? undefined;
      if (head.count < 1 || want !== next || (want !== undefined && !OID.test(want))) return undefined;
      return { records, ...(next ? { next } : {}) };
    } catch {
      return undefined;
    }
  }

  private write(records: IndexedCommit[]): void {
    if (!records.length) return;
    const head = records[0].c;
    const next = records[records.length - 1].p;
    const models = new Set<string>();
    for (const r of records) for (const e of r.events) if ('model' in e && typeof e.model === 'string') models.add(modelKey(e.model));
    const lines = [JSON.stringify({ format: EVENT_INDEX_FORMAT, version: EVENT_INDEX_VERSION, head, next: next ?? null, count: records.length, models: [...models].sort() })];
    for (const r of records) lines.push(JSON.stringify(r));
    const file = join(this.dir, `${head}.ndjson`);
    const tmp = join(this.dir, `.${head}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, `${lines.join('\n')}\n`);
      renameSync(tmp, file);
      this.segmentHeads?.add(head);
    } catch {
      try { unlinkSync(tmp); } catch { /* an index that cannot be written is only slower */ }
    }
  }

  /**
   * Stores `records` (newest first, chained along first parents); when the segment they lead to
   * is small, the two become one file and the small one is removed (a reader that listed it
   * meanwhile finds it gone and derives those commits again, which costs time, not answers).
   */
  private store(records: IndexedCommit[], successor?: Segment): void {
    const next = records[records.length - 1]?.p;
    if (successor && next && successor.records[0]?.c === next && successor.records.length < MERGE_BELOW && records.length + successor.records.length <= SEGMENT_MAX) {
      this.write([...records, ...successor.records]);
      try { unlinkSync(join(this.dir, `${next}.ndjson`)); this.segmentHeads?.delete(next); } catch { /* already gone */ }
      return;
    }
    this.write(records);
  }

  /**
   * Every commit on the first-parent history of `tip`, newest first, with its events, stopping
   * before `stopAt`. Commits no segment covers are derived with `derive` and stored, also when
   * the caller stops early. With `model`, a stored commit whose events do not name that model
   * may be left out (a commit derived now is always yielded).
   */
  async *walk(store: ObjectStore, tip: string | undefined, derive: (c: CommitInfo) => Promise<RegistryEvent[]>, stopAt?: string, model?: string): AsyncGenerator<IndexedCommit> {
    let cur = tip;
    let pending: IndexedCommit[] = [];
    const key = model === undefined ? undefined : modelKey(model);
    const mention = key === undefined ? undefined : mentionOf(key);
    try {
      while (cur && cur !== stopAt) {
        // With `model` (and no stop inside a segment to look for), a segment whose header says it
        // names other models only is skipped, and in the others the lines that do not name the
        // model are not parsed: the caller wants only the commits that name it.
        if (key !== undefined && !stopAt) {
          const head = this.namesModel(cur, key);
          if (head && !head.named) {
            if (pending.length) { this.store(pending); pending = []; }
            cur = head.next;
            continue;
          }
        }
        const seg = mention && !stopAt ? this.readMentioning(cur, mention) : this.read(cur);
        if (seg) {
          if (pending.length) { this.store(pending, seg); pending = []; }
          for (const r of seg.records) {
            if (r.c === stopAt) return;
            yield r;
          }
          cur = seg.next;
          continue;
        }
        const c = await store.readCommit(cur);
        const rec = await indexedCommit(c, derive);
        pending.push(rec);
        if (pending.length >= SEGMENT_MAX) { this.write(pending); pending = []; }
        yield rec;
        cur = c.parents[0];
      }
    } finally {
      if (pending.length) this.store(pending, cur && this.has(cur) ? this.read(cur) : undefined);
    }
  }

  /**
   * Each commit on the first-parent history of `tip` with its committer time, newest first:
   * from the segments where they exist (no commit object read), else from the commits (nothing
   * derived or stored). What `--at DATE` needs to find its commit.
   */
  async *times(store: ObjectStore, tip: string | undefined): AsyncGenerator<{ c: string; ct: number }> {
    let cur = tip;
    while (cur) {
      const seg = this.read(cur);
      if (seg) {
        for (const r of seg.records) yield { c: r.c, ct: r.ct };
        cur = seg.next;
        continue;
      }
      const c = await store.readCommit(cur);
      yield { c: c.oid, ct: c.committer.timestamp };
      cur = c.parents[0];
    }
  }

  /** The events of one commit (from its segment, else derived and stored). */
  async commit(store: ObjectStore, oid: string, derive: (c: CommitInfo) => Promise<RegistryEvent[]>): Promise<IndexedCommit> {
    const seg = this.read(oid);
    if (seg) return seg.records[0];
    const rec = await indexedCommit(await store.readCommit(oid), derive);
    this.write([rec]);
    return rec;
  }
}

async function indexedCommit(c: CommitInfo, derive: (c: CommitInfo) => Promise<RegistryEvent[]>): Promise<IndexedCommit> {
  return {
    c: c.oid, ...(c.parents[0] ? { p: c.parents[0] } : {}),
    ae: c.author.email, an: c.author.name, at: c.author.timestamp, ct: c.committer.timestamp, msg: c.message,
    events: await derive(c),
  };
}

/**
 * What an index line of a commit with an event of model `key` holds: `"model":"<name>"` in any
 * case (names that differ by case are one model).
 */
function mentionOf(key: string): RegExp {
  return new RegExp(`"model":${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'gi');
}
