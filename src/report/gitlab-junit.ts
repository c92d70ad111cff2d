/**
 * The check as a JUnit XML report (`artifacts:reports:junit`), which GitLab shows in the merge
 * request's test summary and the pipeline's Tests tab: one test case per policy decision
 * (failing with its checklist when denied) and one per problem with the registry files (a
 * warning passes, with its text as output).
 */
import type { CheckResult } from '../domain/check-result.js';
import { renderChecklist } from '../policy/checklist.js';

/** Problems that carry a policy decision's denial; the decision's own test case reports them. */
const DECISION_RULES = new Set(['policy-register', 'policy-transition', 'policy-alias', 'policy-delete', 'policy-rollback']);

interface Case { classname: string; name: string; file?: string; failure?: { message: string; type: string; text: string }; out?: string }

/** XML 1.0 text and attribute values: markup characters escaped, characters XML cannot carry dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function testcase(c: Case): string {
  const attrs = `classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}"${c.file ? ` file="${xmlEscape(c.file)}"` : ''}`;
  const inner = [
    c.failure ? `      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${xmlEscape(c.failure.text)}</failure>` : '',
    c.out ? `      <system-out>${xmlEscape(c.out)}</system-out>` : '',
  ].filter(Boolean);
  return inner.length ? `    <testcase ${attrs}>\n${inner.join('\n')}\n    </testcase>` : `    <testcase ${attrs}/>`;
}

function suite(name: string, cases: Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  return `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">\n${cases.map(testcase).join('\n')}\n  </testsuite>`;
}

function policyCases(r: CheckResult): Case[] {
  return r.decisions.map((d) => ({
    classname: `modelreg.policy.${d.model}`,
    name: d.subject,
    ...(d.allowed ? {} : { failure: { message: d.message, type: 'policy', text: d.checks.length ? renderChecklist(d.checks) : d.message } }),
  }));
}

function fileCases(r: CheckResult): Case[] {
  const cases: Case[] = r.problems.filter((p) => !DECISION_RULES.has(p.rule)).map((p) => {
    const text = `${p.file}:${p.line}:${p.column}${p.field ? ` ${p.field}` : ''}: ${p.message}`;
    return {
      classname: `modelreg.${p.rule}`,
      name: `${p.file}:${p.line} ${p.rule}`,
      file: p.file,
      ...(p.severity === 'error' ? { failure: { message: p.message, type: p.rule, text } } : { out: `warning: ${text}` }),
    };
  });
  if (!cases.some((c) => c.failure)) cases.unshift({ classname: 'modelreg.files', name: `${r.files} files, ${r.models} models, ${r.versions} versions valid` });
  return cases;
}

/**
 * The JUnit XML document: `<testsuites>` with a `policy` suite (when the check had a base) and
 * a `registry` suite.
 */
export function junitXml(r: CheckResult): string {
  const suites = [...(r.base ? [['policy', policyCases(r)] as const] : []), ['registry', fileCases(r)] as const].filter(([, cases]) => cases.length);
  const all = suites.flatMap(([, c]) => c);
  const failures = all.filter((c) => c.failure).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="modelreg check" tests="${all.length}" failures="${failures}" errors="0">\n${suites.map(([n, c]) => suite(n, c)).join('\n')}\n</testsuites>\n`;
}
