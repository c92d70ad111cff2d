/**
 * The check result and its renderers (pure): the exit code comes from the result, a format is
 * an entry of one table, an unknown format is BAD_INPUT naming the known ones, and every
 * renderer shows the same decisions and problems.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkResult, decisionsFor, exitCode, type CheckResult } from '../../src/domain/check-result.js';
import type { RegistryEvent } from '../../src/domain/events.js';
import { issue } from '../../src/domain/issues.js';
import { isRegistryError } from '../../src/errors/index.js';
import { rendererFor, renderers } from '../../src/report/render.js';

const promotion: RegistryEvent = { type: 'transition', model: 'm', version: '1.1.0', from: 'Staging', to: 'Production' };
const tagged: RegistryEvent = { type: 'tag', model: 'm', version: '1.1.0', key: 'team', to: 'risk' };

function denied(): CheckResult {
  return checkResult({
    files: 3, models: 1, versions: 2, base: 'a'.repeat(40), head: 'b'.repeat(40),
    events: [promotion, tagged],
    decisions: [{
      event: promotion, subject: 'm 1.1.0: Staging → Production', model: 'm', version: '1.1.0', allowed: false, message: 'm 1.1.0 cannot move Staging -> Production.',
      checks: [{ name: 'transition', ok: true, expected: 'a rule', actual: 'transitions[1]' }, { name: 'approvals', ok: false, expected: 'at least 2 approvals', actual: '0' }],
    }],
    problems: [issue('registry/m/versions/1.1.0.yaml', 'policy-transition', 'm 1.1.0: Staging → Production: denied', { line: 4 }), issue('registry/m/model.yaml', 'owners-change', 'm owners change', { severity: 'warning' })],
  });
}

describe('exitCode', () => {
  it('is 1 when a problem is an error, 0 when there are only warnings or none', () => {
    expect(exitCode(denied())).toBe(1);
    expect(denied().ok).toBe(false);
    const warned = checkResult({ ...denied(), problems: [issue('f', 'r', 'm', { severity: 'warning' })] });
    expect(warned.ok).toBe(true);
    expect(exitCode(warned)).toBe(0);
    expect(exitCode(checkResult({ ...denied(), problems: [] }))).toBe(0);
  });

  it('is 1 for a denying decision and 0 for an allowing one', () => {
    expect(exitCode({ allowed: false })).toBe(1);
    expect(exitCode({ allowed: true })).toBe(0);
  });
});

describe('decisionsFor', () => {
  it('finds the decisions of an event by the event itself, not by its words', () => {
    const r = denied();
    expect(decisionsFor(r, promotion).map((d) => d.subject)).toEqual(['m 1.1.0: Staging → Production']);
    expect(decisionsFor(r, tagged)).toEqual([]);
    expect(decisionsFor(r, { ...promotion })).toEqual([]);
  });
});

describe('renderers', () => {
  afterEach(() => { delete renderers.csv; });

  it('an unknown format is BAD_INPUT naming the known ones; a new entry is a new format', () => {
    let err: unknown;
    try { rendererFor('html'); } catch (e) { err = e; }
    expect(isRegistryError(err, 'BAD_INPUT')).toBe(true);
    expect((err as Error).message).toBe('Unknown --format html; use text, json, github or gitlab.');
    expect(() => rendererFor('toString')).toThrow(/Unknown --format toString/);
    renderers.csv = (r) => ({ stdout: r.problems.map((p) => `${p.file},${p.line}`).join('\n') });
    expect(rendererFor('csv')(denied(), {}).stdout).toBe('registry/m/versions/1.1.0.yaml,4\nregistry/m/model.yaml,1');
    expect(() => rendererFor('xml')).toThrow('use text, json, github, gitlab or csv.');
  });

  it('text: the changes, each decision with its checklist, the problems by model, a summary', () => {
    const { stdout, appends } = rendererFor('text')(denied(), { GITHUB_STEP_SUMMARY: '/tmp/x' });
    expect(appends).toBeUndefined();
    expect(stdout).toBe([
      'Changes (aaaaaaaaaaaa..bbbbbbbbbbbb):',
      '  m 1.1.0: Staging → Production',
      '  m 1.1.0: tag team (none) → risk',
      '',
      '✗ m 1.1.0: Staging → Production: m 1.1.0 cannot move Staging -> Production.',
      '  ✓ transition: needs a rule; found transitions[1]',
      '  ✗ approvals: needs at least 2 approvals; found 0',
      '',
      'm',
      '  error  registry/m/versions/1.1.0.yaml:4:1: m 1.1.0: Staging → Production: denied [policy-transition]',
      '  warning  registry/m/model.yaml:1:1: m owners change [owners-change]',
      '✗ 3 files, 1 model, 2 versions: 1 error, 1 warning',
      '',
    ].join('\n'));
  });

  it('json: decisions named by their subject, events described, counts summed', () => {
    const out = JSON.parse(rendererFor('json')(denied(), {}).stdout);
    expect(out.ok).toBe(false);
    expect(out.summary).toEqual({ files: 3, models: 1, versions: 2, errors: 1, warnings: 1 });
    expect(out.events[1]).toEqual({ ...tagged, description: 'm 1.1.0: tag team (none) → risk' });
    expect(out.decisions).toEqual([expect.objectContaining({ event: 'm 1.1.0: Staging → Production', model: 'm', version: '1.1.0', allowed: false })]);
    expect(JSON.parse(rendererFor('json')(checkResult({ files: 1, models: 0, versions: 0, events: [], decisions: [], problems: [] }), {}).stdout)).not.toHaveProperty('decisions');
  });

  it('github: an annotation per problem, the text, and the job summary only where GITHUB_STEP_SUMMARY names a file', () => {
    const r = denied();
    const plain = rendererFor('github')(r, {});
    expect(plain.appends).toBeUndefined();
    expect(plain.stdout.split('\n').slice(0, 2)).toEqual([
      '::error file=registry/m/versions/1.1.0.yaml,line=4,col=1,title=modelreg policy-transition::m 1.1.0: Staging → Production: denied',
      '::warning file=registry/m/model.yaml,line=1,col=1,title=modelreg owners-change::m owners change',
    ]);
    const summary = rendererFor('github')(r, { GITHUB_STEP_SUMMARY: '/tmp/summary.md' }).appends;
    expect(summary).toHaveLength(1);
    expect(summary![0].path).toBe('/tmp/summary.md');
    expect(summary![0].text).toContain('**❌ m 1.1.0: Staging → Production** — m 1.1.0 cannot move Staging -> Production.');
    expect(summary![0].text).toContain('| approvals | at least 2 approvals | 0 | ❌ |');
  });
});
