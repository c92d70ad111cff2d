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

  get(blob: string, kind: string): unknown {
    return this.blobs.get(kind)?.get(blob);
  }
  set(blob: string, kind: string, value: unknown): void {
    let byBlob = this.blobs.get(kind);
    if (!byBlob) this.blobs.set(kind, (byBlob = new Map()));
    byBlob.set(blob, value);
  }
  getModel(tree: string): ModelState | undefined {
    return this.models.get(tree);
  }
  setModel(tree: string, state: ModelState): void {
    this.models.set(tree, state);
  }
}
