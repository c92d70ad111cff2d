/**
 * The registry as it is at one commit, read from Git objects (never from the working tree).
 * A point read (`model('churn')`) walks only the trees on its path; parsed files are cached
 * by blob id, so a file is parsed once however many snapshots share it.
 */
import { RegistryError } from '../errors/index.js';
import { formatIssue } from '../domain/issues.js';
import type { FileKind } from '../domain/validate.js';
import type { ModelCache } from './model-cache.js';
import { modelKey } from '../domain/names.js';
import { CONFIG_FILE, isInsideRepo, resolveConfig, type ModelState, type ModelVersion, type RegisteredModel, type RegistryConfig, type ResolvedConfig, type VersionState } from '../domain/state.js';
import type { ObjectStore, TreeEntry } from './objects.js';
import type { ParsedCache } from './cache.js';
import { scanVersionHead, type VersionHead } from '../domain/scan.js';
import type { CheckoutReader } from './head-worker.js';
import { VersionFolder } from './version-folder.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Versions up to which a whole-registry question (forEachModel) keeps what it read in the
 * process, for the next question. Kept states cost about 16 kB a version (measured: 10,000
 * kept added 160 MB to a search at 100k versions), so a registry of a few thousand versions
 * answers its next question from memory and a large one holds a bounded part.
 */
const KEEP_VERSIONS = 2_000;
let validateModule: typeof import('../domain/validate.js') | undefined;

export interface ModelLocation {
  name: string;
  dir: string;
  tree: string;
}

/** What a listing needs of a model: its own record and every version's stage. */
export interface ModelStages {
  record: RegisteredModel;
  /** version → stage */
  stages: Record<string, string>;
}

function decodeOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function pathMismatch(path: string, model: string, version: string): RegistryError {
  return new RegistryError('INVALID_FILE', `${path}: the file says model ${model} version ${version}, which does not match its path. Fix the file (modelreg check lists every problem).`, { file: path, field: 'version' });
}

export class Snapshot {
  private cfg?: ResolvedConfig;
  private modelCache = new Map<string, ModelState | null>();
  private checkout?: CheckoutReader;
  /**
   * `worktree`: the checkout, when this snapshot is of the branch checked out there. A
   * whole-registry read then takes a file's text from the checkout when its Git blob id is the
   * one in the tree (about 9 µs a file against about 25 µs from a packfile delta chain).
   */
  constructor(readonly store: ObjectStore, readonly commit: string | undefined, readonly tree: string | undefined, private readonly parsed: ParsedCache, private readonly persisted?: ModelCache, private readonly worktree?: string) {}

  /** The registry at another commit, sharing this snapshot's store and caches. */
  at(commit: string | undefined, tree: string | undefined): Snapshot {
    return new Snapshot(this.store, commit, tree, this.parsed, this.persisted);
  }

