/**
 * Parsed files cached by Git object id: a blob's parsed record by its blob id, a model
 * folder's whole state by its tree id. Ids name content, so an entry can never be stale;
 * the cache only has to be bounded and safe to lose.
 */
import type { ModelState } from '../domain/state.js';

export class ParsedCache {
  /** kind → blob id → value: one map per kind, so a lookup builds no `${kind}:${blob}` key (a cold list looks up 110k version blobs at 100k). */
  private blobs = new Map<string, Map<string, unknown>>();
  private models = new Map<string, ModelState>();

  /**
   * `blobsPerKind`: parsed files kept of each kind at most, the first kept let go of first
   * (unbounded by default). A history walk passes a bound: it meets every model.yaml the history
   * ever held, and keeping them all was most of its heap (10,000 at 100k commits over 10k models).
   */
  constructor(private readonly blobsPerKind = Infinity) {}

  get(blob: string, kind: string): unknown {
    return this.blobs.get(kind)?.get(blob);
  }
  set(blob: string, kind: string, value: unknown): void {
    let byBlob = this.blobs.get(kind);
    if (!byBlob) this.blobs.set(kind, (byBlob = new Map()));
    if (byBlob.size >= this.blobsPerKind && !byBlob.has(blob)) byBlob.delete(byBlob.keys().next().value!);
    byBlob.set(blob, value);
  }
  getModel(tree: string): ModelState | undefined {
    return this.models.get(tree);
  }
  setModel(tree: string, state: ModelState): void {
    this.models.set(tree, state);
  }

  /**
   * Models read on demand (storage/version-folder.ts), by folder: the snapshots of one
   * `check --base` (base, head, each commit of the range) ask for the same folder tree several
   * times, and building its version index costs a few ms at 10,000 versions. A few are kept.
   */
  private onDemand = new Map<string, ModelState>();
  getOnDemand(key: string): ModelState | undefined {
    return this.onDemand.get(key);
  }
  setOnDemand(key: string, state: ModelState): void {
    if (this.onDemand.size >= 8) this.onDemand.delete(this.onDemand.keys().next().value!);
    this.onDemand.set(key, state);
  }
}
