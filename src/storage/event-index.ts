/**
 * The event index: each commit's derived events, stored once, under `.git/modelreg/events-v4/`.
 *
 * A commit's events (what changed between it and its first parent) never change, so an entry is
 * never stale. Entries are kept in segments: `<commit>.ndjson` holds the events of that commit
 * and of its first-parent ancestors, newest first, up to SEGMENT_MAX commits, and names the
 * commit that continues the walk (`next`, whose own segment may or may not exist yet). A walk
 * from a branch tip reads the segment of each commit it reaches, and derives (and then stores)
 * the commits no segment covers, so the work after a new commit is that one commit.
 *
 * A segment's first line (its header) also says where each model's lines are: `models` maps a
 * modelKey to the [offset, length] pairs of the lines whose events name it (offsets in bytes
 * from the end of the header line), and `bytes` is the length of what follows the header. So
 * `history MODEL` skips a segment that does not name the model after reading only that line,
 * and of one that does it reads and parses only the model's lines: in a registry of 10,000
 * models a segment of 2,000 commits (750 kB) names a model in one or two of them.
 *
 * Safe to delete at any time. A segment that does not parse, whose commits do not chain, whose
 * length is not the one its header gives, or whose line table does not point at lines that name
 * the model is ignored and written again. Writers write a temporary file and rename it into
 * place, so two processes indexing the same commits at once both leave a whole file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { RegistryEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import type { CommitInfo, ObjectStore } from './objects.js';
import { commonDir } from './worktree.js';

export const EVENT_INDEX_FORMAT = 'modelreg-events';
// 2: commits also carry the events of deployments/ (an index written before would lack them).
// 3: analysis files (analysis/) give `analysis` events.
// 4: the header maps each model to its lines (`models`) and gives the body's length (`bytes`).
export const EVENT_INDEX_VERSION = 4;
/** Commits per segment: a full walk reads a segment whole (about 400 bytes a commit). */
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

/** A header's fields before `models` (which the writer puts last). */
interface SegmentHeader {
  format?: string;
  version?: number;
  head?: string;
  next?: string | null;
  count?: number;
  bytes?: number;
}

/** A segment's header as `history MODEL` reads it: the fields, where the body starts, and the model's [offset, length] pairs (undefined: the segment does not name it). */
interface ModelHeader {
  head: SegmentHeader & { count: number; bytes: number };
  bodyStart: number;
  lines?: number[];
}

/** Bytes read for a header first: a header of 2,000 commits over as many models is about 45 kB. */
const HEADER_READ = 64 * 1024;
/** Lines of a model closer than this are read in one read (the bytes between are skipped). */
const READ_GAP = 16 * 1024;

const OID = /^[0-9a-f]{40}$/;
const MODELS_TAG = Buffer.from(',"models":{', 'latin1');
const NL = 10;

function validRecord(r: unknown): r is IndexedCommit {
  const x = r as IndexedCommit;
  return !!x && typeof x.c === 'string' && OID.test(x.c) && (x.p === undefined || (typeof x.p === 'string' && OID.test(x.p)))
    && typeof x.ae === 'string' && typeof x.an === 'string' && Number.isFinite(x.at) && Number.isFinite(x.ct) && typeof x.msg === 'string'
    && Array.isArray(x.events) && x.events.every((e) => !!e && typeof e === 'object' && typeof (e as { type?: unknown }).type === 'string');
}

/** The header fields every reader checks: this format and version, the segment's own commit, a count, a length, a `next` that is a commit id or null. */
function validHeader(h: SegmentHeader, commit: string): h is SegmentHeader & { count: number; bytes: number } {
  return h.format === EVENT_INDEX_FORMAT && h.version === EVENT_INDEX_VERSION && h.head === commit
    && Number.isInteger(h.count) && h.count! >= 1 && Number.isInteger(h.bytes) && h.bytes! > 0
    && (h.next === null || (typeof h.next === 'string' && OID.test(h.next)));
}

/** The modelKeys an indexed commit's events name, each once. */
function modelsOf(r: IndexedCommit): Set<string> {
  const out = new Set<string>();
  for (const e of r.events) if ('model' in e && typeof e.model === 'string') out.add(modelKey(e.model));
  return out;
}

const ENTRY_SEP = Buffer.from('],"', 'latin1');

/**
 * Where the entry of `key` (quoted as JSON.stringify quotes it) starts in a header's `models`
 * table, whose first entry starts at `lo` and which `table` ends with its closing brace; -1
 * when it has none. A binary search over the bytes (the writer sorts the keys, and a key's
 * closing quote sorts before any character a name may hold, as the key's end does): a header
 * of 2,000 models is 45 kB, and a search of it for the key took most of the time of reading it.
 */
