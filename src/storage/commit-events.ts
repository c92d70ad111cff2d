/**
 * The events of one commit: what changed in the registry between a commit and its first parent,
 * derived from the content of the files (hand edits count as tool edits do).
 *
 * Only the trees on changed paths are read (raw, storage/tree-diff.ts), and of a changed model
 * folder only the files that differ are parsed: a commit that promotes one version of a model
 * of 10,000 versions reads two version files and its model.yaml, never the other 9,999.
 */
import { deploymentEvent, placeOfDeployment, DEPLOYMENTS_DIR, type Deployment } from '../domain/deployments.js';
import { diffModel } from '../domain/diff.js';
import { isInitial, type RegistryEvent } from '../domain/events.js';
import { modelKey } from '../domain/names.js';
import type { ModelState, ModelVersion, RegisteredModel, VersionState } from '../domain/state.js';
import type { CommitInfo, ObjectStore, TreeEntry } from './objects.js';
import type { Snapshot } from './snapshot.js';
import { changedFiles, diffRawTrees, findRawEntry, rawEntryAt, treeBytes, type RawEntry } from './tree-diff.js';
import { analysisEvents } from './analysis-events.js';

function exact(buf: Buffer, name: string): RawEntry | undefined {
  const e = findRawEntry(buf, name);
  return e && e.name === name ? e : undefined;
}

function treeEntry(e: RawEntry): TreeEntry {
  return { mode: e.mode, path: e.name, oid: e.oid, type: e.isTree ? 'tree' : e.mode === '160000' ? 'commit' : 'blob' };
}

/** One side of a model folder, holding only the versions asked for. */
interface Side {
  tree?: string;
  buf: Buffer;
  model?: RawEntry;
  versions?: RawEntry;
}

export class CommitEventReader {
  /** Registry folder by modelreg.yaml blob id ('' = no config file). */
  private registryDirs = new Map<string, string>();

  /** `base` parses files with its caches; it is never asked about its own commit. */
  constructor(readonly store: ObjectStore, private readonly base: Snapshot) {}

  /** Events of `c` against its first parent (all of the root commit's content is new). */
  async events(c: CommitInfo): Promise<RegistryEvent[]> {
    // A walk's store may reuse the memory of the trees the previous commit read (odb.ts).
    this.store.odb.recycle?.();
    const parent = c.parents[0];
    // (The walk reads the parent next: the object database keeps the commit.)
    const parentTree = parent ? (await this.store.readCommit(parent)).tree : undefined;
    const events = await this.between(parentTree, c.tree, await this.registryDir(c));
    return [...events, ...(await analysisEvents(this.store, parentTree, c.tree))];
  }

  /**
   * Events that turn the registry folder `dir` of tree `aRoot` into that of `bRoot` (either may
   * be undefined), then those of the deployments folder (after the registry's, so the ids of
   * a commit's registry events do not depend on whether it also records a deployment).
   */
  async between(aRoot: string | undefined, bRoot: string | undefined, dir: string): Promise<RegistryEvent[]> {
    const out = await this.registryEvents(aRoot, bRoot, dir);
    out.push(...(await this.deploymentEvents(aRoot, bRoot)));
    return out;
  }

  /** One event per deployment file that changed, in path order; a file that does not parse or sits at the wrong path gives none (the file check reports it). */
  private async deploymentEvents(aRoot: string | undefined, bRoot: string | undefined): Promise<RegistryEvent[]> {
    const a = rawEntryAt(this.store, aRoot, DEPLOYMENTS_DIR);
    const b = rawEntryAt(this.store, bRoot, DEPLOYMENTS_DIR);
    const at = a?.isTree ? a.oid : undefined;
    const bt = b?.isTree ? b.oid : undefined;
    if (at === bt) return [];
    const out: RegistryEvent[] = [];
    for (const f of changedFiles(this.store, at, bt, DEPLOYMENTS_DIR).sort((x, y) => (x.path < y.path ? -1 : 1))) {
      if (!placeOfDeployment(f.path)) continue;
      const after = await this.deployment(f.path, f.after);
      if (f.after && !after) continue; // a file made invalid records nothing (nor removes anything)
      const e = deploymentEvent(await this.deployment(f.path, f.before), after);
      if (e) out.push(e);
    }
    return out;
  }

  private async deployment(path: string, blob: string | undefined): Promise<Deployment | undefined> {
    if (!blob) return undefined;
    const place = placeOfDeployment(path)!;
    try {
      const d = await this.base.record<Deployment>('deployment', path, { mode: '100644', path: path.slice(path.lastIndexOf('/') + 1), oid: blob, type: 'blob' }, undefined, false);
      if (!d || d.value.env !== place.env || modelKey(d.value.model) !== modelKey(place.model)) return undefined;
      return d.value;
    } catch {
      return undefined;
    }
  }

