/** `diff`: the events between two refs, in words a reviewer reads, with what policy still needs. */
import type { Context } from './context.js';
import type { CheckResult } from './check.js';
import { checkAgainstBase } from './check-base.js';

export interface DiffLine {
  text: string;
  event: CheckResult['events'][number];
  needs?: string[];
}

export async function diff(ctx: Context, input: { base: string; head?: string }): Promise<{ base: string; head: string; lines: DiffLine[]; ok: boolean }> {
  const result: CheckResult = { ok: true, files: 0, models: 0, versions: 0, problems: [], events: [] };
  await checkAgainstBase(ctx, { base: input.base, head: input.head ?? 'HEAD' }, result);
  const lines: DiffLine[] = [];
  for (const e of result.events) {
    if (e.type === 'approval') {
      lines.push({ text: e.description, event: e });
      continue;
    }
    const d = (result.decisions ?? []).find((x) => 'version' in e && x.version === e.version && x.model === e.model && x.event.includes(e.type === 'transition' ? `${e.from} → ${e.to}` : e.type));
    const needs = d && !d.allowed ? d.checks.filter((c) => !c.ok).map((c) => `${c.name}: needs ${c.expected}, found ${c.actual}`) : undefined;
    lines.push({ text: `${e.description}${needs?.length ? `; ${needs.join('; ')}` : d?.allowed ? '; allowed by policy' : ''}`, event: e, ...(needs ? { needs } : {}) });
  }
  return { base: result.base!, head: result.head!, lines, ok: !result.problems.some((p) => p.severity === 'error') };
}
