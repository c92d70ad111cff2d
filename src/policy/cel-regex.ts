/**
 * CEL's `matches` with the semantics the CEL specification gives it: RE2 syntax, a partial
 * match, and time linear in the input. cel-js evaluates `matches` with JavaScript's RegExp,
 * which backtracks (`^((a+))+$` over 29 a's and a b ran for 44 s of CPU) and accepts syntax RE2
 * does not (backreferences, lookaround). cel-js cannot replace a built-in overload, so a guard's
 * `matches` calls are renamed in its syntax tree, before it is type-checked, to a function of
 * the same signature that runs on re2js (a pure-JS port of RE2/J: no native build).
 */
import { createRequire } from 'node:module';
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import type * as Re2Lib from 're2js';

/** The name the `matches` calls of a guard are given; it appears in no message (see {@link celName}). */
export const RE2_MATCHES = 'matchesRe2';

// re2js (260 kB) loads on first use: only a guard or filter that calls matches() needs it, and
// the CLI bundle leaves it out (scripts/build.mjs) so no other command reads it at start-up.
let lib: typeof Re2Lib | undefined;
function re2(): typeof Re2Lib {
  return (lib ??= createRequire(import.meta.url)('re2js') as typeof Re2Lib);
}

// A guard's patterns are literals, compiled once per process; a filter's too. Bounded, so a
// dynamic pattern built from each record cannot grow it without end.
const compiled = new Map<string, Re2Lib.RE2JS>();
const MAX_COMPILED = 256;

/** Compiles an RE2 pattern, or throws re2js's syntax error. */
function compile(pattern: string): Re2Lib.RE2JS {
  let re = compiled.get(pattern);
  if (re) return re;
  re = re2().RE2JS.compile(pattern);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, re);
  return re;
}

/**
 * Why a pattern is not RE2, or undefined when it is.
 * @example re2SyntaxError('(a)\\1') // 'invalid escape sequence: `\\1`'
 * @example re2SyntaxError('^v[0-9]+$') // undefined
 */
export function re2SyntaxError(pattern: string): string | undefined {
  try {
    compile(pattern);
    return undefined;
  } catch (e) {
    return String((e as Error).message ?? e).replace(/^error parsing regexp: /, '');
  }
}

/**
 * CEL `matches`: true when the RE2 pattern matches any part of the text.
 * @example re2Matches('churn-v2', '-v[0-9]+$') // true
 */
export function re2Matches(text: string, pattern: string): boolean {
  let re: Re2Lib.RE2JS;
  try {
    re = compile(pattern);
  } catch (e) {
    // cel-js turns a thrown Error into an evaluation error: the guard fails closed.
    throw new Error(`invalid RE2 pattern ${JSON.stringify(pattern)}: ${re2SyntaxError(pattern) ?? (e as Error).message}`);
  }
  return re.test(text);
}

/** Adds the RE2 `matches` (method and the global form of the CEL standard) to an environment. */
export function registerRe2Matches(env: Environment): Environment {
  return env
    .registerFunction(`string.${RE2_MATCHES}(string): bool`, (text: string, pattern: string) => re2Matches(text, pattern))
    .registerFunction(`${RE2_MATCHES}(string, string): bool`, (text: string, pattern: string) => re2Matches(text, pattern));
}

/** A literal pattern of a `matches` call, with its offset in the guard. */
export interface PatternSite {
  pattern: string;
  offset: number;
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

/**
 * Renames every `matches` call of a parsed guard to the RE2 one, in place, and returns the
 * literal patterns it found (to be checked for RE2 syntax before the guard is accepted).
 */
export function useRe2Matches(ast: ASTNode): PatternSite[] {
  const sites: PatternSite[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!isNode(node)) return;
    const args = node.args as unknown;
    if ((node.op === 'rcall' || node.op === 'call') && Array.isArray(args) && args[0] === 'matches') {
      args[0] = RE2_MATCHES;
      const callArgs = (node.op === 'rcall' ? args[2] : args[1]) as unknown;
      const pattern = Array.isArray(callArgs) ? callArgs[node.op === 'rcall' ? 0 : 1] : undefined;
      if (isNode(pattern) && pattern.op === 'value' && typeof pattern.args === 'string') sites.push({ pattern: pattern.args, offset: pattern.start });
    }
    walk(args);
  };
  walk(ast);
  return sites;
}

/** A cel-js message with the internal name put back to what the guard says. */
export function celName(message: string): string {
  return message.split(RE2_MATCHES).join('matches');
}
