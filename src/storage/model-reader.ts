/**
 * Reading models at one commit: where each model folder is (names matched case-insensitively),
 * a model's whole state (from this process, the on-disk cache by tree id, or its files), a model
 * read on demand for writes (its versions read when asked for), and every model in turn for
 * whole-registry questions. The second part of a Snapshot (snapshot.ts).
 */
import { modelKey } from '../domain/names.js';
import type { ModelState, ModelVersion, RegisteredModel, VersionState } from '../domain/state.js';
import type { ObjectStore, TreeEntry } from './objects.js';
import type { CachedModel } from './model-cache.js';
import { pathMismatch, type ModelLocation, type TreeReader } from './tree-reader.js';
import type { BulkLister } from './bulk-lister.js';
import { VersionFolder } from './version-folder.js';
import { FolderCache, StageCache, StageTable } from './stage-cache.js';
import { diffRawTrees, findRawEntry, findRawEntryStart, rawEntryAt, rawEntryAtOffset, rawNames, treeBytes } from './tree-diff.js';
import { cachedTreeBytes } from './tree-file-cache.js';
import { readSummary, summarize, withVersion, writeSummary } from './folder-summary.js';

/**
 * Versions up to which a whole-registry question (forEachModel) keeps what it read in the
 * process, for the next question. Kept states cost about 16 kB a version (measured: 10,000
 * kept added 160 MB to a search at 100k versions), so a registry of a few thousand versions
 * answers its next question from memory and a large one holds a bounded part.
 */
const KEEP_VERSIONS = 2_000;

/** First-parent commits a folder's cached facts (stages, numbers) are looked for in, to derive this commit's from the files that differ. */
const FROM_ANCESTORS = 32;

export type { ModelLocation } from './tree-reader.js';

/** Versions up to which a model read on demand takes the whole model from the on-disk cache when it is there. */
const SMALL_MODEL = 256;
/** A versions/ tree this large has more than SMALL_MODEL entries (each is at least 28 bytes plus its name): no need to list them to know. */
const SMALL_MODEL_BYTES = SMALL_MODEL * 64;

export class ModelReader {
  private modelCache = new Map<string, ModelState | null>();
  constructor(private readonly files: TreeReader, private readonly bulk: BulkLister) {}

  private get store() {
    return this.files.store;
  }

  private get parsed() {
    return this.files.parsed;
  }

  private get persisted() {
    return this.files.persisted;
  }

  /**
   * Every model folder: `name` or `namespace/name`. `known(treeId)` may say a folder is a model
   * without reading it (a cached summary exists for that tree).
   */
  async locations(known?: (tree: string) => boolean): Promise<ModelLocation[]> {
    const cfg = await this.files.config();
    const root = await this.files.entry(cfg.registry);
    if (!root || root.type !== 'tree') return [];
    const out: ModelLocation[] = [];
    for (const e of await this.store.readTree(root.oid)) {
      if (e.type !== 'tree') continue;
      if (known?.(e.oid)) {
        out.push({ name: e.path, dir: `${cfg.registry}/${e.path}`, tree: e.oid });
        continue;
      }
      const children = await this.store.readTree(e.oid);
      if (children.some((c) => c.path === 'model.yaml' || c.path === 'versions')) {
        out.push({ name: e.path, dir: `${cfg.registry}/${e.path}`, tree: e.oid });
      } else {
        for (const c of children) if (c.type === 'tree') out.push({ name: `${e.path}/${c.path}`, dir: `${cfg.registry}/${e.path}/${c.path}`, tree: c.oid });
      }
    }
    return out;
  }

