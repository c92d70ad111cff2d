/**
 * The policy engine: load the workflow DSL (policies/*.yaml), evaluate a change against it,
 * build the checklist. Pure: data in, decision out; time comes in as `now`.
 */
export type { Actor, ActionInput, AliasInput, ApprovalRecord, ApprovalRule, Bump, CelEngine, Check, Decision, LoadedPolicy, RegisterInput, TransitionInput } from './types.js';
export { loadPolicy, restorePolicy, restorePolicyWithIssues, policyCacheEntry, policyEngines, usesCel, usesMonitor, DEFAULT_ARCHIVE_STAGE, type PolicyCacheEntry, type PolicyEngines } from './load.js';
export { evaluateTransition, allowedMoves, approvalRequirements, approvalsResetOn, assertStage, evaluateReentry } from './transition.js';
export { applyResets, resetEvents, type ApprovalReset, type ResetEvent } from './resets.js';
export { evaluateAlias, evaluateRollback, evaluateDelete, evaluateRegister, automationTarget, isExclusive, defaultBump } from './actions.js';
export { evaluateModelMove, protectedStages, type ModelMoveInput } from './model-moves.js';
export { isEligibleApprover, normalizeIdentity, actorIdentities } from './identity.js';
export { parseDuration, formatDuration } from './duration.js';
// CEL (cel.ts) and monitors (monitor.ts, with JSONPath) are not re-exported: importing them runs
// cel-js and jsonpath-rfc9535, which a command under a policy without guards or monitors never needs.
// loadPolicy loads them for a policy that uses them; a caller that compiles CEL itself (search
// --filter) or runs monitors (watch) imports those modules directly.
export type { CompiledGuard } from './cel.js';
export { guardContext } from './checks.js';
export { describeCheck, failedChecks, renderChecklist, renderFailedChecks, denialSentence } from './checklist.js';
