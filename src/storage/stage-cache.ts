/**
 * Facts of every version of one model folder, by the folder's tree id, under
 * `.git/modelreg/cache/`: `stages-v2/<tree>.jsonl`, every version's stage (what
 * `resolve models:/M/Production` and a move into an exclusive stage need of a model of 10,000
 * versions, without reading its 10,000 files), and `numbers-v1/<tree>.json`, every numbered
 * version's MLflow number (what `register` needs for the next number).
 *
 * A tree id names the folder's content, so an entry is never stale. A missing entry is derived
 * from the entry of the same folder at the parent commit, when there is one, by reading only the
 * version files that differ (a commit changes one or two); else from a line scan of every file.
 * A corrupt entry is ignored and rewritten; files are written to a temporary name and renamed;
 * the folders are safe to delete.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { commonDir } from './worktree.js';
import { writeCacheFile } from './cache-file.js';

const VERSION = 1;
const STAGES_VERSION = 2;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Removes the files of `dir` whose tree (by `pattern`) is not in `keep`, and any other file (a killed writer's temporary one); returns how many. */
function pruneByTree(dir: string, keep: Set<string>, pattern: RegExp): number {
  let removed = 0;
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return 0; }
  for (const n of names) {
    const tree = pattern.exec(n)?.[1];
    if (tree && keep.has(tree)) continue;
    try { unlinkSync(join(dir, n)); removed++; } catch { /* gone */ }
  }
  return removed;
}

/** version → MLflow integer number of a model folder's numbered versions, by the folder's tree id (`numbers-v1/`). */
export class FolderCache<T extends string | number> {
  private constructor(private readonly dir: string, private readonly format: string, private readonly valueType: 'string' | 'number') {}

  static numbers(gitdir: string): FolderCache<number> {
    return new FolderCache<number>(join(commonDir(gitdir), 'modelreg', 'cache', `numbers-v${VERSION}`), 'modelreg-numbers', 'number');
  }

  /** version → value of the model folder `tree`, or undefined when not stored (or not trusted). */
  get(tree: string): Record<string, T> | undefined {
    try {
      const data = JSON.parse(readFileSync(join(this.dir, `${tree}.json`), 'utf8')) as { format?: string; version?: number; tree?: string; stages?: unknown };
      if (data.format !== this.format || data.version !== VERSION || data.tree !== tree || !data.stages || typeof data.stages !== 'object') return undefined;
      const values = data.stages as Record<string, unknown>;
      for (const v of Object.values(values)) if (typeof v !== this.valueType) return undefined;
      return values as Record<string, T>;
    } catch {
      return undefined;
    }
  }

  /** Removes the entries of folder trees not in `keep` (and temporary files left by a killed writer); returns how many. */
  prune(keep: Set<string>): number {
    return pruneByTree(this.dir, keep, /^([0-9a-f]{40})\.json$/);
  }

  set(tree: string, values: Record<string, T>): void {
    writeCacheFile(join(this.dir, `${tree}.json`), JSON.stringify({ format: this.format, version: VERSION, tree, stages: values }));
  }
}

/**
 * Every version's stage of one model folder, grouped by stage. Most questions name one stage
 * (`resolve models:/M/Production`, the holder of an exclusive stage a move archives), and a
 * folder of 10,000 versions has a handful of stages: a stage's versions are decoded when asked
 * for, the whole version → stage map only when a caller needs it. Parsing a JSON object of
 * 10,000 keys took about 5 ms of a `resolve` by stage, a sort over its entries 3 ms more.
 */
export class StageTable {
  private record?: Record<string, string>;

  /** `groups`: stage → its versions, or the JSON line (`["Stage","1.0.0",...]`) not decoded yet. */
  private constructor(private readonly groups: Map<string, string[] | string>) {}

  static fromRecord(stages: Record<string, string>): StageTable {
    const groups = new Map<string, string[]>();
    for (const version in stages) {
      const stage = stages[version];
      const g = groups.get(stage);
      if (g) g.push(version); else groups.set(stage, [version]);
    }
    const t = new StageTable(groups);
    t.record = stages;
    return t;
  }

