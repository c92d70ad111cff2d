/**
 * A pull request that renames or moves a model folder (`git mv registry/fraud registry/fraud2`,
 * with or without the names inside the files edited). No policy allows renaming a model: its
 * history, approvals, aliases and the URIs that serve it stay with the old name. So a rename is
 * one named problem that gives both names, and its events are not judged as a removal and a
 * new model.
 */
import { issue, type Issue } from '../domain/issues.js';
import { modelKey } from '../domain/names.js';
import type { ModelState } from '../domain/state.js';
import { changedPaths } from '../storage/history.js';
import type { Snapshot } from '../storage/snapshot.js';
import { modelAt } from './commit-range.js';

/** Model folders (relative to the registry folder) with a changed file. */
async function touchedFolders(base: Snapshot, head: Snapshot, registry: string): Promise<string[]> {
  const changed = await changedPaths(head.store, (await base.entry(registry))?.oid, (await head.entry(registry))?.oid);
  const names = new Set<string>();
  for (const c of changed) {
    const m = /^(.+)\/(?:model\.yaml|versions\/[^/]+)$/.exec(c.path);
    if (m) names.add(m[1]);
  }
  return [...names];
}

/** Keys of the folders that have a model.yaml at a snapshot. */
async function keysWithModel(s: Snapshot, registry: string, folders: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of folders) if (await s.entry(`${registry}/${f}/model.yaml`)) out.add(modelKey(f));
  return out;
}

/** The same model under another folder: its record still names it, or it has the same versions with the same artifacts. */
function sameModel(before: ModelState, after: ModelState): boolean {
  if (modelKey(after.record.name) === modelKey(before.name)) return true;
  const a = [...before.versions.values()];
  if (!a.length || a.length !== after.versions.size) return false;
  return a.every((v) => after.versions.get(v.record.version)?.record.artifact.uri === v.record.artifact.uri);
}

/**
 * Finds the renamed models of a change, reports each (rule `model-renamed`, exit 1), and
 * returns the keys of both names, whose events are not judged one by one.
 */
export async function renamedModels(base: Snapshot, head: Snapshot, problems: Issue[]): Promise<Set<string>> {
  const { registry } = await base.config();
  const folders = await touchedFolders(base, head, registry);
  const atBase = await keysWithModel(base, registry, folders);
  const atHead = await keysWithModel(head, registry, folders);
  const gone = folders.filter((f) => atBase.has(modelKey(f)) && !atHead.has(modelKey(f)));
  const added = folders.filter((f) => atHead.has(modelKey(f)) && !atBase.has(modelKey(f)));
  const out = new Set<string>();
  for (const from of gone) {
    const before = await modelAt(base, from);
    if (!before) continue;
    for (const to of added) {
      const after = await modelAt(head, to);
      if (!after || !sameModel(before, after)) continue;
      problems.push(issue(`${registry}/${to}/model.yaml`, 'model-renamed', `model ${from} was renamed or moved to ${to} (${registry}/${from} → ${registry}/${to}); no policy allows renaming a model, because its history, approvals, aliases and model URIs stay with the name ${from}: move the folder back to ${registry}/${from}, or register ${to} as a new model and deprecate the versions of ${from}`));
      out.add(modelKey(from)).add(modelKey(to)).add(modelKey(after.record.name));
    }
  }
  return out;
}
