/**
 * The check result in GitLab CI (`--format gitlab`): the text report on stdout for the job log,
 * and three report files for `artifacts:reports` — a Code Quality report (codequality), a JUnit
 * report (junit) and the promoted versions' metric deltas (metrics).
 */
import type { CheckResult } from '../domain/check-result.js';
import { checkText } from './check-text.js';
import { codeQualityIssues } from './gitlab-code-quality.js';
import { junitXml } from './gitlab-junit.js';
import { openMetrics } from './gitlab-metrics.js';
import type { Rendered } from './types.js';

/** The report files' names, in the directory `check --output-dir` names (default: the current one). */
export const GITLAB_REPORT_FILES = {
  codequality: 'gl-code-quality-report.json',
  junit: 'modelreg-junit.xml',
  metrics: 'metrics.txt',
} as const;

export function checkGitlab(r: CheckResult): Rendered {
  return {
    stdout: `${checkText(r)}\n`,
    files: [
      { path: GITLAB_REPORT_FILES.codequality, text: `${JSON.stringify(codeQualityIssues(r), null, 2)}\n` },
      { path: GITLAB_REPORT_FILES.junit, text: junitXml(r) },
      { path: GITLAB_REPORT_FILES.metrics, text: openMetrics(r) },
    ],
  };
}
