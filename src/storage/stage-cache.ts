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
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonDir } from './worktree.js';

const FORMAT = 'modelreg-stages';
const VERSION = 1;

export class StageCache {
  private constructor(private readonly dir: string) {}

  static open(gitdir: string): StageCache {
    return new StageCache(join(commonDir(gitdir), 'modelreg', 'cache', `stages-v${VERSION}`));
  }

  /** version → stage of the model folder `tree`, or undefined when not stored (or not trusted). */
  get(tree: string): Record<string, string> | undefined {
    try {
      const data = JSON.parse(readFileSync(join(this.dir, `${tree}.json`), 'utf8')) as { format?: string; version?: number; tree?: string; stages?: unknown };
      if (data.format !== FORMAT || data.version !== VERSION || data.tree !== tree || !data.stages || typeof data.stages !== 'object') return undefined;
      const stages = data.stages as Record<string, unknown>;
      for (const v of Object.values(stages)) if (typeof v !== 'string') return undefined;
      return stages as Record<string, string>;
    } catch {
      return undefined;
    }
  }

  set(tree: string, stages: Record<string, string>): void {
    const file = join(this.dir, `${tree}.json`);
    const tmp = join(this.dir, `.${tree}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, version: VERSION, tree, stages }));
      renameSync(tmp, file);
    } catch {
      try { unlinkSync(tmp); } catch { /* a cache that cannot be written is only slower */ }
    }
  }
}
