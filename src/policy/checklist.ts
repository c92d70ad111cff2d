/**
 * The policy checklist in words: the one place a requirement of a decision becomes text. The
 * text renderers, the diff, the pull-request check's problems and a denied write's error all
 * word a requirement the same way: its name, what it needs, what was found.
 */
import type { Check, Decision } from './types.js';

/** `approvals: needs at least 2 approvals …, found 0` (`join` between need and find). */
export function describeCheck(c: Check, join = ', ', nameEnd = ':'): string {
  return `${c.name}${nameEnd} needs ${c.expected}${join}found ${c.actual}`;
}

/** The requirements a decision failed. */
export function failedChecks(d: Pick<Decision, 'checks'>): Check[] {
  return d.checks.filter((c) => !c.ok);
}

/** One line per requirement, each marked ✓ or ✗ (the checklist a person reads). */
export function renderChecklist(checks: Check[]): string {
  return checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${describeCheck(c, '; ')}`).join('\n');
}

/** The failed requirements only, one ✗ line each (the lines of a denial). */
export function renderFailedChecks(d: Pick<Decision, 'checks'>): string {
  return failedChecks(d).map((c) => `  ✗ ${describeCheck(c)}`).join('\n');
}

/** A denial in one sentence: the decision's message, then each failed requirement after a `;`. */
export function denialSentence(subject: string, d: Pick<Decision, 'checks' | 'message'>): string {
  return `${subject}: ${d.message.replace(/\.$/, '')}${failedChecks(d).map((c) => `; ${describeCheck(c, ', ', '')}`).join('')}`;
}