function findEntry(table: Buffer, lo: number, key: Buffer): number {
  let hi = table.length - 1;
  while (lo < hi) {
    // The first entry that starts at or after the middle, else the one at `lo`.
    const mid = (lo + hi) >>> 1;
    let s = lo;
    if (mid > lo) {
      const at = table.indexOf(ENTRY_SEP, mid - 2);
      if (at >= 0 && at + 2 < hi) s = at + 2;
    }
    const c = key.compare(table, s, Math.min(s + key.length, hi));
    if (c === 0) return s;
    if (c < 0) hi = s;
    else {
      const at = table.indexOf(ENTRY_SEP, s);
      lo = at < 0 || at + 2 >= hi ? hi : at + 2;
    }
  }
  return -1;
}

/** The non-negative integers of a JSON array of numbers starting at `at` (just after `[`), or undefined when it is not one. */
function numbersAt(buf: Buffer, at: number, end: number): number[] | undefined {
  const out: number[] = [];
  let n = -1;
  for (let i = at; i < end; i++) {
    const b = buf[i];
    if (b >= 0x30 && b <= 0x39) {
      n = n < 0 ? b - 0x30 : n * 10 + (b - 0x30);
      if (n > Number.MAX_SAFE_INTEGER / 10) return undefined;
    } else if (b === 0x2c || b === 0x5d) {
      if (n < 0) return undefined;
      out.push(n);
      n = -1;
      if (b === 0x5d) return out;
    } else return undefined;
  }
  return undefined;
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

  /** (Joined by hand: path.join normalises the whole path, and a walk of 100,000 commits opens 56 files: 5 ms.) */
  private file(commit: string): string {
    return `${this.dir}${sep}${commit}.ndjson`;
  }

  /** The segment that starts at `commit`, whole, or undefined when there is none or it cannot be trusted. */
  private read(commit: string): Segment | undefined {
    if (!this.has(commit)) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file(commit));
    } catch {
      return undefined;
    }
    try {
      const end = bytes.indexOf(NL);
      if (end < 0) return undefined;
      const head = JSON.parse(bytes.toString('utf8', 0, end)) as SegmentHeader;
      if (!validHeader(head, commit) || bytes.length !== end + 1 + head.bytes) return undefined;
      const lines = bytes.toString('utf8', end + 1).split('\n');
      if (lines.length !== head.count + 1 || lines[head.count] !== '') return undefined;
      const records: IndexedCommit[] = [];
      for (let i = 0; i < head.count; i++) {
        const r = JSON.parse(lines[i]) as unknown;
        if (!validRecord(r)) return undefined;
        // The commits must chain along first parents, from `commit` to `next`.
        if (r.c !== (i === 0 ? commit : records[i - 1].p)) return undefined;
        records.push(r);
      }
      const next = head.next ?? undefined;
      if (records[records.length - 1].p !== next) return undefined;
      return { records, ...(next ? { next } : {}) };
    } catch {
      return undefined;
    }
  }

  /**
   * The header of the segment at `commit`, checked, read from its first bytes, with the
   * [offset, length] pairs of model `key`'s lines (none when the segment does not name it);
   * undefined when there is no such segment or its header cannot be trusted. `models` is
   * searched as bytes for the key, not parsed: a header of 2,000 commits names about as many
   * models. `fd` is the open file, which the caller closes.
   */
  private modelHeader(fd: number, commit: string, key: string): ModelHeader | undefined {
    let buf = (this.headerBuf ??= Buffer.allocUnsafe(HEADER_READ));
    let n = readSync(fd, buf, 0, buf.length, 0);
    let end = buf.subarray(0, n).indexOf(NL);
    // A longer header: read again, four times as much each time.
    while (end < 0 && n === buf.length) {
      buf = Buffer.allocUnsafe(buf.length * 4);
      n = readSync(fd, buf, 0, buf.length, 0);
      end = buf.subarray(0, n).indexOf(NL);
    }
    if (end < 2 || buf[end - 1] !== 0x7d || buf[end - 2] !== 0x7d) return undefined;
    const at = buf.subarray(0, end).indexOf(MODELS_TAG);
    if (at < 0) return undefined;
    // The fields before `models` parse on their own.
    const head = JSON.parse(`${buf.toString('latin1', 0, at)}}`) as SegmentHeader;
    if (!validHeader(head, commit)) return undefined;
    const quoted = Buffer.from(JSON.stringify(key), 'utf8');
    const hit = findEntry(buf.subarray(0, end - 1), at + MODELS_TAG.length, quoted);
    if (hit < 0) return { head, bodyStart: end + 1 };
    if (buf[hit + quoted.length] !== 0x3a || buf[hit + quoted.length + 1] !== 0x5b) return undefined;
    const lines = numbersAt(buf, hit + quoted.length + 2, end);
    if (!lines || !lines.length || lines.length % 2) return undefined;
    return { head, bodyStart: end + 1, lines };
  }

  /**
   * The commits of the segment at `commit` whose events name model `key`, parsed and checked,
   * reading only their lines (see the file's comment): each must sit between two newlines, name
   * the model, and chain along first parents with the line before it when that one is read too
   * (and with the segment's `head` and `next` at its ends); the file must be as long as its
   * header says. Undefined when there is no such segment or it cannot be trusted.
   */
  private readModel(commit: string, key: string): Segment | undefined {
    if (!this.has(commit)) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(this.file(commit), 'r');
      const h = this.modelHeader(fd, commit, key);
      if (!h) return undefined;
      const next = h.head.next ?? undefined;
      const records: IndexedCommit[] = [];
      const lines = h.lines ?? [];
      if (lines.length && fstatSync(fd).size !== h.bodyStart + h.head.bytes) return undefined;
      let prevEnd = -1; // the body offset of the newline that ends the last line read
      for (let i = 0; i < lines.length;) {
        // One read for the lines up to the first gap of READ_GAP or more, from the newline before the first.
        let j = i + 2;
        while (j < lines.length && lines[j] - (lines[j - 2] + lines[j - 1]) <= READ_GAP) j += 2;
        const from = lines[i] - 1;
        const to = lines[j - 2] + lines[j - 1] + 1;
        if (from < prevEnd || to > h.head.bytes) return undefined;
        const chunk = this.readChunk(fd, h.bodyStart + from, to - from);
        if (!chunk) return undefined;
        for (; i < j; i += 2) {
          const start = lines[i] - from;
          const end = start + lines[i + 1];
          if (lines[i] <= prevEnd || lines[i + 1] < 2 || chunk[start - 1] !== NL || chunk[end] !== NL) return undefined;
          const r = JSON.parse(chunk.toString('utf8', start, end)) as unknown;
          if (!validRecord(r) || !modelsOf(r).has(key)) return undefined;
          if (lines[i] === 0 ? r.c !== commit : lines[i] === prevEnd + 1 && records[records.length - 1].p !== r.c) return undefined;
          if (lines[i] + lines[i + 1] + 1 === h.head.bytes && r.p !== next) return undefined;
          records.push(r);
          prevEnd = lines[i] + lines[i + 1];
        }
      }
      return { records, ...(next ? { next } : {}) };
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) try { closeSync(fd); } catch { /* closed */ }
    }
  }

  /** `len` bytes of the open file at `pos` (fewer: undefined); small reads reuse one buffer. */
  private readChunk(fd: number, pos: number, len: number): Buffer | undefined {
    const buf = len <= HEADER_READ ? (this.headerBuf ??= Buffer.allocUnsafe(HEADER_READ)).subarray(0, len) : Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = readSync(fd, buf, got, len - got, pos + got);
      if (r <= 0) return undefined;
      got += r;
    }
    return buf;
  }

  /** The number of commits in the segment at `commit` from its header, or undefined. */
  private count(commit: string): number | undefined {
    if (!this.has(commit)) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(this.file(commit), 'r');
      return this.modelHeader(fd, commit, '')?.head.count;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) try { closeSync(fd); } catch { /* closed */ }
    }
  }

  private write(records: IndexedCommit[]): void {
    if (!records.length) return;
    const head = records[0].c;
    const next = records[records.length - 1].p;
    const lines = records.map((r) => JSON.stringify(r));
    const models = new Map<string, number[]>();
    let offset = 0;
    for (let i = 0; i < records.length; i++) {
      const len = Buffer.byteLength(lines[i]);
      for (const key of modelsOf(records[i])) {
        const at = models.get(key);
        if (at) at.push(offset, len);
        else models.set(key, [offset, len]);
      }
      offset += len + 1;
    }
    // Written as text, not as an object: JSON.stringify would put a model named by digits first.
    const table = [...models.keys()].sort().map((k) => `${JSON.stringify(k)}:[${models.get(k)!.join(',')}]`).join(',');
    const header = `${JSON.stringify({ format: EVENT_INDEX_FORMAT, version: EVENT_INDEX_VERSION, head, next: next ?? null, count: records.length, bytes: offset }).slice(0, -1)},"models":{${table}}}`;
    const file = this.file(head);
    const tmp = join(this.dir, `.${head}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, `${header}\n${lines.join('\n')}\n`);
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
   * `successor`, when given, is that segment read whole; else it is read here when it is small.
   */
  private store(records: IndexedCommit[], successor?: Segment): void {
    const next = records[records.length - 1]?.p;
    if (!successor && next && (this.count(next) ?? MERGE_BELOW) < MERGE_BELOW) successor = this.read(next);
    if (successor && next && successor.records[0]?.c === next && successor.records.length < MERGE_BELOW && records.length + successor.records.length <= SEGMENT_MAX) {
      this.write([...records, ...successor.records]);
      try { unlinkSync(this.file(next)); this.segmentHeads?.delete(next); } catch { /* already gone */ }
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
    try {
      while (cur && cur !== stopAt) {
        // With `model` (and no stop inside a segment to look for), a segment is read through its
        // header's line table: one that does not name the model is skipped, and of one that
        // does only the lines that name it are read. The caller wants only those commits.
        let seg = key !== undefined && !stopAt ? this.readModel(cur, key) : undefined;
        const whole = !seg;
        if (whole) {
          seg = this.read(cur);
          // Whole but refused by model: its line table is damaged, so it is written again.
          if (seg && key !== undefined && !stopAt) this.write(seg.records);
        }
        if (seg) {
          if (pending.length) { this.store(pending, whole ? seg : undefined); pending = []; }
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
      if (pending.length) this.store(pending);
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
