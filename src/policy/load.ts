/** Loading a policy document: YAML and schema first, then the semantic rules, then the guards compiled. */
import type { Issue } from '../domain/issues.js';
import type { Policy } from '../domain/schema-types.js';
import { validateText } from '../domain/validate.js';
import { compileGuard, type CompiledGuard } from './cel.js';
import { RULES, type RuleContext } from './rules.js';
import type { LoadedPolicy } from './types.js';

/** The stage the previous holder of an exclusive stage goes to when the policy does not say. */
export const DEFAULT_ARCHIVE_STAGE = 'Archived';

/**
 * Parses, validates and compiles a policy. Problems are collected as issues with file, line and
 * column; `policy` is set only when there is no error (warnings do not stop it).
 * @example
 * const { policy, issues } = loadPolicy(text, 'policies/default.yaml');
 * if (!policy) for (const i of issues) console.error(formatIssue(i));
 */
export function loadPolicy(text: string, file: string): { policy?: LoadedPolicy; issues: Issue[] } {
  const { value, issues, parsed } = validateText<Policy>('policy', text, file);
  if (!value) return { issues };
  const stages = value.stages.map((s) => s.name);
  const initialStage = value.initialStage ?? stages[0];
  const guards = new Map<string, CompiledGuard>();
  const ctx: RuleContext = { doc: value, file, parsed, stages, initialStage, issues: [...issues], guards };
  for (const rule of RULES) rule(ctx);
  if (ctx.issues.some((i) => i.severity === 'error')) return { issues: ctx.issues };
  return { policy: loaded(value, file, stages, initialStage, guards), issues: ctx.issues };
}

/** What a loaded policy is remembered by between processes: the validated document and its guard sources. */
export interface PolicyCacheEntry {
  doc: Policy;
  guards: Record<string, string>;
}

export function policyCacheEntry(policy: LoadedPolicy): PolicyCacheEntry {
  return { doc: policy.doc, guards: Object.fromEntries([...policy.guards].map(([k, g]) => [k, g.source])) };
}

/**
 * A policy loaded before from the same text (the cache is keyed by blob id), rebuilt without
 * parsing YAML or running the rules again: both gave no error then and would give none now.
 * Undefined when the entry is not the shape this version writes (it is then loaded afresh).
 */
export function restorePolicy(entry: unknown, file: string): LoadedPolicy | undefined {
  const e = entry as PolicyCacheEntry | undefined;
  if (!e || typeof e !== 'object' || !e.doc || typeof e.doc !== 'object' || typeof e.doc.name !== 'string' || !Array.isArray(e.doc.stages)
    || !e.doc.stages.every((s) => s && typeof s.name === 'string') || !e.guards || typeof e.guards !== 'object') return undefined;
  const guards = new Map<string, CompiledGuard>();
  for (const [key, source] of Object.entries(e.guards)) {
    if (typeof source !== 'string') return undefined;
    const { guard } = compileGuard(source);
    if (!guard) return undefined;
    guards.set(key, guard);
  }
  const stages = e.doc.stages.map((s) => s.name);
  return loaded(e.doc, file, stages, e.doc.initialStage ?? stages[0], guards);
}

function loaded(doc: Policy, file: string, stages: string[], initialStage: string, guards: Map<string, CompiledGuard>): LoadedPolicy {
  const archiveStage = doc.archiveStage ?? (stages.includes(DEFAULT_ARCHIVE_STAGE) ? DEFAULT_ARCHIVE_STAGE : undefined);
  return { name: doc.name, file, doc, stages, initialStage, ...(archiveStage !== undefined ? { archiveStage } : {}), guards };
}

