/**
 * The registry as it is at one commit, read from Git objects (never from the working tree).
 * A point read (`model('churn')`) walks only the trees on its path; parsed files are cached
 * by blob id, so a file is parsed once however many snapshots share it.
 *
 * Three parts: the tree reader (tree-reader.ts: files, records, config), the model reader
 * (model-reader.ts: locating and reading models, on demand for writes) and the bulk lister
 * (bulk-lister.ts: every model's stages for a listing). A Snapshot is the tree reader with the
 * other two behind it, so callers ask one object.
 */
import type { ModelState, VersionState } from '../domain/state.js';
import type { ModelCache } from './model-cache.js';
import type { ObjectStore } from './objects.js';
import type { ParsedCache } from './cache.js';
import { TreeReader } from './tree-reader.js';
import { ModelReader, type ModelLocation } from './model-reader.js';
import { BulkLister, type ModelStages } from './bulk-lister.js';
import type { StageTable } from './stage-cache.js';

export type { ModelLocation } from './model-reader.js';
export type { ModelStages } from './bulk-lister.js';

export class Snapshot extends TreeReader {
  readonly bulkLister: BulkLister;
  readonly modelReader: ModelReader;
  /** `worktree`: the checkout, when this snapshot is of the branch checked out there (see BulkLister). */
  constructor(store: ObjectStore, commit: string | undefined, tree: string | undefined, parsed: ParsedCache, persisted?: ModelCache, worktree?: string) {
    super(store, commit, tree, parsed, persisted);
    this.bulkLister = new BulkLister(this, worktree);
    this.modelReader = new ModelReader(this, this.bulkLister);
  }

  /** The registry at another commit, sharing this snapshot's caches and (unless `store` is given) its store. */
  at(commit: string | undefined, tree: string | undefined, store: ObjectStore = this.store): Snapshot {
    return new Snapshot(store, commit, tree, this.parsed, this.persisted);
  }

  locations(known?: (tree: string) => boolean): Promise<ModelLocation[]> { return this.modelReader.locations(known); }
  caseTwins(name: string): Promise<string[]> { return this.modelReader.caseTwins(name); }
  locate(name: string): Promise<ModelLocation | undefined> { return this.modelReader.locate(name); }
  model(name: string): Promise<ModelState | undefined> { return this.modelReader.model(name); }
  modelOnDemand(name: string, lenient = false): Promise<ModelState | undefined> { return this.modelReader.modelOnDemand(name, lenient); }
  inStage(m: ModelState, stage: string): Promise<VersionState[]> { return this.modelReader.inStage(m, stage); }
  stages(m: ModelState): Promise<StageTable> { return this.modelReader.stages(m); }
  numbers(m: ModelState, persist = true): Promise<Record<string, number>> { return this.modelReader.numbers(m, persist); }
  keepNumbers(name: string, numbers: Record<string, number>, before?: ModelState, version?: string): Promise<void> { return this.modelReader.keepNumbers(name, numbers, before, version); }
  forEachModel(visit: (m: ModelState) => void): Promise<void> { return this.modelReader.forEachModel(visit); }
  models(): Promise<ModelState[]> { return this.modelReader.models(); }
  readModelAt(loc: ModelLocation, retain = true): Promise<ModelState | undefined> { return this.modelReader.readModelAt(loc, retain); }
  stagesOf(locs: ModelLocation[], threads = false, report?: (files: number, byWorker: number) => void): Promise<Array<ModelStages | undefined>> { return this.bulkLister.stagesOf(locs, threads, report); }
}
