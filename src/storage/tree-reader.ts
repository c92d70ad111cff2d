/**
 * Reading files at one commit: the entry at a path, a file's text, a file parsed and validated
 * (cached by blob id in the process, and `modelreg.yaml` and loaded policies on disk), and the
 * registry configuration. The first of the three parts of a Snapshot (snapshot.ts); the model
 * reader (model-reader.ts) and the bulk lister (bulk-lister.ts) read through it.
 */
import { RegistryError } from '../errors/index.js';
import { formatIssue } from '../domain/issues.js';
import type { FileKind } from '../domain/validate.js';
import type { ModelCache } from './model-cache.js';
import { CONFIG_FILE, isInsideRepo, resolveConfig, type RegistryConfig, type ResolvedConfig } from '../domain/state.js';
import type { ObjectStore, TreeEntry } from './objects.js';
import type { ParsedCache } from './cache.js';
import { treeEntryAt } from './tree-diff.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
let validateModule: typeof import('../domain/validate.js') | undefined;

/** Where a model folder is: its name (`name` or `namespace/name`), its path and its tree. */
export interface ModelLocation {
  name: string;
  dir: string;
  tree: string;
}

export function decodeOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function pathMismatch(path: string, model: string, version: string): RegistryError {
  return new RegistryError('INVALID_FILE', `${path}: the file says model ${model} version ${version}, which does not match its path. Fix the file (modelreg check lists every problem).`, { file: path, field: 'version' });
}

export class TreeReader {
  private cfg?: ResolvedConfig;
  constructor(readonly store: ObjectStore, readonly commit: string | undefined, readonly tree: string | undefined, readonly parsed: ParsedCache, readonly persisted?: ModelCache) {}

  /**
   * Whether what this snapshot derives may be stored under .git/modelreg/cache (large trees,
   * folder summaries). A write's snapshots say no (ops/write.ts): a write that fails leaves
   * nothing behind, and one that commits stores what it learned about its own commit.
   */
  keepDerived = true;

  /** Loads the validators and YAML parsers (once per process), so `parseRecord` can run without an async hop. */
  async loadValidators(): Promise<void> {
    validateModule ??= await import('../domain/validate.js');
  }

  async entry(path: string): Promise<TreeEntry | undefined> {
    // Raw lookups: a path into a folder of 10,000 versions parses none of its entries.
    return this.tree ? treeEntryAt(this.store, this.tree, path) : undefined;
  }

  /**
   * A value derived from a blob (a loaded policy), kept by blob id for this process (`memory`)
   * and under .git/modelreg/cache (`stored`, JSON). Ids name content; the caller checks a
   * stored value again (it may come from another modelreg version).
   */
  derived(kind: 'policy', oid: string): { memory?: unknown; stored?: unknown } {
    const memory = this.parsed.get(oid, `derived:${kind}`);
    return memory !== undefined ? { memory } : { stored: this.persisted?.getParsed(kind, oid) };
  }

  remember(kind: 'policy', oid: string, memory: unknown, stored?: unknown): void {
    this.parsed.set(oid, `derived:${kind}`, memory);
    if (stored !== undefined) this.persisted?.setParsed(kind, oid, stored);
  }

  async text(path: string): Promise<string | undefined> {
    const e = await this.entry(path);
    if (!e || e.type !== 'blob') return undefined;
    return this.store.readText(e.oid);
  }

  /** Parses and validates the file at `path`; throws INVALID_FILE with file:line when it is bad. */
  async record<T>(kind: FileKind, path: string, e?: TreeEntry, known?: string, retain = true): Promise<{ value: T; blob: string } | undefined> {
    const entry = e ?? (await this.entry(path));
    if (!entry) return undefined;
    const hit = this.cachedRecord<T>(kind, path, entry);
    if (hit) return hit;
    // The validators and YAML parsers load only when a file is actually parsed (a cached read
    // needs none), once: a dynamic import of a loaded module still costs a trip through the
    // module loader (about 20 ms over the 1,000 model files of a cold list at 10k versions).
    validateModule ??= await import('../domain/validate.js');
    return this.parseRecord<T>(kind, path, entry, known, retain);
  }

  private cachedRecord<T>(kind: FileKind, path: string, entry: TreeEntry): { value: T; blob: string } | undefined {
    if (entry.type !== 'blob' || entry.mode === '120000') {
      throw new RegistryError('INVALID_FILE', `${path}: expected a regular file, found a ${entry.mode === '120000' ? 'symbolic link' : entry.type}. Replace it with a regular file (modelreg check lists every problem).`, { file: path });
    }
    const hit = this.parsed.get(entry.oid, kind) ?? (kind === 'config' ? this.persisted?.getParsed('config', entry.oid) : undefined);
    if (hit === undefined) return undefined;
    this.parsed.set(entry.oid, kind, hit);
    return { value: hit as T, blob: entry.oid };
  }

  /** `record` without the async hop; the validators must be loaded (`loadValidators`). */
  parseRecord<T>(kind: FileKind, path: string, entry: TreeEntry, known?: string, retain = true): { value: T; blob: string } {
    const hit = this.cachedRecord<T>(kind, path, entry);
    if (hit) return hit;
    let text: string;
    try {
      text = known ?? UTF8.decode(this.store.readBlobSync(entry.oid));
    } catch (e) {
      if (e instanceof RegistryError) throw e; // a corrupt or missing object, not a bad file
      throw new RegistryError('INVALID_FILE', `${path}: is not valid UTF-8; registry files must be UTF-8 text. Fix the file (modelreg check lists every problem).`, { file: path });
    }
    const v = validateModule!.validateText<T>(kind, text, path);
    const errors = v.issues.filter((i) => i.severity === 'error');
    if (errors.length || v.value === undefined) {
      throw new RegistryError('INVALID_FILE', `${errors.map(formatIssue).join('\n')}\nFix the file (modelreg check lists every problem).`, { file: path, issues: errors });
    }
    if (retain) this.parsed.set(entry.oid, kind, v.value);
    if (kind === 'config') this.persisted?.setParsed('config', entry.oid, v.value);
    return { value: v.value, blob: entry.oid };
  }

  async config(): Promise<ResolvedConfig> {
    if (!this.cfg) {
      const cfg = resolveConfig((await this.record<RegistryConfig>('config', CONFIG_FILE))?.value);
      for (const key of ['registry', 'policies', 'schemas'] as const) {
        if (!isInsideRepo(cfg[key])) {
          throw new RegistryError('INVALID_FILE', `${CONFIG_FILE}: ${key}: '${cfg[key]}' points outside the repository or into .git. Use a folder inside the repository, such as '${key === 'schemas' ? '.modelreg/schemas' : key}'.`, { file: CONFIG_FILE, field: key });
        }
      }
      this.cfg = cfg;
    }
    return this.cfg;
  }
}
