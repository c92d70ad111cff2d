/**
 * The `analysis` events of a commit: analysis files (analysis/<model>/<version>/<time>.yaml,
 * written by `modelreg watch`) that the commit adds. Derived from the files, so an analysis
 * recorded by hand counts as one `watch` records; a file that does not validate gives none
 * (`check` reports it).
 */
import type { Analysis } from '../domain/schema-types.js';
import type { RegistryEvent } from '../domain/events.js';
import { validateText } from '../domain/validate.js';
import type { ObjectStore } from './objects.js';
import { diffRawTrees, rawEntryAt, treeBytes } from './tree-diff.js';

/** The folder analyses are recorded in, at the repository root. */
export const ANALYSIS_DIR = 'analysis';

/** Files added under `dir` between two trees (either may be undefined), as paths with their blob ids. */
function added(store: ObjectStore, a: string | undefined, b: string | undefined, dir: string, out: Array<{ path: string; oid: string }>): void {
  for (const ch of diffRawTrees(treeBytes(store, a), treeBytes(store, b))) {
    if (!ch.after) continue;
    const path = `${dir}/${ch.name}`;
    if (ch.after.isTree) added(store, ch.before?.isTree ? ch.before.oid : undefined, ch.after.oid, path, out);
    else if (!ch.before && ch.name.endsWith('.yaml')) out.push({ path, oid: ch.after.oid });
  }
}

export async function analysisEvents(store: ObjectStore, aRoot: string | undefined, bRoot: string | undefined): Promise<RegistryEvent[]> {
  const b = rawEntryAt(store, bRoot, ANALYSIS_DIR);
  if (!b?.isTree) return [];
  const a = rawEntryAt(store, aRoot, ANALYSIS_DIR);
  if (a?.isTree && a.oid === b.oid) return [];
  const files: Array<{ path: string; oid: string }> = [];
  added(store, a?.isTree ? a.oid : undefined, b.oid, ANALYSIS_DIR, files);
  const out: RegistryEvent[] = [];
  for (const f of files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))) {
    const { value } = validateText<Analysis>('analysis', await store.readText(f.oid), f.path);
    if (!value || value.phase !== 'Failed') continue;
    out.push({
      type: 'analysis', model: value.model, version: value.version, stage: value.stage, action: value.action, file: f.path,
      ...(value.restored ? { restored: value.restored } : {}),
      ...(value.refusal ? { reason: value.refusal } : {}),
    });
  }
  return out;
}
