/**
 * Every version's stage of one model folder, by the folder's tree id, under
 * `.git/modelreg/cache/stages-v1/<tree>.json`: what `resolve models:/M/Production` and a move
 * into an exclusive stage need of a model of 10,000 versions, without reading its 10,000 files.
 *
 * A tree id names the folder's content, so an entry is never stale. A missing entry is derived
 * from the entry of the same folder at the parent commit, when there is one, by reading only the
 * version files that differ (a commit changes one or two); else from a line scan of every file.
 * A corrupt entry is ignored and rewritten; files are written to a temporary name and renamed;
 * the folder is safe to delete.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonDir } from './worktree.js';

const VERSION = 1;

/**
 * One fact of every version of a model folder, by the folder's tree id: `stages-v1/` (version →
 * stage) and `numbers-v1/` (version → MLflow integer number, for the numbered versions: what
 * `register` needs for the next number).
 */
export class FolderCache<T extends string | number> {
  private constructor(private readonly dir: string, private readonly format: string, private readonly valueType: 'string' | 'number') {}

  static open(gitdir: string): FolderCache<string> {
    return new FolderCache<string>(join(commonDir(gitdir), 'modelreg', 'cache', `stages-v${VERSION}`), 'modelreg-stages', 'string');
  }

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
    let removed = 0;
    let names: string[] = [];
    try { names = readdirSync(this.dir); } catch { return 0; }
    for (const n of names) {
      const tree = /^([0-9a-f]{40})\.json$/.exec(n)?.[1];
      if (tree && keep.has(tree)) continue;
      try { unlinkSync(join(this.dir, n)); removed++; } catch { /* gone */ }
    }
    return removed;
  }

  set(tree: string, values: Record<string, T>): void {
    const file = join(this.dir, `${tree}.json`);
    const tmp = join(this.dir, `.${tree}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify({ format: this.format, version: VERSION, tree, stages: values }));
      renameSync(tmp, file);
    } catch {
      try { unlinkSync(tmp); } catch { /* a cache that cannot be written is only slower */ }
    }
  }
}

/** The stage cache (the name callers know it by). */
export const StageCache = { open: (gitdir: string) => FolderCache.open(gitdir) };
export type StageCache = FolderCache<string>;
