/** The policy engine's data: a loaded policy, the inputs of an evaluation and the decision it returns. */
import type { ModelVersion, Policy, RegisteredModel } from '../domain/schema-types.js';
import type { CompiledGuard } from './cel.js';
import type * as CelModule from './cel.js';
import type { DeploymentView } from '../domain/deployments.js';


export type { ModelVersion, Policy, RegisteredModel };

/**
 * The CEL module (policy/cel.ts, on @marcbachmann/cel-js). Loaded only for a policy that has a
 * guard or a monitor condition: a command under a policy without them never initialises it.
 */
export type CelEngine = typeof CelModule;

/** A policy document that parsed, validated and whose guards compiled. */
export interface LoadedPolicy {
  name: string;
  /** The file it was read from, for messages. */
  file: string;
  doc: Policy;
  /** Stage names in the order the policy lists them. */
  stages: string[];
  initialStage: string;
  archiveStage?: string;
  /** Compiled CEL guards keyed by the JSON path of their `when`, e.g. `transitions.1.when`. */
  guards: Map<string, CompiledGuard>;
  /** The CEL engine that compiled them and runs them: present when the policy has a guard or a monitor condition. */
  cel?: CelEngine;
}

/** One line of a decision's checklist: a requirement, what it asks, what was found. */
export interface Check {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  /** Which part of the policy asked for it, e.g. `transitions[1]`, `aliases.champion`, `rollback`. */
  rule?: string;
}

export interface Decision {
  allowed: boolean;
  checks: Check[];
  /** One sentence: why the change is allowed or denied. */
  message: string;
  /** For a move no rule matches: the stages the version may move to instead. */
  allowedMoves?: string[];
}

/** The person making the change. */
export interface Actor {
  email: string;
  name?: string;
  /** GitHub login, without the `github:` prefix. */
  github?: string;
  /**
   * Groups a front end vouches for (a `serve` token's `groups`). Guards see them in
   * `actor.groups`, together with the policy's own `groups:` that list the actor.
   */
  groups?: string[];
}

/** An approval the caller has verified as genuine. `stage` is a stage name, `alias:<name>`, `rollback` or `delete`. */
export interface ApprovalRecord {
  by: string;
  stage: string;
  at: string;
  comment?: string;
}

export interface TransitionInput {
  policy: LoadedPolicy;
  model: RegisteredModel;
  /** `version.stage` is the stage the move starts from. */
  version: ModelVersion;
  to: string;
  actor: Actor;
  now: Date;
  /** When the version entered its current stage; undefined fails any minTimeInStage check. */
  enteredStageAt?: Date;
  approvals: ApprovalRecord[];
  /**
   * Rollbacks of this version out of a stage, with the approvals recorded before each: under a
   * rule's `approvals.resetOn` they no longer count. Absent: none known.
   */
  resets?: ApprovalReset[];
  /** The environments where the version is deployed (what a guard's `deployments` holds); absent: none. */
  deployments?: Record<string, DeploymentView>;
}

/** The inputs common to alias, rollback and delete decisions. */
export interface ActionInput {
  policy: LoadedPolicy;
  model: RegisteredModel;
  version: ModelVersion;
  actor: Actor;
  now: Date;
  approvals: ApprovalRecord[];
}

export interface AliasInput extends ActionInput {
  alias: string;
}

export type Bump = 'major' | 'minor' | 'patch' | 'none';

export interface RegisterInput {
  policy: LoadedPolicy;
  model?: RegisteredModel;
  version: ModelVersion;
  /** The highest earlier release of the model, if any. */
  previous?: ModelVersion;
  /** How the new version differs from `previous`. */
  bump: Bump;
}

/** What a rule asks of approvals, with defaults applied. */
export interface ApprovalRule {
  min: number;
  from: string[];
  allowAuthor: boolean;
}

/** What voids earlier approvals (`approvals.resetOn`). */
export type ResetEvent = 'rollback';

/** A rollback that moved the version out of `stage`, and the approvals its file held then. */
export interface ApprovalReset {
  event: ResetEvent;
  stage: string;
  /** The rollback commit. */
  commit: string;
  /** Its committer time, ISO 8601. */
  at: string;
  /** The approval records for `stage` in the version file at that commit: all made before it. */
  stale: ApprovalRecord[];
}