  /**
   * The model folders that `locations()` would list whose names differ from `name` only by case,
   * reading only the registry's root tree and the folders whose names match case-insensitively.
   */
  async caseTwins(name: string): Promise<string[]> {
    const cfg = await this.files.config();
    const root = await this.files.entry(cfg.registry);
    if (!root || root.type !== 'tree') return [];
    const [first, second, ...rest] = name.split('/');
    if (rest.length) return [];
    const out: string[] = [];
    for (const e of await this.store.readTree(root.oid)) {
      if (e.type !== 'tree' || modelKey(e.path) !== modelKey(first)) continue;
      const children = await this.store.readTree(e.oid);
      if (children.some((c) => c.path === 'model.yaml' || c.path === 'versions')) {
        if (second === undefined && e.path !== name) out.push(e.path);
      } else if (second !== undefined) {
        for (const c of children) if (c.type === 'tree' && modelKey(c.path) === modelKey(second) && `${e.path}/${c.path}` !== name) out.push(`${e.path}/${c.path}`);
      }
    }
    return out;
  }

  /** The folder of a model, matching its name case-insensitively; walks only the trees on the path. */
  async locate(name: string): Promise<ModelLocation | undefined> {
    const cfg = await this.files.config();
    const root = await this.files.entry(cfg.registry);
    if (!root || root.type !== 'tree') return undefined;
    let cur = root.oid;
    const found: string[] = [];
    for (const part of name.split('/')) {
      // The folder by a search of the tree's bytes: the registry folder of 10,000 models is a
      // 330 kB tree (read from its file in trees-v1 when large), and parsing its entries took
      // about 15 ms of a resolve. A name in another case, or none, is looked for among them.
      const bytes = cachedTreeBytes(this.store, cur, this.files.keepDerived);
      const at = findRawEntryStart(bytes, part, 'tree');
      let e: { path: string; oid: string; type: string } | undefined;
      if (at >= 0) {
        const raw = rawEntryAtOffset(bytes, at);
        e = { path: raw.name, oid: raw.oid, type: 'tree' };
      } else {
        const entries = await this.store.readTree(cur);
        e = entries.find((x) => x.path === part) ?? entries.find((x) => x.type === 'tree' && modelKey(x.path) === modelKey(part));
      }
      if (!e || e.type !== 'tree') return undefined;
      found.push(e.path);
      cur = e.oid;
    }
    const canonical = found.join('/');
    return { name: canonical, dir: `${cfg.registry}/${canonical}`, tree: cur };
  }

  async model(name: string): Promise<ModelState | undefined> {
    const key = modelKey(name);
    if (this.modelCache.has(key)) return this.modelCache.get(key) ?? undefined;
    const loc = await this.locate(name);
    const state = loc ? await this.readModelAt(loc) : undefined;
    this.modelCache.set(key, state ?? null);
    return state;
  }

