/** The check result in GitHub Actions: workflow annotations (::error file=…,line=…::…), the text report, and a markdown job summary. */
import { describeEvent } from '../domain/events.js';
import type { CheckResult } from '../domain/check-result.js';
import { checkText } from './check-text.js';
import type { Rendered } from './types.js';

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProp(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function annotations(r: CheckResult): string {
  return r.problems.map((p) => `::${p.severity === 'error' ? 'error' : 'warning'} file=${escapeProp(p.file)},line=${p.line},col=${p.column},title=${escapeProp(`modelreg ${p.rule}`)}::${escapeData(`${p.field ? `${p.field}: ` : ''}${p.message}`)}\n`).join('');
}

/** The job summary: the changes, a table per policy decision, the problems. */
export function summaryMarkdown(r: CheckResult): string {
  const md: string[] = [`## modelreg check: ${r.ok ? '✅ passed' : '❌ failed'}`, ''];
  if (r.events.length) md.push('### Changes', '', ...r.events.map((e) => `- ${describeEvent(e)}`), '');
  if (r.decisions.length) {
    md.push('### Policy', '');
    for (const d of r.decisions) {
      md.push(`**${d.allowed ? '✅' : '❌'} ${d.subject}** — ${d.message}`, '');
      if (d.checks.length) md.push('| requirement | needs | found | |', '| --- | --- | --- | --- |', ...d.checks.map((c) => `| ${c.name} | ${c.expected} | ${c.actual} | ${c.ok ? '✅' : '❌'} |`), '');
    }
  }
  if (r.problems.length) md.push('### Problems', '', '| file | line | rule | message |', '| --- | --- | --- | --- |', ...r.problems.map((p) => `| ${p.file} | ${p.line} | ${p.rule} | ${p.message.replace(/\|/g, '\\|')} |`), '');
  return `${md.join('\n')}\n`;
}

export function checkGithub(r: CheckResult, env: Record<string, string | undefined>): Rendered {
  return {
    stdout: `${annotations(r)}${checkText(r)}\n`,
    ...(env.GITHUB_STEP_SUMMARY ? { appends: [{ path: env.GITHUB_STEP_SUMMARY, text: summaryMarkdown(r) }] } : {}),
  };
}
