/**
 * What an action's form offers to pick for a model: its policy's stages, its versions (newest
 * first) and its aliases, read at the branch tip (the model file, the folder's version names
 * and the policy; no version file).
 */
import { isRegistryError } from '../errors/index.js';
import { sortVersionsDesc } from '../domain/versions.js';
import type { Context } from './context.js';
import { requireModel } from './errors.js';
import { policyFor } from './policies.js';

export interface ActionChoices { stages: string[]; versions: string[]; aliases: string[] }

/** The choices for `model`, or empty lists when it does not exist (the form then says nothing more). */
export async function actionChoices(ctx: Context, model: string): Promise<ActionChoices> {
  try {
    const snap = await ctx.snapshotAt();
    const m = await requireModel(snap, model, true);
    const policy = await policyFor(snap, m.record);
    return { stages: [...policy.stages], versions: sortVersionsDesc(m.versions.keys()).slice(0, 100), aliases: Object.keys(m.record.aliases ?? {}).sort() };
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    return { stages: [], versions: [], aliases: [] };
  }
}
