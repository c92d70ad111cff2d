/** `diff`: the events between two refs, in words a reviewer reads, with what policy still needs. */
import { decisionsFor, hasErrors, type CheckResult } from '../domain/check-result.js';
import { describeEvent, type RegistryEvent } from '../domain/events.js';
import { describeCheck, failedChecks } from '../policy/index.js';
import type { Context } from './context.js';
import { checkAgainstBase } from './check-base.js';

export interface DiffLine {
  text: string;
  event: RegistryEvent & { description: string };
  /** The requirements the policy still needs for this change. */
  needs?: string[];
}

export interface DiffResult {
  base: string;
  head: string;
  lines: DiffLine[];
  ok: boolean;
}

export async function diff(ctx: Context, input: { base: string; head?: string }): Promise<DiffResult> {
  const result = await checkAgainstBase(ctx, { base: input.base, head: input.head ?? 'HEAD' });
  return { base: result.base, head: result.head, lines: diffLines(result), ok: !hasErrors(result.problems) };
}

/** Each event of a base check in words, with what its decisions still need (the Promotions page shows these too). */
export function diffLines(result: Pick<CheckResult, 'events' | 'decisions'>): DiffLine[] {
  return result.events.map((e): DiffLine => {
    const event = { ...e, description: describeEvent(e) };
    const decisions = decisionsFor(result, e);
    if (!decisions.length) return { text: event.description, event };
    const needs = decisions.flatMap((d) => failedChecks(d).map((c) => describeCheck(c)));
    const verdict = needs.length ? `; ${needs.join('; ')}` : decisions.every((d) => d.allowed) ? '; allowed by policy' : '';
    return { text: `${event.description}${verdict}`, event, ...(decisions.some((d) => !d.allowed) ? { needs } : {}) };
  });
}
