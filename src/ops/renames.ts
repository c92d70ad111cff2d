/**
 * A pull request that renames or moves a model folder (`git mv registry/fraud registry/fraud2`,
 * with or without the names inside the files edited). A rename is one change, never judged as
 * a removal and a new model. A clean rename (every file inside names the new model, as
 * `modelreg model rename` writes it) is judged by the rule the write applies
 * (policy/model-moves.ts: no version in a protected stage at base); a folder moved without its
 * names is one named problem that gives both names.
 */
import { issue, type Issue } from '../domain/issues.js';
import { modelKey } from '../domain/names.js';
import type { ModelState } from '../domain/state.js';
import { changedFiles } from '../storage/tree-diff.js';
import { cachedTreeBytes } from '../storage/tree-file-cache.js';
import type { Snapshot } from '../storage/snapshot.js';
import { evaluateModelMove } from '../policy/model-moves.js';
import { modelAt } from './commit-range.js';
import { loadPolicyAt, policyNameOf } from './policies.js';

/** Model folders (relative to the registry folder) with a changed file. */
async function touchedFolders(base: Snapshot, head: Snapshot, registry: string): Promise<string[]> {
  const changed = changedFiles(head.store, (await base.entry(registry))?.oid, (await head.entry(registry))?.oid, '', (st, oid) => cachedTreeBytes(st, oid, head.keepDerived));
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

/** JSON with sorted keys, so two records compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Every file names `to` and nothing else changed: the same versions with the same content, the model record the same but its name. */
function unchangedButName(before: ModelState, after: ModelState, to: string): boolean {
  if (after.record.name !== to || before.versions.size !== after.versions.size) return false;
  if (canonical({ ...before.record, name: to }) !== canonical(after.record)) return false;
  for (const v of before.versions.values()) {
    const w = after.versions.get(v.record.version);
    if (!w || canonical({ ...v.record, model: to }) !== canonical(w.record)) return false;
  }
  return true;
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
      out.add(modelKey(from)).add(modelKey(to)).add(modelKey(after.record.name));
      const clean = unchangedButName(before, after, to);
      if (clean) {
        // A clean rename (what `modelreg model rename` writes) is judged by the rule the write applies, with the base policy.
        const policy = await loadPolicyAt(base, policyNameOf(before.record));
        const d = evaluateModelMove({ policy, model: before.record, versions: [...before.versions.values()].map((v) => v.record), action: 'rename', to, actor: { email: 'unknown' }, now: new Date(0) });
        if (d.allowed) continue;
        problems.push(issue(`${registry}/${to}/model.yaml`, 'model-renamed', `model ${from} was renamed or moved to ${to} (${registry}/${from} → ${registry}/${to}), but ${d.message.replace(/^model \S+ cannot be renamed[^:]*: /, '')}; a model whose versions serve keeps its name: move the folder back to ${registry}/${from}, or take the versions out of the protected stages first`));
        continue;
      }
      problems.push(issue(`${registry}/${to}/model.yaml`, 'model-renamed', `model ${from} was renamed or moved to ${to} (${registry}/${from} → ${registry}/${to}); it is not a clean rename (a file inside does not name ${to}, or other fields changed with the move), so it cannot be judged as one: move the folder back to ${registry}/${from} and run \`modelreg model rename ${from} ${to}\` (it rewrites the names inside), or register ${to} as a new model and deprecate the versions of ${from}`));
    }
  }
  return out;
}
