/**
 * CEL guards (`when:`), on @marcbachmann/cel-js. Compiling catches syntax errors, unknown
 * variables and fields, type errors and guards too costly to run; evaluating fails closed:
 * anything but `true` (false, an error, a non-bool) is a failed check, never an allow.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { analyze } from './cel-analyze.js';
import { celName, re2SyntaxError, registerRe2Matches, useRe2Matches } from './cel-regex.js';
import { ROOT_SHAPES, type Shape } from './shapes.js';

/** Structural limits checked when a guard is parsed (cel-js enforces them). */
export const CEL_LIMITS = { maxAstNodes: 1000, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 };
/** Comprehension macros (all, exists, exists_one, map, filter) may nest at most this deep. */
export const MAX_COMPREHENSION_DEPTH = 2;
/** An evaluation whose worst case (largest collection ^ comprehension depth) exceeds this is refused. */
export const MAX_ITERATIONS = 1_000_000;

export interface CompiledGuard {
  source: string;
  comprehensionDepth: number;
  largestLiteral: number;
  run: ParseResult;
}

export interface GuardError {
  rule: 'cel-compile' | 'cel-unknown-field' | 'cel-type' | 'cel-too-complex' | 'cel-regex';
  message: string;
  /** 0-based offset in the expression. */
  offset?: number;
}

export interface GuardContext {
  version: unknown;
  model: unknown;
  actor: unknown;
  now: Date;
  /** env → the version's deployment there (transition guards; `{}` elsewhere). */
  deployments?: unknown;
}

export type GuardResult = { ok: true; actual: 'true' } | { ok: false; actual: string };

let shared: Environment | undefined;
let conditions: Environment | undefined;
/** One environment for every guard: building one is the expensive part, and it holds no per-policy state. */
function environment(): Environment {
  shared ??= registerRe2Matches(new Environment({ limits: CEL_LIMITS }))
    .registerVariable('version', 'map', { description: 'The model version record' })
    .registerVariable('model', 'map', { description: 'The registered model record' })
    .registerVariable('actor', 'map', { description: 'The person making the change: email, name, github' })
    .registerVariable('now', 'google.protobuf.Timestamp', { description: 'The time of the change' })
    .registerVariable('deployments', 'map', { description: 'The environments where the version is deployed: env -> version, status, url, at, by' });
  return shared;
}

/** The environment of a monitor metric's success/failure condition (policy/monitor.ts). */
function conditionEnvironment(): Environment {
  conditions ??= registerRe2Matches(new Environment({ limits: CEL_LIMITS }))
    .registerVariable('result', 'dyn', { description: 'The measured value' })
    .registerVariable('version', 'map', { description: 'The record of the version holding the stage' })
    .registerVariable('baseline', 'map', { description: 'The record of the version the stage held before' });
  return conditions;
}

/** What the analyzer knows of a condition's variables: `baseline` is a version record too. */
const CONDITION_SCOPE: ReadonlyMap<string, Shape | undefined> = new Map([['result', undefined], ['baseline', ROOT_SHAPES.version]]);

function at(offset: number | undefined): string {
  return offset === undefined ? '' : ` (at character ${offset + 1} of the expression)`;
}

interface CelErrorLike { code?: string; summary?: string; message?: string; range?: { start: number } }

/**
 * Compiles a guard, or says why it cannot be used.
 * @example compileGuard('version.metrics.auc >= 0.9').guard?.comprehensionDepth // 0
 * @example compileGuard('version.metricz.auc > 0').error?.rule // 'cel-unknown-field'
 */
export function compileGuard(source: string): { guard?: CompiledGuard; error?: GuardError } {
  return compileIn(environment(), source, undefined, 'version, model, actor, now and deployments');
}

/**
 * Compiles a monitor condition: CEL over `result`, `version` and `baseline` (policy/monitor.ts).
 * @example compileCondition('result >= baseline.metrics.auc - 0.02').guard !== undefined // true
 */
export function compileCondition(source: string): { guard?: CompiledGuard; error?: GuardError } {
  return compileIn(conditionEnvironment(), source, CONDITION_SCOPE, 'result, version and baseline');
}