  /**
   * A model whose versions are read when asked for (storage/version-folder.ts): the model file
   * is read now, the version names come from the folder's tree, and each version file is read
   * the first time its version is asked for. What a write needs of a model of 10,000 versions.
   * `lenient`: a version file that does not read is answered as missing instead of thrown
   * (what `check --base` wants: the file check reports it).
   */
  async modelOnDemand(name: string, lenient = false): Promise<ModelState | undefined> {
    const loc = await this.locate(name);
    if (!loc) return undefined;
    const whole = this.parsed.getModel(loc.tree);
    if (whole) return whole;
    const key = `${loc.tree}\n${loc.dir}\n${lenient}\n${this.files.keepDerived}`;
    const kept = this.parsed.getOnDemand(key);
    if (kept) return kept;
    const entries = await this.store.readTree(loc.tree);
    const modelEntry = entries.find((e) => e.path === 'model.yaml');
    if (!modelEntry) return undefined;
    // The version names from the folder's raw tree (no entry objects for 10,000 files); an
    // entry is decoded when its version is asked for.
    const vdir = entries.find((e) => e.path === 'versions' && e.type === 'tree');
    // The folder's raw tree, a large one from its file by id (storage/tree-file-cache.ts) rather
    // than rebuilt from the pack's delta chain. A version is found by a search for its entry;
    // the names are listed (no entry objects for 10,000 files) only when asked for as a whole.
    const vbuf = cachedTreeBytes(this.store, vdir?.oid, this.files.keepDerived);
    let offsets: Map<string, number> | undefined;
    const names = () => {
      offsets = new Map();
      for (const { name, offset } of rawNames(vbuf)) if (name.endsWith('.yaml')) offsets.set(name.slice(0, -5), offset);
      return [...offsets.keys()];
    };
    // Once listed, a name's entry is where the listing found it (a search per version of a
    // whole-model read would scan the tree once per version).
    const offsetOf = (version: string) => (offsets ? offsets.get(version) ?? -1 : findRawEntryStart(vbuf, `${version}.yaml`));
    // A small model a whole read already cached on disk (models-v1/) is read from there: no YAML
    // parser or validator has to load (about 10 ms of a `resolve`'s start-up). A big model's
    // cache file would cost more to read than the one version on demand.
    const stored = !lenient && vbuf.length <= SMALL_MODEL_BYTES && names().length <= SMALL_MODEL ? this.persisted?.get(loc.tree) : undefined;
    if (stored) return this.fromStored(loc, stored, true);
    const file = `${loc.dir}/model.yaml`;
    const m = (await this.files.record<RegisteredModel>('model', file, modelEntry))!;
    await this.files.loadValidators();
    const load = (version: string): VersionState => {
      const raw = rawEntryAtOffset(vbuf, offsetOf(version));
      const e: TreeEntry = { mode: raw.mode, path: raw.name, oid: raw.oid, type: raw.isTree ? 'tree' : raw.mode === '160000' ? 'commit' : 'blob' };
      const path = `${loc.dir}/versions/${e.path}`;
      const v = this.files.parseRecord<ModelVersion>('version', path, e, undefined, false);
      if (v.value.version !== version || v.value.model.toLowerCase() !== loc.name.toLowerCase()) throw pathMismatch(path, v.value.model, v.value.version);
      return { record: v.value, file: path, blob: v.blob };
    };
    const has = (version: string) => offsetOf(version) >= 0;
    const facts = () => {
      const tree = vdir?.oid;
      const stored = tree ? readSummary(this.store.gitdir, tree, has) : undefined;
      if (stored) return stored;
      const s = summarize(names());
      if (tree && this.files.keepDerived) writeSummary(this.store.gitdir, tree, s);
      return s;
    };
    const versions = new VersionFolder(names, lenient ? (version) => { try { return load(version); } catch { return undefined; } } : load, has, facts);
    const state: ModelState = { name: loc.name, dir: loc.dir, file, record: m.value, blob: m.blob, versions };
    this.parsed.setOnDemand(key, state);
    return state;
  }

  /**
   * Every version's stage (version → stage). Of a model read on demand, from a line scan of its
   * version files (as `list` reads them), with a full parse only of a file the scan cannot vouch for.
   */
  async stages(m: ModelState): Promise<StageTable> {
    if (!(m.versions instanceof VersionFolder)) return StageTable.fromRecord(Object.fromEntries([...m.versions.values()].map((v) => [v.record.version, v.record.stage])));
    const loc = await this.locate(m.name);
    if (!loc) return StageTable.fromRecord({});
    const cache = StageCache.open(this.store.gitdir);
    const hit = cache.get(loc.tree);
    if (hit) return hit;
    const base = await this.fromParent(m, loc, (tree) => cache.get(tree)?.toRecord(), (v) => v.record.stage);
    const stages = StageTable.fromRecord(base ?? (await this.bulk.stagesOf([loc]))[0]?.stages ?? {});
    cache.set(loc.tree, stages);
    return stages;
  }

