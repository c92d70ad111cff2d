/**
 * `--format gitlab` (pure): the text on stdout, and the three report files GitLab reads —
 * Code Quality (JSON, GitLab's documented fields), JUnit (parsed here as XML) and OpenMetrics
 * (the promoted versions' metrics and their deltas).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { checkResult, type CheckResult } from '../../src/domain/check-result.js';
import type { RegistryEvent } from '../../src/domain/events.js';
import { issue } from '../../src/domain/issues.js';
import { rendererFor } from '../../src/report/render.js';
import { GITLAB_REPORT_FILES } from '../../src/report/gitlab.js';

const promotion: RegistryEvent = { type: 'transition', model: 'churn', version: '2.1.0', from: 'Staging', to: 'Production', archives: ['2.0.0'] };
const staged: RegistryEvent = { type: 'transition', model: 'iris', version: '1.1.0', from: 'None', to: 'Staging' };

function result(allowed: boolean): CheckResult {
  const problems = [
    issue('registry/churn/model.yaml', 'owners-change', 'churn owners change <needs "review"> & sign-off', { severity: 'warning' }),
    issue('registry/iris/versions/1.1.0.yaml', 'schema', 'must be number', { line: 7, column: 3, field: 'metrics.acc' }),
    ...(allowed ? [] : [issue('registry/churn/versions/2.1.0.yaml', 'policy-transition', 'churn 2.1.0: Staging → Production: denied', { line: 4 })]),
  ];
  return checkResult({
    files: 9, models: 2, versions: 4, base: 'a'.repeat(40), head: 'b'.repeat(40),
    events: [promotion, staged],
    decisions: [
      {
        event: promotion, subject: 'churn 2.1.0: Staging → Production', model: 'churn', version: '2.1.0', allowed, message: allowed ? 'allowed' : 'churn 2.1.0 cannot move Staging -> Production.',
        checks: [{ name: 'approvals', ok: allowed, expected: 'at least 2 approvals from ml-leads', actual: allowed ? 'gitlab:carol, gitlab:erin' : 'gitlab:carol' }],
      },
      { event: staged, subject: 'iris 1.1.0: None → Staging', model: 'iris', version: '1.1.0', allowed: true, message: 'allowed', checks: [] },
    ],
    problems,
    promotions: [
      { model: 'churn', version: '2.1.0', stage: 'Production', metrics: { auc: 0.91, f1: 0.8, 'latency "p99"': 12 }, previous: { version: '2.0.0', metrics: { auc: 0.88, latency: 15 } } },
      { model: 'iris', version: '1.1.0', stage: 'Staging', metrics: { acc: 0.97 } },
    ],
  });
}

function files(r: CheckResult) {
  const rendered = rendererFor('gitlab')(r, {});
  return { rendered, byName: Object.fromEntries((rendered.files ?? []).map((f) => [f.path, f.text])) };
}

describe('--format gitlab', () => {
  it('prints the text report and names its three files', () => {
    const { rendered } = files(result(false));
    expect(rendered.stdout).toContain('✗ churn 2.1.0: Staging → Production: churn 2.1.0 cannot move Staging -> Production.');
    expect(rendered.files?.map((f) => f.path)).toEqual(['gl-code-quality-report.json', 'modelreg-junit.xml', 'metrics.txt']);
  });

  it('Code Quality: one issue per problem with GitLab\'s fields, errors major and warnings minor', () => {
    const issues = JSON.parse(files(result(false)).byName[GITLAB_REPORT_FILES.codequality]);
    expect(issues).toHaveLength(3);
    for (const i of issues) {
      expect(Object.keys(i).sort()).toEqual(['check_name', 'description', 'fingerprint', 'location', 'severity']);
      expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(i.severity);
    }
    expect(issues[1]).toEqual({
      description: 'metrics.acc: must be number', check_name: 'modelreg/schema', fingerprint: expect.any(String), severity: 'major',
      location: { path: 'registry/iris/versions/1.1.0.yaml', lines: { begin: 7 } },
    });
    expect(issues[0].severity).toBe('minor');
    expect(issues[2]).toMatchObject({ check_name: 'modelreg/policy-transition', severity: 'major', location: { lines: { begin: 4 } } });
  });

  it('fingerprints are stable across runs and line moves, and distinct for distinct problems and repeats', () => {
    const a = JSON.parse(files(result(false)).byName[GITLAB_REPORT_FILES.codequality]);
    const moved = result(false);
    moved.problems[1] = { ...moved.problems[1], line: 30 };
    const b = JSON.parse(files(moved).byName[GITLAB_REPORT_FILES.codequality]);
    expect(b.map((i: { fingerprint: string }) => i.fingerprint)).toEqual(a.map((i: { fingerprint: string }) => i.fingerprint));
    expect(new Set(a.map((i: { fingerprint: string }) => i.fingerprint)).size).toBe(3);
    const twice = result(true);
    twice.problems.push({ ...twice.problems[1] });
    const t = JSON.parse(files(twice).byName[GITLAB_REPORT_FILES.codequality]);
    expect(t[1].fingerprint).not.toBe(t[2].fingerprint);
    expect(JSON.parse(files(checkResult({ files: 1, models: 0, versions: 0, events: [], decisions: [], problems: [] })).byName[GITLAB_REPORT_FILES.codequality])).toEqual([]);
  });

  it('JUnit: well-formed XML, a policy suite with the checklist of a denial and a registry suite of the problems', () => {
    const xml = files(result(false)).byName[GITLAB_REPORT_FILES.junit];
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
    const root = doc.testsuites;
    expect(root).toMatchObject({ name: 'modelreg check', tests: '4', failures: '2', errors: '0' });
    const [policy, registry] = root.testsuite;
    expect(policy).toMatchObject({ name: 'policy', tests: '2', failures: '1' });
    expect(policy.testcase[0]).toMatchObject({ classname: 'modelreg.policy.churn', name: 'churn 2.1.0: Staging → Production' });
    expect(policy.testcase[0].failure).toMatchObject({ message: 'churn 2.1.0 cannot move Staging -> Production.', type: 'policy' });
    expect(policy.testcase[0].failure['#text']).toContain('✗ approvals: needs at least 2 approvals from ml-leads; found gitlab:carol');
    expect(policy.testcase[1].failure).toBeUndefined();
    // The denial is the policy suite's failure; the registry suite has the other problems.
    expect(registry).toMatchObject({ name: 'registry', tests: '2', failures: '1' });
    expect(registry.testcase[0]).toMatchObject({ classname: 'modelreg.owners-change', file: 'registry/churn/model.yaml' });
    expect(registry.testcase[0]['system-out']).toBe('warning: registry/churn/model.yaml:1:1: churn owners change <needs "review"> & sign-off');
    expect(registry.testcase[1].failure).toMatchObject({ type: 'schema', message: 'must be number' });
  });

  it('JUnit: a clean check is one passing case per decision and one for the files', () => {
    const clean = checkResult({ ...result(true), problems: [] });
    const xml = files(clean).byName[GITLAB_REPORT_FILES.junit];
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '3', failures: '0' });
    expect(xml).toContain('<testcase classname="modelreg.files" name="9 files, 2 models, 4 versions valid"/>');
  });

  it('OpenMetrics: each promoted version\'s metrics, the delta to the version it archives, # EOF last', () => {
    const text = files(result(true)).byName[GITLAB_REPORT_FILES.metrics];
    const lines = text.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('# EOF');
    const samples = lines.filter((l) => !l.startsWith('#'));
    expect(samples).toEqual([
      'modelreg_promoted_metric{model="churn",version="2.1.0",stage="Production",metric="auc"} 0.91',
      'modelreg_promoted_metric{model="churn",version="2.1.0",stage="Production",metric="f1"} 0.8',
      'modelreg_promoted_metric{model="churn",version="2.1.0",stage="Production",metric="latency \\"p99\\""} 12',
      'modelreg_promoted_metric{model="iris",version="1.1.0",stage="Staging",metric="acc"} 0.97',
      'modelreg_promoted_metric_delta{model="churn",version="2.1.0",stage="Production",metric="auc",previous="2.0.0"} 0.03',
    ]);
    // Every sample follows OpenMetrics' text grammar: name{label="value",…} number.
    for (const s of samples) expect(s).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)+\} -?[0-9.e+-]+$/);
    expect(lines.filter((l) => l.startsWith('# TYPE'))).toEqual(['# TYPE modelreg_promoted_metric gauge', '# TYPE modelreg_promoted_metric_delta gauge']);
  });
});
