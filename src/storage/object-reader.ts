/**
 * The two seams of the Git object layer, so an implementation can be swapped or tested alone:
 *
 * - `ObjectSource`: raw objects by id (odb.ts reads loose objects, packs and alternates).
 * - `ObjectReader`: what the rest of storage reads through: typed objects, parsed trees and
 *   commits (objects.ts, over any ObjectSource).
 *
 * Both fail with RegistryErrors only: CORRUPT_OBJECT for an object that does not inflate or
 * parse, MISSING_OBJECT for one that is needed and absent.
 */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export interface RawObject { type: ObjectType; content: Buffer }

export interface ObjectSource {
  /** The object, or undefined when the repository (and its alternates) lacks it. */
  read(oid: string): RawObject | undefined;
  has(oid: string): boolean;
  /** Full ids starting with `prefix` (for abbreviated commit ids). */
  expand(prefix: string): string[];
  /** Parsed trees by id, shared by the readers over this source. */
  readonly parsedTrees: Map<string, unknown>;
  /** A source that reuses tree memory (odb.ts, `recycleTrees`): no tree bytes read before this call are used after it. */
  recycle?(): void;
}

export interface ObjectReader {
  has(oid: string): boolean;
  /** Any object, by id; MISSING_OBJECT when absent. */
  readObject(oid: string): RawObject;
  readTree(oid: string): Promise<TreeEntry[]>;
  readTreeSync(oid: string): TreeEntry[];
  readBlob(oid: string): Promise<Uint8Array>;
  readCommit(oid: string): Promise<CommitInfo>;
}

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
}