  /**
   * Every numbered version's MLflow number (version → number), for the next number of a
   * registration: from the cache by the folder's tree id, else from the same folder's entry at
   * the parent commit and the files that differ, else from a scan of every version file (once per
   * clone; only a file that may hold a number is parsed: BulkLister.numbersOf).
   */
  async numbers(m: ModelState, persist = true): Promise<Record<string, number>> {
    const all = () => {
      const out: Record<string, number> = {};
      for (const v of m.versions.values()) if (v.record.number !== undefined) out[v.record.version] = v.record.number;
      return out;
    };
    if (!(m.versions instanceof VersionFolder)) return all();
    const loc = await this.locate(m.name);
    if (!loc) return {};
    const cache = FolderCache.numbers(this.store.gitdir);
    const hit = cache.get(loc.tree);
    if (hit) return hit;
    const numbers = (await this.fromParent(m, loc, (tree) => cache.get(tree), (v) => v.record.number))
      ?? (await this.bulk.numbersOf(loc, (version) => m.versions.get(version)?.record.number));
    if (persist) cache.set(loc.tree, numbers);
    return numbers;
  }

  /**
   * Stores the numbers of the model folder `name` at this commit (what a registration knows once
   * it committed), and its versions/ summary: `before`'s (the model read at the parent) with `version` added.
   */
  async keepNumbers(name: string, numbers: Record<string, number>, before?: ModelState, version?: string): Promise<void> {
    const loc = await this.locate(name);
    if (!loc) return;
    FolderCache.numbers(this.store.gitdir).set(loc.tree, numbers);
    const tree = before?.versions instanceof VersionFolder && version ? versionsTreeOf(this.store, loc.tree) : undefined;
    if (tree) writeSummary(this.store.gitdir, tree, withVersion((before!.versions as VersionFolder).summary(), version!));
  }

  /** One fact of every version at this commit, from the cached facts of the same folder at the parent commit and the version files that differ. */
  private async fromParent<T extends string | number>(m: ModelState, loc: ModelLocation, cached: (tree: string) => Record<string, T> | undefined, pick: (v: VersionState) => T | undefined): Promise<Record<string, T> | undefined> {
    // The nearest of the last FROM_ANCESTORS first-parent commits whose folder has an entry:
    // the other writes to the model (a tag, an alias) leave no entry of this kind.
    let cur = this.files.commit ? await this.store.readCommit(this.files.commit) : undefined;
    let before: ReturnType<typeof rawEntryAt>;
    let base: Record<string, T> | undefined;
    for (let i = 0; i < FROM_ANCESTORS && cur?.parents[0] && !base; i++) {
      cur = await this.store.readCommit(cur.parents[0]);
      before = rawEntryAt(this.store, cur.tree, loc.dir);
      if (!before?.isTree) return undefined;
      base = before.oid === loc.tree ? undefined : cached(before.oid);
    }
    if (!base) return undefined;
    const versionsOf = (tree: string) => {
      const e = findRawEntry(treeBytes(this.store, tree), 'versions');
      return e?.isTree && e.name === 'versions' ? e.oid : undefined;
    };
    const out = { ...base };
    for (const c of diffRawTrees(treeBytes(this.store, versionsOf(before!.oid)), treeBytes(this.store, versionsOf(loc.tree)))) {
      if (!c.name.endsWith('.yaml')) continue;
      const version = c.name.slice(0, -5);
      delete out[version];
      const v = c.after && !c.after.isTree ? m.versions.get(version) : undefined;
      const value = v ? pick(v) : undefined;
      if (value !== undefined) out[version] = value;
    }
    return out;
  }

  /** The versions of `m` in `stage` (only the holders' files are parsed). */
  async inStage(m: ModelState, stage: string): Promise<VersionState[]> {
    return (await this.stages(m)).versionsIn(stage).map((v) => m.versions.get(v)).filter((v): v is VersionState => !!v);
  }


