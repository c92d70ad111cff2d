/** Loading a policy document: YAML and schema first, then the semantic rules, then the guards compiled. */
import type { Issue } from '../domain/issues.js';
import type { ParsedYaml } from '../domain/yaml-file.js';
import type { Policy } from '../domain/schema-types.js';
import { isValidValue, validateText } from '../domain/validate.js';
import type { CompiledGuard } from './cel.js';
import { guardSites, RULES, type MonitorEngine, type RuleContext } from './rules.js';
import type { CelEngine, LoadedPolicy } from './types.js';

/** The stage the previous holder of an exclusive stage goes to when the policy does not say. */
export const DEFAULT_ARCHIVE_STAGE = 'Archived';

/**
 * Parses, validates and compiles a policy. Problems are collected as issues with file, line and
 * column; `policy` is set only when there is no error (warnings do not stop it). Asynchronous
 * because a policy with guards or monitors loads the CEL and JSONPath engines on first use
 * (`policyEngines`); one without them never does.
 * @example
 * const { policy, issues } = await loadPolicy(text, 'policies/default.yaml');
 * if (!policy) for (const i of issues) console.error(formatIssue(i));
 */
export async function loadPolicy(text: string, file: string): Promise<{ policy?: LoadedPolicy; issues: Issue[] }> {
  const v = validateText<Policy>('policy', text, file);
  if (!v.value) return { issues: v.issues };
  // Positions only for a rule that reports something: a policy the fast path read is parsed
  // again with the yaml library (lines and columns) only then.
  const { policy, issues: all } = compile(v.value, file, () => v.parsed, v.issues, await policyEngines(v.value));
  return policy ? { policy, issues: all } : { issues: all };
}

/**
 * What a loaded policy is remembered by between processes: its validated document, and the
 * warnings its text gave (with their lines), which `check` reports again without parsing the text.
 */
export interface PolicyCacheEntry {
  doc: Policy;
  issues?: Issue[];
}

export function policyCacheEntry(policy: LoadedPolicy, issues?: Issue[]): PolicyCacheEntry {
  return { doc: policy.doc, ...(issues ? { issues } : {}) };
}

/**
 * A policy loaded before from the same text (the cache is keyed by blob id), rebuilt without
 * parsing YAML: the document is checked against the schema and the policy rules again (both
 * cheap without YAML), so an entry written by another modelreg version, or tampered with, is
 * held to this version's rules. Undefined when anything fails; the file is then loaded afresh
 * and its problems reported with lines.
 */
export async function restorePolicy(entry: unknown, file: string): Promise<LoadedPolicy | undefined> {
  return (await restore(entry, file))?.policy;
}

/**
 * A policy and the problems `loadPolicy` found in its text, from a cache entry that holds both
 * (`policyCacheEntry(policy, issues)`): what `check` reports for an unchanged policy file without
 * parsing it again (the yaml library's parse with positions was about 25 M instructions of a
 * `check --base`). The stored issues stand for the text only when this version's rules, run
 * again on the document, find the same ones (same rule, field, severity and message); otherwise,
 * as for an entry without issues, undefined, and the caller loads the text.
 */
export async function restorePolicyWithIssues(entry: unknown, file: string): Promise<{ policy: LoadedPolicy; issues: Issue[] } | undefined> {
  const stored = (entry as Partial<PolicyCacheEntry> | undefined)?.issues;
  if (!Array.isArray(stored)) return undefined;
  const found = await restore(entry, file);
  if (!found || found.issues.length !== stored.length) return undefined;
  const same = (a: Issue, b: unknown): boolean => {
    const s = b as Partial<Issue> | null;
    return !!s && s.rule === a.rule && s.field === a.field && s.severity === a.severity && s.message === a.message && Number.isInteger(s.line) && Number.isInteger(s.column);
  };
  if (!found.issues.every((i, n) => same(i, stored[n]))) return undefined;
  return { policy: found.policy, issues: found.issues.map((i, n) => ({ ...i, line: stored[n].line, column: stored[n].column })) };
}

async function restore(entry: unknown, file: string): Promise<{ policy: LoadedPolicy; issues: Issue[] } | undefined> {
  const doc = (entry as Partial<PolicyCacheEntry> | undefined)?.doc;
  if (!doc || !isValidValue('policy', doc)) return undefined;
  // No source text: a rule's issue is placed at line 1, and any error means "load the file".
  const { policy, issues } = compile(doc, file, () => ({ value: doc, issues: [] }), [], await policyEngines(doc));
  return policy && !issues.some((i) => i.severity === 'error') ? { policy, issues } : undefined;
}

/** The optional engines a validated policy document needs. */
export interface PolicyEngines {
  cel?: CelEngine;
  monitor?: MonitorEngine;
}

/** Whether a policy has anything written in CEL: a `when` guard or a stage monitor (its conditions). */
export function usesCel(doc: Policy): boolean {
  return guardSites(doc).length > 0 || usesMonitor(doc);
}

/** Whether a stage of the policy has a `monitor:` (JSONPaths and conditions to check). */
export function usesMonitor(doc: Policy): boolean {
  return doc.stages.some((s) => s.monitor !== undefined);
}

/**
 * Loads the engines a policy document needs, and only those: cel-js (about 4 ms of module
 * initialisation) for guards, jsonpath-rfc9535 for monitors. `await import()` is the only way to
 * load cel-js on demand (it is an ES module); in the CLI bundle esbuild turns it into a call of the
 * module's init function, so a command under a policy without guards never runs cel-js.
 */
export async function policyEngines(doc: Policy): Promise<PolicyEngines> {
  const [cel, monitor] = await Promise.all([usesCel(doc) ? import('./cel.js') : undefined, usesMonitor(doc) ? import('./monitor.js') : undefined]);
  return { ...(cel ? { cel } : {}), ...(monitor ? { monitor } : {}) };
}

function compile(doc: Policy, file: string, parsed: () => ParsedYaml, issues: Issue[], engines: PolicyEngines): { policy?: LoadedPolicy; issues: Issue[] } {
  const stages = doc.stages.map((s) => s.name);
  const initialStage = doc.initialStage ?? stages[0];
  const guards = new Map<string, CompiledGuard>();
  const ctx: RuleContext = { doc, file, get parsed() { return parsed(); }, stages, initialStage, issues: [...issues], guards, ...engines };
  for (const rule of RULES) rule(ctx);
  if (ctx.issues.some((i) => i.severity === 'error')) return { issues: ctx.issues };
  const archiveStage = doc.archiveStage ?? (stages.includes(DEFAULT_ARCHIVE_STAGE) ? DEFAULT_ARCHIVE_STAGE : undefined);
  const policy: LoadedPolicy = { name: doc.name, file, doc, stages, initialStage, ...(archiveStage !== undefined ? { archiveStage } : {}), guards, ...(engines.cel ? { cel: engines.cel } : {}) };
  return { policy, issues: ctx.issues };
}
