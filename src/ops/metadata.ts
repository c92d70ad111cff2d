/** Tags, descriptions and aliases: each change one commit that rewrites only the lines it changes. */
import { RegistryError } from '../errors/index.js';
import { parseAlias, parseKey } from '../domain/names.js';
import { parseVersion } from '../domain/versions.js';
import { editYaml } from '../domain/yaml-file.js';
import { normalizeField } from '../domain/render.js';
import { evaluateAlias, type Decision } from '../policy/index.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { deniedError } from './decisions.js';

export interface TagInput extends WriteOptions {
  model: string;
  version?: string;
  set?: Record<string, string>;
  delete?: string[];
}

/** Sets or deletes tags on a model (no version) or a version. */
export async function tag(ctx: Context, input: TagInput): Promise<WriteOutcome & { model: string; version?: string; tags: Record<string, string> }> {
  for (const k of [...Object.keys(input.set ?? {}), ...(input.delete ?? [])]) parseKey('tag', k);
  if (!Object.keys(input.set ?? {}).length && !(input.delete ?? []).length) throw new RegistryError('BAD_INPUT', 'Give at least one tag: KEY=VALUE to set, KEY to delete.', {});
  if (input.version) parseVersion(input.version);
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const target = input.version ? requireVersion(m, input.version) : { file: m.file, record: m.record };
    const tags: Record<string, string> = { ...(target.record.tags ?? {}) };
    for (const k of input.delete ?? []) {
      if (!(k in tags)) throw new RegistryError('NOT_FOUND', `${m.name}${input.version ? ` ${input.version}` : ''} has no tag ${k}.`, { tag: k });
      delete tags[k];
    }
    Object.assign(tags, input.set ?? {});
    const text = (await snap.text(target.file)) ?? '';
    const edits = [];
    for (const k of input.delete ?? []) edits.push({ path: ['tags', k], value: undefined });
    for (const [k, v] of Object.entries(input.set ?? {})) if (target.record.tags?.[k] !== v) edits.push({ path: ['tags', k], value: v });
    const next = editYaml(text, Object.keys(tags).length ? edits : [{ path: ['tags'], value: undefined }]);
    const what = `${m.name}${input.version ? ` ${input.version}` : ''}`;
    const desc = [...Object.entries(input.set ?? {}).map(([k, v]) => `${k}=${v}`), ...(input.delete ?? []).map((k) => `-${k}`)].join(' ');
    return {
      changes: next === text ? [] : [{ path: target.file, content: next }],
      message: { subject: `tag ${what}: ${desc}`, trailers: [['Modelreg-Action', 'tag'], ['Modelreg-Model', m.name], ...(input.version ? [['Modelreg-Version', input.version] as [string, string]] : [])] },
      result: { model: m.name, ...(input.version ? { version: input.version } : {}), tags: normalizeField('tags', tags) as Record<string, string> },
    };
  });
}

export interface DescribeInput extends WriteOptions {
  model: string;
  version?: string;
  description: string;
}

export async function describe(ctx: Context, input: DescribeInput): Promise<WriteOutcome & { model: string; version?: string }> {
  if (input.version) parseVersion(input.version);
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const target = input.version ? requireVersion(m, input.version) : { file: m.file, record: m.record };
    const text = (await snap.text(target.file)) ?? '';
    const next = editYaml(text, [{ path: ['description'], value: input.description === '' ? undefined : input.description }]);
    const what = `${m.name}${input.version ? ` ${input.version}` : ''}`;
    return {
      changes: next === text ? [] : [{ path: target.file, content: next }],
      message: { subject: `describe ${what}`, trailers: [['Modelreg-Action', 'describe'], ['Modelreg-Model', m.name], ...(input.version ? [['Modelreg-Version', input.version] as [string, string]] : [])] },
      result: { model: m.name, ...(input.version ? { version: input.version } : {}) },
    };
  });
}

export interface AliasInput extends WriteOptions {
  model: string;
  alias: string;
  /** undefined deletes the alias */
  version?: string;
}

/** Points an alias (e.g. champion) at a version, or removes it; gated by the policy's `aliases:`. */
export async function alias(ctx: Context, input: AliasInput): Promise<WriteOutcome & { model: string; alias: string; version?: string; previous?: string; decision?: Decision }> {
  parseAlias(input.alias);
  if (input.version !== undefined) parseVersion(input.version);
  const id = await ctx.identity();
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const previous = m.record.aliases?.[input.alias];
    if (input.version === undefined && previous === undefined) throw new RegistryError('NOT_FOUND', `${m.name} has no alias @${input.alias}.`, { alias: input.alias });
    let decision: Decision | undefined;
    if (input.version !== undefined) {
      const v = requireVersion(m, input.version);
      const policy = await policyFor(snap, m.record);
      const d = evaluateAlias({ policy, model: m.record, version: v.record, alias: input.alias, actor: { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, now: ctx.now(), approvals: v.record.approvals ?? [] });
      if (!d.allowed) throw deniedError(`${m.name}@${input.alias} -> ${input.version}`, d);
      decision = d;
    }
    const text = (await snap.text(m.file)) ?? '';
    const remaining = { ...(m.record.aliases ?? {}) };
    if (input.version === undefined) delete remaining[input.alias]; else remaining[input.alias] = input.version;
    const next = Object.keys(remaining).length
      ? editYaml(text, [{ path: ['aliases', input.alias], value: input.version }])
      : editYaml(text, [{ path: ['aliases'], value: undefined }]);
    const subject = input.version === undefined ? `alias ${m.name}@${input.alias}: removed (was ${previous})` : `alias ${m.name}@${input.alias} -> ${input.version}`;
    return {
      changes: next === text ? [] : [{ path: m.file, content: next }],
      message: { subject, trailers: [['Modelreg-Action', 'alias'], ['Modelreg-Model', m.name], ['Modelreg-Alias', input.alias], ...(input.version ? [['Modelreg-Version', input.version] as [string, string]] : [])] },
      result: { model: m.name, alias: input.alias, ...(input.version ? { version: input.version } : {}), ...(previous ? { previous } : {}), ...(decision ? { decision } : {}) },
    };
  });
}