  /**
   * Calls `visit` with each model's state in turn, in the order of `locations()`. The models
   * visited before KEEP_VERSIONS versions were seen are kept in this process (as by `models()`,
   * for the next question); the rest are read from the on-disk cache or their files and dropped
   * after their visit, so a question over 100k versions holds a bounded part of them.
   */
  async forEachModel(visit: (m: ModelState) => void): Promise<void> {
    let seen = 0;
    for (const loc of await this.locations()) {
      const key = modelKey(loc.name);
      const cached = this.modelCache.get(key);
      // (A folder whose name differs only by case from another is its own model here.)
      let m = cached && cached.name === loc.name ? cached : undefined;
      if (m === undefined) {
        const retain = seen < KEEP_VERSIONS;
        m = await this.readModelAt(loc, retain);
        if (retain && m && !this.modelCache.has(key)) this.modelCache.set(key, m);
      }
      if (!m) continue;
      seen += m.versions.size;
      visit(m);
    }
  }

  async models(): Promise<ModelState[]> {
    const out: ModelState[] = [];
    for (const loc of await this.locations()) {
      const key = modelKey(loc.name);
      let m = this.modelCache.get(key);
      if (m === undefined) {
        m = (await this.readModelAt(loc)) ?? null;
        this.modelCache.set(key, m);
      }
      if (m) out.push(m);
    }
    return out;
  }

  /** A model folder's state from its on-disk cache entry (models-v1/). */
  private fromStored(loc: ModelLocation, stored: CachedModel, retain: boolean): ModelState {
    const versions = new Map<string, VersionState>();
    for (const v of stored.versions) versions.set(v.record.version, { record: v.record, file: `${loc.dir}/versions/${v.name}`, ...(v.blob ? { blob: v.blob } : {}) });
    const state: ModelState = { name: loc.name, dir: loc.dir, file: `${loc.dir}/model.yaml`, record: stored.record, ...(stored.blob ? { blob: stored.blob } : {}), versions };
    if (retain) this.parsed.setModel(loc.tree, state);
    return state;
  }

  /** A model folder's state (from this process, the on-disk cache, or the files); `retain: false` keeps nothing in this process. */
  async readModelAt(loc: ModelLocation, retain = true): Promise<ModelState | undefined> {
    const cached = this.parsed.getModel(loc.tree);
    if (cached) return cached;
    const stored = this.persisted?.get(loc.tree);
    if (stored) return this.fromStored(loc, stored, retain);
    const entries = await this.store.readTree(loc.tree);
    const modelEntry = entries.find((e) => e.path === 'model.yaml');
    if (!modelEntry) return undefined;
    const file = `${loc.dir}/model.yaml`;
    const m = await this.files.record<RegisteredModel>('model', file, modelEntry, undefined, retain);
    const versions = new Map<string, VersionState>();
    const vdir = entries.find((e) => e.path === 'versions' && e.type === 'tree');
    if (vdir) {
      for (const e of await this.store.readTree(vdir.oid)) {
        if (!e.path.endsWith('.yaml')) continue;
        const path = `${loc.dir}/versions/${e.path}`;
        const v = await this.files.record<ModelVersion>('version', path, e, undefined, retain);
        if (!v) continue;
        if (`${v.value.version}.yaml` !== e.path || v.value.model.toLowerCase() !== loc.name.toLowerCase()) throw pathMismatch(path, v.value.model, v.value.version);
        versions.set(v.value.version, { record: v.value, file: path, blob: v.blob });
      }
    }
    const state: ModelState = { name: loc.name, dir: loc.dir, file, record: m!.value, blob: m!.blob, versions };
    if (retain) this.parsed.setModel(loc.tree, state);
    this.persisted?.set(loc.tree, {
      record: state.record, blob: state.blob,
      versions: [...versions.values()].map((v) => ({ record: v.record, name: v.file.slice(v.file.lastIndexOf('/') + 1), ...(v.blob ? { blob: v.blob } : {}) })),
    });
    return state;
  }
}

/** The id of the versions/ folder of the model folder `tree`, if it has one. */
export function versionsTreeOf(store: ObjectStore, tree: string): string | undefined {
  const e = findRawEntry(treeBytes(store, tree), 'versions');
  return e?.isTree && e.name === 'versions' ? e.oid : undefined;
}
