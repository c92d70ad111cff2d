/** A problem found in a file: where it is, which rule, and what to do. Validation collects these; it does not throw. */
export interface Issue {
  file: string;
  line: number;
  column: number;
  /** JSON path of the field, e.g. metrics.auc */
  field?: string;
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

export function issue(file: string, rule: string, message: string, at: Partial<Pick<Issue, 'line' | 'column' | 'field' | 'severity'>> = {}): Issue {
  return { file, line: at.line ?? 1, column: at.column ?? 1, ...(at.field ? { field: at.field } : {}), rule, message, severity: at.severity ?? 'error' };
}

export function formatIssue(i: Issue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.field ? `${i.field}: ` : ''}${i.message} [${i.rule}]`;
}