function compileIn(env: Environment, source: string, scope: ReadonlyMap<string, Shape | undefined> | undefined, variables: string): { guard?: CompiledGuard; error?: GuardError } {
  let run: ParseResult;
  try {
    run = env.parse(source);
  } catch (e) {
    const err = e as CelErrorLike;
    const offset = err.range?.start;
    if (err.code === 'limit_exceeded') return { error: { rule: 'cel-too-complex', message: `guard is too large: ${err.summary}${at(offset)}; split it or simplify it`, offset } };
    return { error: { rule: 'cel-compile', message: `guard does not compile: ${err.summary ?? err.message}${at(offset)}`, offset } };
  }
  const patterns = useRe2Matches(run.ast);
  const { fieldErrors, comprehensionDepth, largestLiteral } = analyze(run.ast, source, scope);
  if (fieldErrors.length) {
    const first = fieldErrors[0];
    return { error: { rule: 'cel-unknown-field', message: `${fieldErrors.map((f) => f.message).join('; ')}${at(first.offset)}`, offset: first.offset } };
  }
  for (const { pattern, offset } of patterns) {
    const why = re2SyntaxError(pattern);
    if (why !== undefined) {
      return { error: { rule: 'cel-regex', message: `matches() pattern ${JSON.stringify(pattern)} in guard \`${source}\` is not RE2 syntax: ${why}${at(offset)}; CEL's matches() is RE2 (no backreferences, no lookaround), see https://github.com/google/re2/wiki/Syntax`, offset } };
    }
  }
  if (comprehensionDepth > MAX_COMPREHENSION_DEPTH) {
    return { error: { rule: 'cel-too-complex', message: `guard nests comprehension macros (all, exists, exists_one, map, filter) ${comprehensionDepth} deep; at most ${MAX_COMPREHENSION_DEPTH} are allowed so evaluation stays bounded` } };
  }
  // A comprehension's body may do work proportional to a collection (concatenation, `in`):
  // bound the literal part of the cost here, the records' part at evaluation.
  if (comprehensionDepth > 0 && largestLiteral ** (comprehensionDepth + 1) > MAX_ITERATIONS) {
    return { error: { rule: 'cel-too-complex', message: `guard iterates ${comprehensionDepth} deep over literals of ${largestLiteral} items: up to ${largestLiteral ** (comprehensionDepth + 1)} steps, more than the limit of ${MAX_ITERATIONS}` } };
  }
  const checked = run.check();
  if (!checked.valid) {
    const err = (checked.error ?? {}) as CelErrorLike;
    const offset = err.range?.start;
    if (err.code === 'unknown_variable') {
      return { error: { rule: 'cel-unknown-field', message: `${err.summary}; a guard may use ${variables}${at(offset)}`, offset } };
    }
    return { error: { rule: 'cel-type', message: `guard has a type error: ${celName(String(err.summary ?? err.message))}${at(offset)}`, offset } };
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    return { error: { rule: 'cel-type', message: `guard must evaluate to a bool, but it evaluates to ${checked.type}; compare it, e.g. \`... == "x"\`` } };
  }
  return { guard: { source, comprehensionDepth, largestLiteral, run } };
}

/** Size of the largest list or map in a value (the iteration count of one comprehension over it). */
function largestCollection(value: unknown, seen = 0): number {
  if (Array.isArray(value)) return value.reduce((m: number, v) => Math.max(m, largestCollection(v)), Math.max(seen, value.length));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const vals = Object.values(value);
    return vals.reduce((m: number, v) => Math.max(m, largestCollection(v)), Math.max(seen, vals.length));
  }
  return seen;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Runs a guard. Passes only when it evaluates to `true`; an error is a failed check whose
 * actual value says what went wrong.
 * @example evaluateGuard(guard, { version, model, actor, now }) // { ok: false, actual: 'error: No such key: auc' }
 */
export function evaluateGuard(guard: CompiledGuard, ctx: GuardContext): GuardResult {
  if (guard.comprehensionDepth > 0) {
    const n = Math.max(largestCollection(ctx.version), largestCollection(ctx.model), largestCollection(ctx.deployments), guard.largestLiteral, 1);
    const worst = n ** guard.comprehensionDepth;
    if (worst > MAX_ITERATIONS) return { ok: false, actual: `not evaluated: up to ${worst} iterations over collections of ${n} items exceed the limit of ${MAX_ITERATIONS}` };
  }
  try {
    const value: unknown = guard.run(ctx as unknown as Record<string, unknown>);
    if (value === true) return { ok: true, actual: 'true' };
    if (value === false) return { ok: false, actual: 'false' };
    return { ok: false, actual: `not a bool: ${describe(value)}` };
  } catch (e) {
    const err = e as CelErrorLike;
    return { ok: false, actual: `error: ${celName(String(err.summary ?? err.message ?? e))}` };
  }
}

export interface ConditionContext {
  result: unknown;
  version: unknown;
  baseline: unknown;
}

/**
 * Runs a monitor condition: `true` or `false`, or why it could not say (an error, a non-bool,
 * a condition too costly for these records). The caller decides what "could not say" means
 * (a measurement is then inconclusive).
 * @example evaluateCondition(compileCondition('result < 0.05').guard!, { result: 0.01, version: {}, baseline: {} }) // { value: true }
 */
export function evaluateCondition(guard: CompiledGuard, ctx: ConditionContext): { value: boolean } | { error: string } {
  if (guard.comprehensionDepth > 0) {
    const n = Math.max(largestCollection(ctx.result), largestCollection(ctx.version), largestCollection(ctx.baseline), guard.largestLiteral, 1);
    if (n ** guard.comprehensionDepth > MAX_ITERATIONS) return { error: `not evaluated: up to ${n ** guard.comprehensionDepth} iterations exceed the limit of ${MAX_ITERATIONS}` };
  }
  try {
    const value: unknown = guard.run(ctx as unknown as Record<string, unknown>);
    if (typeof value === 'boolean') return { value };
    return { error: `not a bool: ${describe(value)}` };
  } catch (e) {
    const err = e as CelErrorLike;
    return { error: `error: ${celName(String(err.summary ?? err.message ?? e))}` };
  }
}
