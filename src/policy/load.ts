/** Loading a policy document: YAML and schema first, then the semantic rules, then the guards compiled. */
import type { Issue } from '../domain/issues.js';
import type { Policy } from '../domain/schema-types.js';
import { validateText } from '../domain/validate.js';
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
  const { value, issues, parsed } = validateText<Policy>('policy', text, file);
  if (!value) return { issues };
  const stages = value.stages.map((s) => s.name);
  const initialStage = value.initialStage ?? stages[0];
  const guards = new Map<string, CompiledGuard>();
  const ctx: RuleContext = { doc: value, file, parsed, stages, initialStage, issues: [...issues], guards };
  for (const rule of RULES) rule(ctx);
  if (ctx.issues.some((i) => i.severity === 'error')) return { issues: ctx.issues };
  const archiveStage = value.archiveStage ?? (stages.includes(DEFAULT_ARCHIVE_STAGE) ? DEFAULT_ARCHIVE_STAGE : undefined);
  const policy: LoadedPolicy = { name: value.name, file, doc: value, stages, initialStage, ...(archiveStage !== undefined ? { archiveStage } : {}), guards };
  return { policy, issues: ctx.issues };
}
