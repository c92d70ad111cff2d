/**
 * A model's versions read on demand. A write to one version of a model with 10,000 versions
 * needs that version's file, the model file and the version names (the folder's tree entries),
 * not the other 9,999 files: a `VersionFolder` knows the names from the tree and reads a file
 * the first time its version is asked for. Iterating over its values reads every file (as a
 * whole-model read does), so hot paths ask by name.
 */
import type { VersionState } from '../domain/state.js';
import { compareVersions, highestReleaseBelow, highestVersion } from '../domain/versions.js';
import { summarize, type FolderSummary } from './folder-summary.js';

export class VersionFolder extends Map<string, VersionState> {
  private listed?: string[];
  private known?: Set<string>;

  /**
   * `names`: the versions in the folder's order, or a function that lists them (called only when
   * the names are asked for as a whole: `size`, `keys()`, iteration); `load(version)` reads one
   * (and throws INVALID_FILE when it is bad); `exists(version)`: whether the folder has that
   * version's file, without listing them all (a point read asks for one version of 10,000).
   */
  constructor(names: string[] | (() => string[]), private readonly load: (version: string) => VersionState | undefined, private readonly exists?: (version: string) => boolean, private readonly facts?: () => FolderSummary) {
    super();
    if (Array.isArray(names)) this.listed = names;
    else this.list = names;
  }

  private list?: () => string[];
  private summarized?: FolderSummary;

  /** The highest version and release of the folder (storage/folder-summary.ts), without listing the names when a summary is stored. */
  summary(): FolderSummary {
    this.summarized ??= this.facts ? this.facts() : summarize(this.names);
    return this.summarized;
  }

  private get names(): string[] {
    this.listed ??= this.list!();
    return this.listed;
  }

  override get(version: string): VersionState | undefined {
    if (!this.has(version)) return undefined;
    if (!super.has(version)) {
      const v = this.load(version);
      if (!v) return undefined;
      super.set(version, v);
    }
    return super.get(version);
  }

  override has(version: string): boolean {
    if (super.has(version)) return true;
    if (!this.listed && this.exists) return this.exists(version);
    this.known ??= new Set(this.names);
    return this.known.has(version);
  }

  override get size(): number {
    // A registration's next MLflow number asks; the folder's summary knows without a listing.
    return this.listed || !this.facts ? this.names.length : this.summary().count;
  }

  override keys(): MapIterator<string> {
    return this.names[Symbol.iterator]() as MapIterator<string>;
  }

  override *entries(): MapIterator<[string, VersionState]> {
    for (const n of this.names) {
      const v = this.get(n);
      if (v) yield [n, v];
    }
  }

  override *values(): MapIterator<VersionState> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[string, VersionState]> {
    return this.entries();
  }

  override forEach(fn: (value: VersionState, key: string, map: Map<string, VersionState>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  override set(): this {
    throw new Error('VersionFolder is read-only');
  }

  override delete(): boolean {
    throw new Error('VersionFolder is read-only');
  }
}

/** The highest of a model's versions and `also` (its deleted versions): from the folder's summary when it is read on demand. */
export function highestOf(versions: Map<string, VersionState>, also: readonly string[] = []): string | undefined {
  const top = versions instanceof VersionFolder ? versions.summary().highest : highestVersion(versions.keys());
  return highestVersion(top ? [top, ...also] : also);
}

/** The highest release of a model's versions below `limit`: the folder's highest release when that is below it (a new version usually is), else a pass over the names. */
export function releaseBelow(versions: Map<string, VersionState>, limit: string): string | undefined {
  if (versions instanceof VersionFolder) {
    const r = versions.summary().highestRelease;
    if (!r || compareVersions(r, limit) < 0) return r;
  }
  return highestReleaseBelow(versions.keys(), limit);
}
