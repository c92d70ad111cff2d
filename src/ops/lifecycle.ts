/** `deprecate` and `delete`: a deprecation is a mutable field; a deletion is a policy-governed commit whose number is never reused. */
import { RegistryError } from '../errors/index.js';
import { editYaml } from '../domain/yaml-file.js';
import { sortVersionsDesc } from '../domain/versions.js';
import { evaluateDelete } from '../policy/index.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { deniedError } from './decisions.js';

export interface DeprecateInput extends WriteOptions {
  model: string;
  version: string;
  reason?: string;
  /** Undo a deprecation. */
  undo?: boolean;
}

export async function deprecate(ctx: Context, input: DeprecateInput): Promise<WriteOutcome & { model: string; version: string; deprecated: boolean }> {
  const id = await ctx.identity();
  const at = ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const v = requireVersion(m, input.version);
    if (!input.undo && v.record.deprecated) throw new RegistryError('BAD_INPUT', `${m.name} ${input.version} is already deprecated (since ${v.record.deprecated.at}).`, {});
    if (input.undo && !v.record.deprecated) throw new RegistryError('BAD_INPUT', `${m.name} ${input.version} is not deprecated.`, {});
    const value = input.undo ? undefined : { at, by: id.email, ...(input.reason ? { reason: input.reason } : {}) };
    const text = (await snap.text(v.file)) ?? '';
    return {
      changes: [{ path: v.file, content: editYaml(text, [{ path: ['deprecated'], value }]) }],
      message: { subject: `${input.undo ? 'undeprecate' : 'deprecate'} ${m.name} ${input.version}`, body: input.reason, trailers: [['Modelreg-Action', 'deprecate'], ['Modelreg-Model', m.name], ['Modelreg-Version', input.version]] },
      result: { model: m.name, version: input.version, deprecated: !input.undo },
    };
  });
}

export interface DeleteInput extends WriteOptions {
  model: string;
  version: string;
  reason?: string;
}

export async function deleteVersion(ctx: Context, input: DeleteInput): Promise<WriteOutcome & { model: string; version: string }> {
  const id = await ctx.identity();
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const v = requireVersion(m, input.version);
    const policy = await policyFor(snap, m.record);
    const d = evaluateDelete({ policy, model: m.record, version: v.record, actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(), approvals: v.record.approvals ?? [] });
    if (!d.allowed) throw deniedError(`deleting ${m.name} ${input.version}`, d);
    const aliases = Object.entries(m.record.aliases ?? {}).filter(([, x]) => x === input.version).map(([a]) => a);
    if (aliases.length) throw new RegistryError('BAD_INPUT', `${m.name} ${input.version} is the target of alias${aliases.length > 1 ? 'es' : ''} ${aliases.map((a) => `@${a}`).join(', ')}. Move or delete the alias first (modelreg alias delete ${m.name} ${aliases[0]}).`, {});
    const deleted = sortVersionsDesc(new Set([...(m.record.deletedVersions ?? []), input.version])).reverse();
    const modelText = (await snap.text(m.file)) ?? '';
    return {
      changes: [
        { path: v.file, content: null },
        { path: m.file, content: editYaml(modelText, [{ path: ['deletedVersions'], value: deleted }]) },
      ],
      message: { subject: `delete ${m.name} ${input.version}`, body: input.reason, trailers: [['Modelreg-Action', 'delete'], ['Modelreg-Model', m.name], ['Modelreg-Version', input.version]] },
      result: { model: m.name, version: input.version },
    };
  });
}