  /** From the lines after a stage file's header; undefined when a line is not a group. */
  static fromLines(lines: string[]): StageTable | undefined {
    const groups = new Map<string, string>();
    for (const line of lines) {
      if (!line) continue;
      // The stage's name without decoding the line (a stage name has no quote or backslash).
      const name = /^\["([^"\\]*)",?/.exec(line)?.[1];
      if (name === undefined || groups.has(name)) return undefined;
      groups.set(name, line);
    }
    return new StageTable(groups);
  }

  /** The stages that have versions. */
  stageNames(): string[] {
    return [...this.groups.keys()];
  }

  /** The versions in `stage` (its name matched ignoring case when `foldCase`), in no particular order. */
  versionsIn(stage: string, foldCase = false): string[] {
    const out: string[] = [];
    for (const name of this.groups.keys()) {
      if (name === stage || (foldCase && name.toLowerCase() === stage.toLowerCase())) out.push(...this.group(name));
    }
    return out;
  }

  /** version → stage of every version. */
  toRecord(): Record<string, string> {
    if (this.record) return this.record;
    const out: Record<string, string> = {};
    for (const name of this.groups.keys()) for (const v of this.group(name)) out[v] = name;
    return (this.record = out);
  }

  /** The file's lines: one JSON array per stage, its name then its versions. */
  toLines(): string[] {
    return [...this.groups.keys()].map((name) => {
      const g = this.groups.get(name)!;
      return typeof g === 'string' ? g : JSON.stringify([name, ...g]);
    });
  }

  private group(name: string): string[] {
    const g = this.groups.get(name)!;
    if (typeof g !== 'string') return g;
    const parsed = JSON.parse(g) as unknown[];
    const versions = parsed.slice(1);
    // The file's checksum matched (StageCache.get): a line that does not decode to its group is a bug.
    if (parsed[0] !== name || !versions.every((v): v is string => typeof v === 'string')) throw new Error(`stage cache: the line of stage ${name} does not hold that stage's versions`);
    this.groups.set(name, versions);
    return versions;
  }
}

/**
 * The stage cache: a model folder's StageTable by the folder's tree id under
 * `.git/modelreg/cache/stages-v2/<tree>.jsonl`: a header line, then one JSON array per stage.
 */
export class StageCache {
  private constructor(private readonly dir: string) {}

  static open(gitdir: string): StageCache {
    return new StageCache(join(commonDir(gitdir), 'modelreg', 'cache', `stages-v${STAGES_VERSION}`));
  }

  /**
   * The stages of the model folder `tree`, or undefined when not stored (or not trusted). The
   * header holds the SHA-1 of the lines after it, so a damaged file is refused here, whole,
   * though its lines are decoded only when their stage is asked for.
   */
  get(tree: string): StageTable | undefined {
    try {
      const text = readFileSync(join(this.dir, `${tree}.jsonl`), 'utf8');
      const nl = text.indexOf('\n');
      const header = JSON.parse(text.slice(0, nl)) as { format?: string; version?: number; tree?: string; sha1?: string };
      const body = text.slice(nl + 1);
      if (header.format !== 'modelreg-stages' || header.version !== STAGES_VERSION || header.tree !== tree || header.sha1 !== sha1(body)) return undefined;
      return StageTable.fromLines(body.split('\n'));
    } catch {
      return undefined;
    }
  }

  set(tree: string, table: StageTable): void {
    const body = table.toLines().map((l) => `${l}\n`).join('');
    writeCacheFile(join(this.dir, `${tree}.jsonl`), `${JSON.stringify({ format: 'modelreg-stages', version: STAGES_VERSION, tree, sha1: sha1(body) })}\n${body}`);
  }

  /** Removes the entries of folder trees not in `keep` (and temporary files left by a killed writer); returns how many. */
  prune(keep: Set<string>): number {
    return pruneByTree(this.dir, keep, /^([0-9a-f]{40})\.jsonl$/);
  }
}
