/** `registered-models/create` (MLflow): a model with no versions yet, as one commit. */
import { RegistryError } from '../errors/index.js';
import { parseKey, parseModelName } from '../domain/names.js';
import { renderModel } from '../domain/render.js';
import { modelFile, type RegisteredModel } from '../domain/state.js';
import type { Context } from './context.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';

export interface CreateModelInput extends WriteOptions {
  model: string;
  description?: string;
  tags?: Record<string, string>;
  owners?: string[];
}

/**
 * Creates a registered model (its model.yaml) without a version; VERSION_EXISTS when it exists.
 * @example await createModel(ctx, { model: 'churn', description: 'Churn classifier' })
 */
export async function createModel(ctx: Context, input: CreateModelInput): Promise<WriteOutcome & { model: string }> {
  parseModelName(input.model);
  for (const k of Object.keys(input.tags ?? {})) parseKey('tag', k);
  const id = await ctx.identity();
  const at = ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return runWrite(ctx, input, async (snap) => {
    const existing = await snap.model(input.model);
    if (existing) throw new RegistryError('VERSION_EXISTS', `Registered model ${existing.name} already exists.`, { model: existing.name });
    const cfg = await snap.config();
    const record: RegisteredModel = {
      name: input.model,
      ...(input.description ? { description: input.description } : {}),
      owners: input.owners?.length ? input.owners : [id.email],
      ...(input.tags && Object.keys(input.tags).length ? { tags: input.tags } : {}),
      created: { at, by: id.email },
    };
    const file = modelFile(cfg, input.model);
    return {
      changes: [{ path: file, content: renderModel(cfg, file, record) }],
      message: { subject: `create model ${input.model}`, body: input.description, trailers: [['Modelreg-Action', 'create-model'], ['Modelreg-Model', input.model]] },
      result: { model: input.model },
    };
  });
}
