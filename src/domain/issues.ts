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

/** Control characters (a folder named with a terminal escape) shown as \xNN, never sent to a terminal raw. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatIssue(i: Issue): string {
  return printable(`${i.file}:${i.line}:${i.column}: ${i.field ? `${i.field}: ` : ''}${i.message} [${i.rule}]`);
}
