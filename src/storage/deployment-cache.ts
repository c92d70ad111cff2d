/**
 * Parsed deployment files by blob id, in one file under `.git/modelreg/cache/` (what `list`
 * reads for its DEPLOYED column). Keyed by blob, not by the deployments tree: a new record
 * changes that tree, and the next listing then parses the one file that changed, not all of
 * them. A blob id names the file's content, so an entry is never stale; a corrupt or
 * foreign-format file is ignored and rebuilt; deleting it costs only the next listing.
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Deployment } from '../domain/deployments.js';
import { commonDir } from './worktree.js';

const FORMAT = 'modelreg-deployments';
const VERSION = 1;

function valid(d: unknown): d is Deployment {
  const x = d as Deployment;
  return !!x && typeof x.model === 'string' && typeof x.env === 'string' && typeof x.version === 'string' && typeof x.status === 'string' && typeof x.at === 'string' && typeof x.by === 'string';
}

export class DeploymentCache {
  private entries = new Map<string, Deployment>();
  private used = new Set<string>();
  private dirty = false;
  private constructor(private readonly file: string) {}

  static load(gitdir: string): DeploymentCache {
    const cache = new DeploymentCache(join(commonDir(gitdir), 'modelreg', 'cache', `deployments.v${VERSION}.json`));
    try {
      const data = JSON.parse(readFileSync(cache.file, 'utf8')) as { format?: string; version?: number; entries?: Record<string, unknown> };
      if (data.format === FORMAT && data.version === VERSION && data.entries && typeof data.entries === 'object') {
        for (const [blob, d] of Object.entries(data.entries)) if (/^[0-9a-f]{40}$/.test(blob) && valid(d)) cache.entries.set(blob, d);
      }
    } catch {
      /* missing or corrupt: start empty */
    }
    return cache;
  }

  get(blob: string): Deployment | undefined {
    const d = this.entries.get(blob);
    if (d) this.used.add(blob);
    return d;
  }

  set(blob: string, d: Deployment): void {
    this.entries.set(blob, d);
    this.used.add(blob);
    this.dirty = true;
  }

  /** Writes the entries this listing used (so the file follows the registry's current deployments). */
  save(): void {
    if (!this.dirty && this.used.size === this.entries.size) return;
    const entries: Record<string, Deployment> = {};
    for (const b of this.used) entries[b] = this.entries.get(b)!;
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, version: VERSION, entries }));
      renameSync(tmp, this.file);
    } catch {
      try { unlinkSync(tmp); } catch { /* a cache that cannot be written is only slower */ }
    }
  }
}