  private async registryEvents(aRoot: string | undefined, bRoot: string | undefined, dir: string): Promise<RegistryEvent[]> {
    const a = rawEntryAt(this.store, aRoot, dir);
    const b = rawEntryAt(this.store, bRoot, dir);
    const at = a?.isTree ? a.oid : undefined;
    const bt = b?.isTree ? b.oid : undefined;
    if (at === bt) return [];
    // The model folders touched: `name`, or `namespace/name` inside a namespace folder.
    const touched: string[] = [];
    for (const ch of diffRawTrees(treeBytes(this.store, at), treeBytes(this.store, bt))) {
      const x = ch.before?.isTree ? ch.before.oid : undefined;
      const y = ch.after?.isTree ? ch.after.oid : undefined;
      if (!x && !y) continue;
      if (this.isModelFolder(x) || this.isModelFolder(y)) {
        touched.push(ch.name);
        continue;
      }
      for (const inner of diffRawTrees(treeBytes(this.store, x), treeBytes(this.store, y))) {
        if (inner.before?.isTree || inner.after?.isTree) touched.push(`${ch.name}/${inner.name}`);
      }
    }
    // Names that differ only by case are one model (a folder renamed by case is a change of it):
    // each side is found case-insensitively, an exact match first, as a point read finds it.
    const byKey = new Map<string, string>();
    for (const n of touched) if (!byKey.has(modelKey(n))) byKey.set(modelKey(n), n);
    const out: RegistryEvent[] = [];
    for (const name of [...byKey.values()].sort()) {
      const x = this.locate(at, name);
      const y = this.locate(bt, name);
      if (!x && !y) continue;
      const canonical = (y ?? x)!.path;
      out.push(...(await this.modelEvents(canonical, `${dir}/${canonical}`, x?.oid, y?.oid)));
    }
    return out;
  }

  /** A model folder under the registry tree `root`, its name matched part by part, exact first, else ignoring case. */
  private locate(root: string | undefined, name: string): { path: string; oid: string } | undefined {
    let cur = root;
    const found: string[] = [];
    for (const part of name.split('/')) {
      if (!cur) return undefined;
      const e = findRawEntry(treeBytes(this.store, cur), part);
      if (!e?.isTree) return undefined;
      found.push(e.name);
      cur = e.oid;
    }
    return cur ? { path: found.join('/'), oid: cur } : undefined;
  }

  private async registryDir(c: CommitInfo): Promise<string> {
    const cfg = exact(treeBytes(this.store, c.tree), 'modelreg.yaml');
    const key = cfg?.oid ?? '';
    let dir = this.registryDirs.get(key);
    if (dir === undefined) {
      try {
        dir = (await this.base.at(c.oid, c.tree).config()).registry;
      } catch {
        dir = 'registry'; // a broken modelreg.yaml: the file check reports it
      }
      this.registryDirs.set(key, dir);
    }
    return dir;
  }

  private isModelFolder(tree: string | undefined): boolean {
    if (!tree) return false;
    const buf = treeBytes(this.store, tree);
    return !!(exact(buf, 'model.yaml') || exact(buf, 'versions'));
  }

  private side(tree: string | undefined): Side {
    const buf = treeBytes(this.store, tree);
    return { tree, buf, model: exact(buf, 'model.yaml'), versions: exact(buf, 'versions') };
  }

  /** Events of one model folder; none when a file it needs does not parse (the file check reports it). */
  private async modelEvents(name: string, dir: string, aTree: string | undefined, bTree: string | undefined): Promise<RegistryEvent[]> {
    const a = this.side(aTree);
    const b = this.side(bTree);
    const versionTree = (s: Side) => (s.versions?.isTree ? s.versions.oid : undefined);
    // When the model appears or disappears, every version of the side that has it counts.
    const whole = !!a.model !== !!b.model;
    let files: Array<{ name: string; before?: RawEntry; after?: RawEntry }>;
    if (whole) {
      const list = (s: Side) => (s.model && versionTree(s) ? this.entries(versionTree(s)!) : []);
      const before = new Map(list(a).map((e) => [e.name, e]));
      const after = new Map(list(b).map((e) => [e.name, e]));
      files = [...new Set([...before.keys(), ...after.keys()])].map((n) => ({ name: n, before: before.get(n), after: after.get(n) }));
    } else {
      files = diffRawTrees(treeBytes(this.store, versionTree(a)), treeBytes(this.store, versionTree(b)));
    }
    try {
      const sa = await this.state(name, dir, a, files.map((f) => f.before));
      const sb = await this.state(name, dir, b, files.map((f) => f.after));
      if (!sa && !sb) return [];
      return diffModel(sa, sb).filter((e) => !isInitial(e));
    } catch {
      return [];
    }
  }

  private entries(tree: string): RawEntry[] {
    const buf = treeBytes(this.store, tree);
    const out: RawEntry[] = [];
    // A folder read whole (a model created or removed in this commit): walk its entries once.
    for (const c of diffRawTrees(Buffer.alloc(0), buf)) if (c.after) out.push(c.after);
    return out;
  }

  private async state(name: string, dir: string, s: Side, versionFiles: Array<RawEntry | undefined>): Promise<ModelState | undefined> {
    if (!s.model) return undefined;
    const file = `${dir}/model.yaml`;
    const m = await this.base.record<RegisteredModel>('model', file, treeEntry(s.model));
    const versions = new Map<string, VersionState>();
    for (const e of versionFiles) {
      if (!e || e.isTree || !e.name.endsWith('.yaml')) continue;
      const path = `${dir}/versions/${e.name}`;
      const v = await this.base.record<ModelVersion>('version', path, treeEntry(e), undefined, false);
      if (!v) continue;
      if (`${v.value.version}.yaml` !== e.name || v.value.model.toLowerCase() !== name.toLowerCase()) throw new Error(`${path}: path mismatch`);
      versions.set(v.value.version, { record: v.value, file: path, blob: v.blob });
    }
    return { name, dir, file, record: m!.value, blob: m!.blob, versions };
  }
}
