/**
 * Parsed model folders persisted by tree id under `.git/modelreg/cache/models-v1/`: a point read
 * (`resolve`, `show`) of a folder read before costs one small JSON file, with no YAML parsing or
 * schema validation. A tree id names the folder's exact content, so an entry can never be stale;
 * entries were validated when written, and a corrupt or foreign-format file is ignored (and
 * rewritten). The folder is safe to delete at any time; `modelreg doctor` prunes it.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { commonDir } from './worktree.js';
import type { ModelVersion, RegisteredModel } from '../domain/state.js';
import { writeCacheFile } from './cache-file.js';

export const MODEL_CACHE_DIR = 'models-v1';
export type ParsedKind = 'config' | 'policy';
const FORMAT = 'modelreg-model-state';

export interface CachedModel {
  record: RegisteredModel;
  blob?: string;
  versions: Array<{ record: ModelVersion; name: string; blob?: string }>;
}

function valid(x: unknown): x is CachedModel & { format: string } {
  const c = x as CachedModel & { format?: string };
  return !!c && c.format === FORMAT && !!c.record && typeof c.record === 'object' && typeof c.record.name === 'string'
    && Array.isArray(c.versions) && c.versions.every((v) => v && typeof v.name === 'string' && v.record && typeof v.record.version === 'string' && typeof v.record.stage === 'string');
}

export class ModelCache {
  readonly dir: string;
  constructor(gitdir: string) {
    this.dir = join(commonDir(gitdir), 'modelreg', 'cache', MODEL_CACHE_DIR);
  }

  private file(tree: string): string {
    return join(this.dir, tree.slice(0, 2), `${tree.slice(2)}.json`);
  }

  get(tree: string): CachedModel | undefined {
    if (!/^[0-9a-f]{40}$/.test(tree)) return undefined;
    try {
      const data = JSON.parse(readFileSync(this.file(tree), 'utf8'));
      return valid(data) ? data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A value derived from one file, by the file's blob id: modelreg.yaml's parsed record
   * ('config', every command reads it) and a policy that loaded without error ('policy', every
   * write loads one; parsing it needs the full YAML library).
   */
  getParsed(kind: ParsedKind, blob: string): unknown {
    if (!/^[0-9a-f]{40}$/.test(blob)) return undefined;
    try {
      const data = JSON.parse(readFileSync(join(this.dir, kind, `${blob}.json`), 'utf8')) as { format?: string; value?: unknown };
      return data.format === `${FORMAT}:${kind}` && data.value && typeof data.value === 'object' ? data.value : undefined;
    } catch {
      return undefined;
    }
  }

  setParsed(kind: ParsedKind, blob: string, value: unknown): void {
    this.write(join(this.dir, kind, `${blob}.json`), { format: `${FORMAT}:${kind}`, value });
  }

  set(tree: string, value: CachedModel): void {
    this.write(this.file(tree), { format: FORMAT, ...value });
  }

  /** Removes cached model states whose tree is not in `keep`; returns how many. */
  prune(keep: Set<string>): number {
    let removed = 0;
    let dirs: string[] = [];
    try { dirs = readdirSync(this.dir); } catch { return 0; }
    for (const d of dirs) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of readdirSync(join(this.dir, d))) {
        if (!keep.has(d + f.replace(/\.json$/, ''))) {
          try { unlinkSync(join(this.dir, d, f)); removed++; } catch { /* gone */ }
        }
      }
    }
    return removed;
  }

  private write(file: string, data: unknown): void {
    writeCacheFile(file, JSON.stringify(data));
  }
}
