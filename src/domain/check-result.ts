/**
 * The result of a check: what changed (events), what the policy said about each change
 * (decisions, each carrying the event it judged) and what is wrong (problems). Every front end
 * renders this one shape: the CLI's text, json and github formats (report/), the server and the
 * web UI; the exit code is computed from it, never set beside it.
 */
import type { RegistryEvent } from './events.js';
import type { Issue } from './issues.js';

/** One requirement of a policy decision: what it needs, what was found. */
export interface Requirement {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  rule?: string;
}

/** What the policy said about one event (the shape of policy's `Decision`, plus what it judged). */
export interface PolicyDecision {
  /** The event judged: the same object as in `CheckResult.events`. */
  event: RegistryEvent;
  /** What was judged, in words: `m 1.1.0: Staging → Production`, `register m 1.2.0`. */
  subject: string;
  model: string;
  version?: string;
  allowed: boolean;
  checks: Requirement[];
  message: string;
}

/** A version the change moves into a serving stage, with its metrics and those of the version it takes over from. */
export interface Promotion {
  model: string;
  version: string;
  stage: string;
  metrics: Record<string, number>;
  /** The version that held the stage before (archived or displaced by this change), when there was one. */
  previous?: { version: string; metrics: Record<string, number> };
}

export interface CheckResult {
  /** No problem is an error (the same as `exitCode(result) === 0`). */
  ok: boolean;
  files: number;
  models: number;
  versions: number;
  /** With a base: the two commits compared. */
  base?: string;
  head?: string;
  events: RegistryEvent[];
  decisions: PolicyDecision[];
  problems: Issue[];
  /** With a base: the versions moved into a serving stage (for metric deltas, e.g. GitLab's metrics report). */
  promotions?: Promotion[];
}

/** A check result from its parts; `ok` is derived from the problems. */
export function checkResult(parts: Omit<CheckResult, 'ok'>): CheckResult {
  return { ...parts, ok: !hasErrors(parts.problems) };
}

export function hasErrors(problems: Issue[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/**
 * The exit code of a check or of one policy decision: 0 when nothing fails, 1 when a problem
 * is an error or the decision denies.
 */
export function exitCode(result: Pick<CheckResult, 'problems'> | { allowed: boolean }): 0 | 1 {
  if ('allowed' in result) return result.allowed ? 0 : 1;
  return hasErrors(result.problems) ? 1 : 0;
}

/** The decisions that judged `event` (a registration into a later stage is judged twice). */
export function decisionsFor(result: Pick<CheckResult, 'decisions'>, event: RegistryEvent): PolicyDecision[] {
  return result.decisions.filter((d) => d.event === event);
}
