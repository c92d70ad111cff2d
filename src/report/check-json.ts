/** The check result as JSON (`--format json`, `--json`): the shape scripts and CI read. */
import { describeEvent } from '../domain/events.js';
import type { CheckResult } from '../domain/check-result.js';

export function checkJson(r: CheckResult) {
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  return {
    ok: r.ok,
    ...(r.base ? { base: r.base, head: r.head } : {}),
    summary: { files: r.files, models: r.models, versions: r.versions, errors, warnings: r.problems.length - errors },
    events: r.events.map((e) => ({ ...e, description: describeEvent(e) })),
    ...(r.base ? { decisions: r.decisions.map((d) => ({ event: d.subject, model: d.model, ...(d.version ? { version: d.version } : {}), allowed: d.allowed, checks: d.checks, message: d.message })) } : {}),
    problems: r.problems.map((p) => ({ file: p.file, line: p.line, column: p.column, ...(p.field ? { field: p.field } : {}), rule: p.rule, message: p.message, severity: p.severity })),
  };
}
