/**
 * The policy engine: load the workflow DSL (policies/*.yaml), evaluate a change against it,
 * build the checklist. Pure: data in, decision out; time comes in as `now`.
 */
export type { Actor, ActionInput, AliasInput, ApprovalRecord, ApprovalRule, Bump, Check, Decision, LoadedPolicy, RegisterInput, TransitionInput } from './types.js';
export { loadPolicy, restorePolicy, policyCacheEntry, DEFAULT_ARCHIVE_STAGE, type PolicyCacheEntry } from './load.js';
export { evaluateTransition, allowedMoves, approvalRequirements, approvalsResetOn, assertStage, evaluateReentry } from './transition.js';
export { applyResets, resetEvents, type ApprovalReset, type ResetEvent } from './resets.js';
export { evaluateAlias, evaluateRollback, evaluateDelete, evaluateRegister, automationTarget, isExclusive, defaultBump } from './actions.js';
export { evaluateModelMove, protectedStages, type ModelMoveInput } from './model-moves.js';
export { isEligibleApprover, normalizeIdentity, actorIdentities } from './identity.js';
export { parseDuration, formatDuration } from './duration.js';
export { compileGuard, evaluateGuard, CEL_LIMITS, MAX_COMPREHENSION_DEPTH, MAX_ITERATIONS, type CompiledGuard } from './cel.js';
export { guardContext } from './checks.js';
export { describeCheck, failedChecks, renderChecklist, renderFailedChecks, denialSentence } from './checklist.js';
export { monitorOf, judge, metricPhase, analysisPhase, conditionKey, providerOf, promqlString, substitute, selectJsonPath, MONITOR_DEFAULTS, type MonitorPlan, type MeasurementPhase, type AnalysisPhase, type Provider } from './monitor.js';
