/** The check result for a person: the changes, each policy decision with its checklist, the problems by model, a summary line. */
import { describeEvent } from '../domain/events.js';
import { formatIssue, printable } from '../domain/issues.js';
import type { CheckResult } from '../domain/check-result.js';
import { renderChecklist } from '../policy/checklist.js';

/** `1 model`, `2 models`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function changes(r: CheckResult): string[] {
  if (!r.events.length) return [];
  return [`Changes (${r.base?.slice(0, 12)}..${r.head?.slice(0, 12)}):`, ...r.events.map((e) => `  ${describeEvent(e)}`), ''];
}

function decisions(r: CheckResult): string[] {
  const lines = r.decisions.flatMap((d) => [`${d.allowed ? '✓' : '✗'} ${d.subject}: ${d.message}`, ...(d.checks.length ? [renderChecklist(d.checks)] : [])]);
  return lines.length ? [...lines, ''] : [];
}

/** Problems grouped by the model whose file they are in (or by file outside models). */
function problems(r: CheckResult): string[] {
  const byModel = new Map<string, CheckResult['problems']>();
  for (const p of r.problems) {
    const key = /^[^/]+\/(.+?)\/(model\.yaml|versions\/)/.exec(p.file)?.[1] ?? p.file;
    byModel.set(key, [...(byModel.get(key) ?? []), p]);
  }
  return [...byModel].flatMap(([key, ps]) => [printable(key), ...ps.map((p) => `  ${p.severity === 'error' ? 'error' : 'warning'}  ${formatIssue(p)}`)]);
}

export function checkText(r: CheckResult): string {
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const summary = `${r.ok ? '✓' : '✗'} ${count(r.files, 'file')}, ${count(r.models, 'model')}, ${count(r.versions, 'version')}: ${count(errors, 'error')}, ${count(r.problems.length - errors, 'warning')}`;
  return [...changes(r), ...decisions(r), ...problems(r), summary].join('\n');
}
