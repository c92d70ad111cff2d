/**
 * A persistent cache of model summaries keyed by the model folder's tree id, under
 * `.git/modelreg/cache/` (never in the working tree). A tree id names the folder's exact
 * content, so an entry is never stale; a corrupt or foreign-version file is ignored and
 * rebuilt. Deleting it at any time costs only the next read.
 */
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { commonDir } from './worktree.js';

export const CACHE_FORMAT = 'modelreg-summaries';
export const CACHE_VERSION = 1;

export interface CachedSummary {
  name: string;
  description?: string;
  owners: string[];
  policy: string;
  aliases: Record<string, string>;
  tags: Record<string, string>;
  /** version → stage, for every version of the model */
  stages: Record<string, string>;
}

function valid(e: unknown): e is CachedSummary {
  const s = e as CachedSummary;
  return !!s && typeof s.name === 'string' && Array.isArray(s.owners) && typeof s.policy === 'string' && !!s.aliases && typeof s.aliases === 'object' && !!s.stages && typeof s.stages === 'object' && !!s.tags && typeof s.tags === 'object';
}

export class SummaryCache {
  private entries = new Map<string, CachedSummary>();
  private used = new Set<string>();
  private dirty = false;
  private constructor(private readonly file: string) {}

  static async load(gitdir: string): Promise<SummaryCache> {
    const cache = new SummaryCache(join(commonDir(gitdir), 'modelreg', 'cache', `summaries.v${CACHE_VERSION}.json`));
    try {
      const data = JSON.parse(await readFile(cache.file, 'utf8')) as { format?: string; version?: number; entries?: Record<string, unknown> };
      if (data.format === CACHE_FORMAT && data.version === CACHE_VERSION && data.entries && typeof data.entries === 'object') {
        for (const [tree, e] of Object.entries(data.entries)) if (/^[0-9a-f]{40}$/.test(tree) && valid(e)) cache.entries.set(tree, e);
      }
    } catch {
      /* missing or corrupt: start empty */
    }
    return cache;
  }

  get(tree: string): CachedSummary | undefined {
    const e = this.entries.get(tree);
    if (e) this.used.add(tree);
    return e;
  }

  set(tree: string, summary: CachedSummary): void {
    this.entries.set(tree, summary);
    this.used.add(tree);
    this.dirty = true;
  }

  /** Writes the entries this run used (so the file tracks the registry's current size). */
  async save(): Promise<void> {
    if (!this.dirty && this.used.size === this.entries.size) return;
    const entries: Record<string, CachedSummary> = {};
    for (const t of this.used) entries[t] = this.entries.get(t)!;
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(join(this.file, '..'), { recursive: true });
      await writeFile(tmp, JSON.stringify({ format: CACHE_FORMAT, version: CACHE_VERSION, entries }));
      await rename(tmp, this.file);
    } catch {
      await unlink(tmp).catch(() => undefined); // a cache that cannot be written is only slower
    }
  }
}