  async entry(path: string): Promise<TreeEntry | undefined> {
    return this.tree ? this.store.entryAt(this.tree, path) : undefined;
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

  /** `record` without the async hop; the validators must be loaded (`record` or `modelOnDemand` loads them). */
  private parseRecord<T>(kind: FileKind, path: string, entry: TreeEntry, known?: string, retain = true): { value: T; blob: string } {
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

  /**
   * A model whose versions are read when asked for (storage/version-folder.ts): the model file
   * is read now, the version names come from the folder's tree, and each version file is read
   * the first time its version is asked for. What a write needs of a model of 10,000 versions.
   */
  async modelOnDemand(name: string): Promise<ModelState | undefined> {
    const loc = await this.locate(name);
    if (!loc) return undefined;
    const whole = this.parsed.getModel(loc.tree);
    if (whole) return whole;
    const entries = await this.store.readTree(loc.tree);
    const modelEntry = entries.find((e) => e.path === 'model.yaml');
    if (!modelEntry) return undefined;
    const file = `${loc.dir}/model.yaml`;
    const m = (await this.record<RegisteredModel>('model', file, modelEntry))!;
    validateModule ??= await import('../domain/validate.js');
    const vdir = entries.find((e) => e.path === 'versions' && e.type === 'tree');
    const files = new Map<string, TreeEntry>();
    for (const e of vdir ? await this.store.readTree(vdir.oid) : []) if (e.path.endsWith('.yaml')) files.set(e.path.slice(0, -5), e);
    const versions = new VersionFolder([...files.keys()], (version) => {
      const e = files.get(version)!;
      const path = `${loc.dir}/versions/${e.path}`;
      const v = this.parseRecord<ModelVersion>('version', path, e, undefined, false);
      if (v.value.version !== version || v.value.model.toLowerCase() !== loc.name.toLowerCase()) throw pathMismatch(path, v.value.model, v.value.version);
      return { record: v.value, file: path, blob: v.blob };
    });
    return { name: loc.name, dir: loc.dir, file, record: m.value, blob: m.blob, versions };
  }

  /**
   * The versions of `m` in `stage`. Of a model read on demand, the stages come from a line scan
   * of its version files (as `list` reads them) and only the holders' files are parsed.
   */
  async inStage(m: ModelState, stage: string): Promise<VersionState[]> {
    if (!(m.versions instanceof VersionFolder)) return [...m.versions.values()].filter((v) => v.record.stage === stage);
    const loc = await this.locate(m.name);
    const stages = loc ? (await this.stagesOf([loc]))[0]?.stages ?? {} : {};
    return Object.entries(stages).filter(([, s]) => s === stage).map(([v]) => m.versions.get(v)).filter((v): v is VersionState => !!v);
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

  /**
   * Every model folder: `name` or `namespace/name`. `known(treeId)` may say a folder is a model
   * without reading it (a cached summary exists for that tree).
   */
  async locations(known?: (tree: string) => boolean): Promise<ModelLocation[]> {
    const cfg = await this.config();
    const root = await this.entry(cfg.registry);
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
    const cfg = await this.config();
    const root = await this.entry(cfg.registry);
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
    const cfg = await this.config();
    const root = await this.entry(cfg.registry);
    if (!root || root.type !== 'tree') return undefined;
    let cur = root.oid;
    const found: string[] = [];
    for (const part of name.split('/')) {
      const entries = await this.store.readTree(cur);
      const e = entries.find((x) => x.path === part) ?? entries.find((x) => x.type === 'tree' && modelKey(x.path) === modelKey(part));
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

  /** A model folder's state (from this process, the on-disk cache, or the files); `retain: false` keeps nothing in this process. */
  async readModelAt(loc: ModelLocation, retain = true): Promise<ModelState | undefined> {
    const cached = this.parsed.getModel(loc.tree);
    if (cached) return cached;
    const stored = this.persisted?.get(loc.tree);
    if (stored) {
      const file = `${loc.dir}/model.yaml`;
      const versions = new Map<string, VersionState>();
      for (const v of stored.versions) versions.set(v.record.version, { record: v.record, file: `${loc.dir}/versions/${v.name}`, ...(v.blob ? { blob: v.blob } : {}) });
      const state: ModelState = { name: loc.name, dir: loc.dir, file, record: stored.record, ...(stored.blob ? { blob: stored.blob } : {}), versions };
      if (retain) this.parsed.setModel(loc.tree, state);
      return state;
    }
    const entries = await this.store.readTree(loc.tree);
    const modelEntry = entries.find((e) => e.path === 'model.yaml');
    if (!modelEntry) return undefined;
    const file = `${loc.dir}/model.yaml`;
    const m = await this.record<RegisteredModel>('model', file, modelEntry, undefined, retain);
    const versions = new Map<string, VersionState>();
    const vdir = entries.find((e) => e.path === 'versions' && e.type === 'tree');
    if (vdir) {
      for (const e of await this.store.readTree(vdir.oid)) {
        if (!e.path.endsWith('.yaml')) continue;
        const path = `${loc.dir}/versions/${e.path}`;
        const v = await this.record<ModelVersion>('version', path, e, undefined, retain);
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

  /**
   * Each model's record and every version's stage, for a listing of the whole registry, in the
   * order of `locs`. The model file is parsed and validated; of each version file only `model`,
   * `version` and `stage` are read, by a line scan (domain/scan.ts), and a file the scan cannot
   * vouch for is parsed and validated in full. No file's text is kept beyond its scan. With
   * `threads`, a worker thread reads part of the version files (head-reader.ts); the answers
   * and the first error are the same either way.
   */
  async stagesOf(locs: ModelLocation[], threads = false, report?: (files: number, byWorker: number) => void): Promise<Array<ModelStages | undefined>> {
    // Loaded here: a point read never needs the checkout reader or worker_threads.
    const [{ HeadQueue }, { CheckoutReader }] = await Promise.all([import('./head-reader.js'), import('./head-worker.js')]);
    this.checkout ??= new CheckoutReader(this.worktree);
    const queue = new HeadQueue(this.checkout, threads);
    type Version = { entry: TreeEntry; path: string; known?: VersionHead; queued?: number };
    const walked: Array<{ loc: ModelLocation; stages?: ModelStages; model?: RegisteredModel; error?: unknown; versions: Version[] }> = [];
    try {
      // Walk the folders; queue every version file whose head is not known yet.
      for (const [n, loc] of locs.entries()) {
        if (n % 32 === 31) await queue.yield();
        const known = this.parsed.getModel(loc.tree);
        if (known) {
          walked.push({ loc, stages: { record: known.record, stages: Object.fromEntries([...known.versions.values()].map((v) => [v.record.version, v.record.stage])) }, versions: [] });
          continue;
        }
        const entries = this.store.readTreeSync(loc.tree);
        const modelEntry = entries.find((e) => e.path === 'model.yaml');
        const w: (typeof walked)[number] = { loc, versions: [] };
        walked.push(w);
        if (!modelEntry) continue;
        const vdir = entries.find((e) => e.path === 'versions' && e.type === 'tree');
        for (const e of vdir ? this.store.readTreeSync(vdir.oid) : []) {
          if (!e.path.endsWith('.yaml')) continue;
          const path = `${loc.dir}/versions/${e.path}`;
          const known = this.parsed.get(e.oid, 'version') as ModelVersion | undefined;
          w.versions.push({ entry: e, path, ...(known ? { known } : e.type === 'blob' && e.mode !== '120000' ? { queued: queue.add(path, e.oid) } : {}) });
        }
        // The model file is parsed here, while the worker reads version files; an error waits
        // for its turn below, so the first error reported does not depend on the threads.
        try {
          const modelFile = `${loc.dir}/model.yaml`;
          w.model = (await this.record<RegisteredModel>('model', modelFile, modelEntry, this.parsed.get(modelEntry.oid, 'model') === undefined && modelEntry.type === 'blob' ? this.bulkText(modelFile, modelEntry.oid) : undefined))!.value;
        } catch (e) {
          w.error = e;
        }
      }
      await queue.finish();
      if (queue.byWorker) report?.(queue.size, queue.byWorker);
    } finally {
      await queue.stop();
    }
    // Then answer in order. What the checkout did not hold comes from the objects; what the scan
    // could not vouch for is parsed and validated in full (and reported when bad).
    const out: Array<ModelStages | undefined> = [];
    for (const w of walked) {
      if (w.error) throw w.error;
      if (!w.model) { out.push(w.stages); continue; }
      const stages: Record<string, string> = {};
      const name = w.loc.name.toLowerCase();
      for (const v of w.versions) {
        const q = v.queued !== undefined ? queue.heads[v.queued] : undefined;
        const head = v.known ?? (q ? { model: q[0], version: q[1], stage: q[2] } : undefined)
          ?? (v.queued !== undefined ? scanVersionHead(this.objectText(v.entry.oid) ?? '') : undefined)
          ?? (await this.record<ModelVersion>('version', v.path, v.entry))?.value;
        if (!head) continue;
        if (`${head.version}.yaml` !== v.entry.path || head.model.toLowerCase() !== name) throw pathMismatch(v.path, head.model, head.version);
        stages[head.version] = head.stage;
      }
      out.push({ record: w.model, stages });
    }
    return out;
  }

  /** A blob's text for a whole-registry read: from the checkout when it holds these bytes, else from the objects. */
  private bulkText(path: string, oid: string): string | undefined {
    const bytes = this.checkout?.read(path, oid);
    return bytes ? decodeOrUndefined(bytes) : this.objectText(oid);
  }

  /** A blob's text from the object database; undefined when it is not UTF-8 or missing (the caller's full read reports it). */
  private objectText(oid: string): string | undefined {
    try {
      return decodeOrUndefined(this.store.readBlobSync(oid));
    } catch {
      return undefined;
    }
  }
}
