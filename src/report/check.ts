/** Renderers of check results: text (grouped by file), json, and GitHub workflow annotations. */
import { appendFile } from 'node:fs/promises';
import { formatIssue, printable } from '../domain/issues.js';
import type { CheckResult } from '../ops/check.js';
import { renderChecklist } from './text.js';

export function checkJson(r: CheckResult) {
  return {
    ok: r.ok,
    ...(r.base ? { base: r.base, head: r.head } : {}),
    summary: { files: r.files, models: r.models, versions: r.versions, errors: r.problems.filter((p) => p.severity === 'error').length, warnings: r.problems.filter((p) => p.severity === 'warning').length },
    events: r.events,
    ...(r.decisions ? { decisions: r.decisions } : {}),
    problems: r.problems.map((p) => ({ file: p.file, line: p.line, column: p.column, ...(p.field ? { field: p.field } : {}), rule: p.rule, message: p.message, severity: p.severity })),
  };
}

export function checkText(r: CheckResult): string {
  const lines: string[] = [];
  if (r.events.length) {
    lines.push(`Changes (${r.base?.slice(0, 12)}..${r.head?.slice(0, 12)}):`);
    for (const e of r.events) lines.push(`  ${e.description}`);
    lines.push('');
  }
  for (const d of r.decisions ?? []) {
    lines.push(`${d.allowed ? '✓' : '✗'} ${d.event}: ${d.message}`);
    if (d.checks.length) lines.push(renderChecklist(d.checks));
  }
  if (r.decisions?.length) lines.push('');
  const byModel = new Map<string, typeof r.problems>();
  for (const p of r.problems) {
    const key = /^[^/]+\/(.+?)\/(model\.yaml|versions\/)/.exec(p.file)?.[1] ?? p.file;
    byModel.set(key, [...(byModel.get(key) ?? []), p]);
  }
  for (const [key, ps] of byModel) {
    lines.push(printable(key));
    for (const p of ps) lines.push(`  ${p.severity === 'error' ? 'error' : 'warning'}  ${formatIssue(p)}`);
  }
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  lines.push(`${r.ok ? '✓' : '✗'} ${count(r.files, 'file')}, ${count(r.models, 'model')}, ${count(r.versions, 'version')}: ${count(errors, 'error')}, ${count(warnings, 'warning')}`);
  return lines.join('\n');
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProp(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub workflow commands (::error file=…,line=…::…) and a markdown job summary. */
export async function writeGithub(r: CheckResult, env: NodeJS.ProcessEnv): Promise<void> {
  for (const p of r.problems) {
    const level = p.severity === 'error' ? 'error' : 'warning';
    process.stdout.write(`::${level} file=${escapeProp(p.file)},line=${p.line},col=${p.column},title=${escapeProp(`modelreg ${p.rule}`)}::${escapeData(`${p.field ? `${p.field}: ` : ''}${p.message}`)}\n`);
  }
  process.stdout.write(`${checkText(r)}\n`);
  if (env.GITHUB_STEP_SUMMARY) {
    const md: string[] = [`## modelreg check: ${r.ok ? '✅ passed' : '❌ failed'}`, ''];
    if (r.events.length) md.push('### Changes', '', ...r.events.map((e) => `- ${e.description}`), '');
    if (r.decisions?.length) {
      md.push('### Policy', '');
      for (const d of r.decisions) {
        md.push(`**${d.allowed ? '✅' : '❌'} ${d.event}** — ${d.message}`, '');
        if (d.checks.length) md.push('| requirement | needs | found | |', '| --- | --- | --- | --- |', ...d.checks.map((c) => `| ${c.name} | ${c.expected} | ${c.actual} | ${c.ok ? '✅' : '❌'} |`), '');
      }
    }
    if (r.problems.length) md.push('### Problems', '', '| file | line | rule | message |', '| --- | --- | --- | --- |', ...r.problems.map((p) => `| ${p.file} | ${p.line} | ${p.rule} | ${p.message.replace(/\|/g, '\\|')} |`), '');
    await appendFile(env.GITHUB_STEP_SUMMARY, `${md.join('\n')}\n`);
  }
}

/** `1 model`, `2 models`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
