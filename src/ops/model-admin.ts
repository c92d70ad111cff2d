/**
 * `model rename` and `model delete` (MLflow's registered-models/rename and /delete): a whole
 * model moved to a new folder, or removed, as one commit under the policy. Both are refused
 * (DENIED, with the checklist) while a version holds a protected stage — the rule
 * `check --base` applies to the same change (policy/model-moves.ts).
 */
import { RegistryError } from '../errors/index.js';
import { modelKey, parseModelName } from '../domain/names.js';
import { schemaRef } from '../domain/render.js';
import { modelFile, versionFile, type ModelState } from '../domain/state.js';
import { editYaml } from '../domain/yaml-file.js';
import { deploymentFile } from '../domain/deployments.js';
import { deploymentsOfModel } from '../storage/deployments.js';
import { evaluateModelMove } from '../policy/model-moves.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { FileChange } from '../storage/write.js';
import type { Context } from './context.js';
import { deniedError } from './decisions.js';
import { requireModel } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';

export interface RenameModelInput extends WriteOptions {
  model: string;
  to: string;
  reason?: string;
}

export interface DeleteModelInput extends WriteOptions {
  model: string;
  reason?: string;
}

/** Every file path under the model's folder, so a rename or delete leaves nothing behind it does not know. */
async function folderFiles(snap: Snapshot, m: ModelState): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const e = await snap.entry(dir);
    if (!e || e.type !== 'tree') return;
    for (const c of await snap.store.readTree(e.oid)) {
      const path = `${dir}/${c.path}`;
      if (c.type === 'tree') await walk(path);
      else out.push(path);
    }
  };
  await walk(m.dir);
  const known = new Set([m.file, ...[...m.versions.values()].map((v) => v.file)]);
  const other = out.filter((p) => !known.has(p));
  if (other.length) throw new RegistryError('BAD_INPUT', `The folder of ${m.name} holds files that are not its model or version files (${other.slice(0, 5).join(', ')}); move or remove them by hand in a pull request first.`, { model: m.name, files: other });
  return out;
}

async function judged(ctx: Context, snap: Snapshot, m: ModelState, action: 'rename' | 'delete', to?: string): Promise<void> {
  const id = await ctx.identity();
  const policy = await policyFor(snap, m.record);
  const versions = [...m.versions.values()].map((v) => v.record);
  const d = evaluateModelMove({ policy, model: m.record, versions, action, ...(to ? { to } : {}), actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now() });
  if (!d.allowed) throw deniedError(action === 'rename' ? `renaming ${m.name}` : `deleting ${m.name}`, d, { model: m.name });
}

/**
 * Renames a model: its folder moves to the new name and every file says the new name, in one commit.
 * @example await renameModel(ctx, { model: 'churn', to: 'churn-classifier' })
 */
export async function renameModel(ctx: Context, input: RenameModelInput): Promise<WriteOutcome & { model: string; to: string; versions: number }> {
  parseModelName(input.model);
  parseModelName(input.to);
  if (modelKey(input.model) === modelKey(input.to)) throw new RegistryError('BAD_INPUT', `${input.model} and ${input.to} differ only by case, which makes them one name; pick another name.`, { model: input.model, to: input.to });
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model);
    const taken = await snap.model(input.to);
    if (taken) throw new RegistryError('VERSION_EXISTS', `Registered model ${taken.name} already exists; rename ${m.name} to a name no model has.`, { model: taken.name });
    await judged(ctx, snap, m, 'rename', input.to);
    await folderFiles(snap, m);
    const cfg = await snap.config();
    const changes: FileChange[] = [];
    const move = async (from: string, to: string, field: 'name' | 'model', schema: 'model' | 'version' | 'deployment') => {
      const text = (await snap.text(from)) ?? '';
      let next = editYaml(text, [{ path: [field], value: input.to }]);
      // The editor hint names the schema relative to the file: a move into or out of a namespace changes it.
      next = next.replace(/^(# yaml-language-server: \$schema=)(\S+)/, (all, head: string, old: string) => (old === schemaRef(cfg, from, schema) ? `${head}${schemaRef(cfg, to, schema)}` : all));
      changes.push({ path: from, content: null }, { path: to, content: next });
    };
    await move(m.file, modelFile(cfg, input.to), 'name', 'model');
    for (const v of m.versions.values()) await move(v.file, versionFile(cfg, input.to, v.record.version), 'model', 'version');
    // What is deployed where moves with the model (deployments/<env>/<model>.yaml names it).
    for (const d of await deploymentsOfModel(snap, m.name)) await move(deploymentFile(d.env, m.name), deploymentFile(d.env, input.to), 'model', 'deployment');
    return {
      changes,
      message: { subject: `rename model ${m.name} to ${input.to}`, body: input.reason, trailers: [['Modelreg-Action', 'rename-model'], ['Modelreg-Model', m.name], ['Modelreg-To-Model', input.to]] },
      result: { model: m.name, to: input.to, versions: m.versions.size },
    };
  });
}

/**
 * Deletes a model: its folder is removed in one commit.
 * @example await deleteModel(ctx, { model: 'iris' })
 */
export async function deleteModel(ctx: Context, input: DeleteModelInput): Promise<WriteOutcome & { model: string; versions: number }> {
  parseModelName(input.model);
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model);
    await judged(ctx, snap, m, 'delete');
    const files = await folderFiles(snap, m);
    // Its deployment records go with it: they may name only registered models.
    for (const d of await deploymentsOfModel(snap, m.name)) files.push(deploymentFile(d.env, m.name));
    return {
      changes: files.map((path) => ({ path, content: null })),
      message: { subject: `delete model ${m.name}`, body: input.reason, trailers: [['Modelreg-Action', 'delete-model'], ['Modelreg-Model', m.name]] },
      result: { model: m.name, versions: m.versions.size },
    };
  });
}
