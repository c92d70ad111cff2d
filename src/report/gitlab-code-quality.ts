/**
 * The check's problems as a GitLab Code Quality report (`artifacts:reports:codequality`): a
 * JSON array of issues with description, check_name, fingerprint, severity and
 * location.path / location.lines.begin, which the merge request widget and the diff show.
 */
import { createHash } from 'node:crypto';
import type { CheckResult } from '../domain/check-result.js';

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  /** Stable across runs: the same problem keeps its fingerprint when lines move, so GitLab tells new from fixed. */
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/**
 * One issue per problem: errors are `major` (they fail the check), warnings `minor`. The
 * fingerprint hashes rule, file, field and message (not the line); a repeat of the same
 * problem in one file gets its occurrence number in the hash so GitLab keeps both.
 *
 * @example
 * codeQualityIssues(result)[0];
 * // { description: 'stage: m 1.1.0: Staging → Production denied …', check_name: 'modelreg/policy-transition',
 * //   fingerprint: '3f1c…', severity: 'major', location: { path: 'registry/m/versions/1.1.0.yaml', lines: { begin: 4 } } }
 */
export function codeQualityIssues(r: CheckResult): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  return r.problems.map((p) => {
    const key = [p.rule, p.file, p.field ?? '', p.message].join('\0');
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return {
      description: `${p.field ? `${p.field}: ` : ''}${p.message}`,
      check_name: `modelreg/${p.rule}`,
      fingerprint: createHash('sha256').update(n > 1 ? `${key}\0${n}` : key).digest('hex'),
      severity: p.severity === 'error' ? 'major' : 'minor',
      location: { path: p.file, lines: { begin: Math.max(1, p.line) } },
    };
  });
}
