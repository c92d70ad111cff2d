/**
 * What the rules of `check --base` share about one model changed by a pull request: its state
 * at base and head, the policy that governs it (the one at base), its events, the approvals
 * proved genuine, and where findings go.
 */
import type { PolicyDecision } from '../domain/check-result.js';
import type { RegistryEvent } from '../domain/events.js';
import { issue, type Issue } from '../domain/issues.js';
import type { ModelState, RegisteredModel } from '../domain/state.js';
import { denialSentence, type ApprovalRecord, type Decision, type LoadedPolicy } from '../policy/index.js';
import type { ObjectStore } from '../storage/objects.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { RangeCommit } from './commit-range.js';
import type { Context } from './context.js';

/** Where the rules put what they find. */
export interface Findings {
  problems: Issue[];
  decisions: PolicyDecision[];
}

export interface ModelChange {
  ctx: Context;
  store: ObjectStore;
  base: Snapshot;
  range: RangeCommit[];
  /** The model's key (its name, case-folded). */
  name: string;
  before?: ModelState;
  after?: ModelState;
  modelFile: string;
  policy: LoadedPolicy;
  /** The model as it is at base governs (its owners count as approvers); a new model governs itself. */
  governing: RegisteredModel;
  events: RegistryEvent[];
  /** Approval records added in the change and proved genuine, by version. */
  genuine: Map<string, ApprovalRecord[]>;
  found: Findings;
  /** An `origin` claim whose source cannot be read is an error, not a warning. */
  verifyOrigin?: boolean;
}

/** The file an event is about: the version's file at head, else at base, else the model file. */
export function fileOf(m: ModelChange, e: RegistryEvent): string {
  if (!('version' in e) || !e.version) return m.modelFile;
  return m.after?.versions.get(e.version)?.file ?? m.before?.versions.get(e.version)?.file ?? m.modelFile;
}

/** The approvals that count for a version: those at base and the genuine ones added. */
export function approvalsFor(m: ModelChange, version: string): ApprovalRecord[] {
  return [...(m.before?.versions.get(version)?.record.approvals ?? []), ...(m.genuine.get(version) ?? [])];
}

/** The author of a commit of the change, or `unknown` when none is found. */
export function authorOf(c: RangeCommit | undefined): string {
  return c?.info.author.email ?? 'unknown';
}

/** Records what the policy said about `event`; a denial is also a problem in `file`. */
export function decide(m: ModelChange, event: RegistryEvent, subject: string, d: Decision, file: string, rule: string): void {
  const version = 'version' in event ? event.version : event.type === 'alias' ? event.to : undefined;
  m.found.decisions.push({ event, subject, model: (event as { model: string }).model, ...(version ? { version } : {}), allowed: d.allowed, checks: d.checks, message: d.message });
  if (!d.allowed) m.found.problems.push(issue(file, rule, denialSentence(subject, d)));
}

/** Adds a problem. */
export function report(m: ModelChange, p: Issue): void {
  m.found.problems.push(p);
}
