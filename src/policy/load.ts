/** Loading a policy document: YAML and schema first, then the semantic rules, then the guards compiled. */
import type { Issue } from '../domain/issues.js';
import type { Policy } from '../domain/schema-types.js';
import { isValidValue, validateText } from '../domain/validate.js';
import type { CompiledGuard } from './cel.js';
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
  const v = validateText<Policy>('policy', text, file);
  const { value, issues } = v;
  if (!value) return { issues };
  const stages = value.stages.map((s) => s.name);
  const initialStage = value.initialStage ?? stages[0];
  const guards = new Map<string, CompiledGuard>();
  // Positions only when a rule reports a problem: `parsed` runs the general YAML parser.
  const ctx: RuleContext = { doc: value, file, get parsed() { return v.parsed; }, stages, initialStage, issues: [...issues], guards };
  for (const rule of RULES) rule(ctx);
  if (ctx.issues.some((i) => i.severity === 'error')) return { issues: ctx.issues };
  return { policy: loaded(value, file, stages, initialStage, guards), issues: ctx.issues };
}

/** What a loaded policy is remembered by between processes: its validated document. */
export interface PolicyCacheEntry {
  doc: Policy;
}

export function policyCacheEntry(policy: LoadedPolicy): PolicyCacheEntry {
  return { doc: policy.doc };
}

/**
 * A policy loaded before from the same text (the cache is keyed by blob id), rebuilt without
 * parsing YAML: the document is checked against the schema and the policy rules again (both
 * cheap without YAML), so an entry written by another modelreg version, or tampered with, is
 * held to this version's rules. Undefined when anything fails; the file is then loaded afresh
 * and its problems reported with lines.
 */
export function restorePolicy(entry: unknown, file: string): LoadedPolicy | undefined {
  const doc = (entry as Partial<PolicyCacheEntry> | undefined)?.doc;
  if (!doc || !isValidValue('policy', doc)) return undefined;
  const stages = doc.stages.map((s) => s.name);
  const initialStage = doc.initialStage ?? stages[0];
  const guards = new Map<string, CompiledGuard>();
  // No source text: a rule's issue is placed at line 1, and any error means "load the file".
  const ctx: RuleContext = { doc, file, parsed: { value: doc, issues: [] }, stages, initialStage, issues: [], guards };
  for (const rule of RULES) rule(ctx);
  if (ctx.issues.some((i) => i.severity === 'error')) return undefined;
  return loaded(doc, file, stages, initialStage, guards);
}

function loaded(doc: Policy, file: string, stages: string[], initialStage: string, guards: Map<string, CompiledGuard>): LoadedPolicy {
  const archiveStage = doc.archiveStage ?? (stages.includes(DEFAULT_ARCHIVE_STAGE) ? DEFAULT_ARCHIVE_STAGE : undefined);
  return { name: doc.name, file, doc, stages, initialStage, ...(archiveStage !== undefined ? { archiveStage } : {}), guards };
}

