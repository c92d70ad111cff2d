/**
 * Validation (src/domain/validate.ts): each schema rejects unknown fields, wrong types, NaN and
 * Infinity, and duplicate keys, each problem with its file, line, column and field.
 */
import { describe, expect, it } from 'vitest';
import { validateText, type FileKind } from '../../src/domain/validate.js';
import { formatIssue, type Issue } from '../../src/domain/issues.js';
import { parseYaml } from '../../src/domain/yaml-file.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/repo.js';

const GOOD: Record<FileKind, string> = {
  version: `model: churn
version: 1.0.0
stage: None
artifact:
  uri: s3://models/churn/1.0.0
metrics:
  auc: 0.91
created:
  at: 2024-03-01T09:00:00Z
  by: ada@example.com
`,
  model: `name: churn
owners:
  - ada@example.com
aliases:
  champion: 1.0.0
created:
  at: 2024-03-01T09:00:00Z
  by: ada@example.com
`,
  policy: `apiVersion: modelreg/v1
kind: Policy
name: default
stages:
  - name: None
  - name: Production
    exclusive: true
transitions:
  - from: None
    to: Production
    approvals: { min: 1 }
`,
  config: `apiVersion: modelreg/v1
kind: Registry
registry: registry
firstVersion: 1.0.0
`,
};

/** Inserts `line` after line `after` (1-based) of `text`. */
function insertAfter(text: string, after: number, line: string): string {
  const lines = text.split('\n');
  lines.splice(after, 0, line);
  return lines.join('\n');
}

function only(issues: Issue[], rule: string): Issue[] {
  return issues.filter((i) => i.rule === rule);
}

describe('a valid file of each kind', () => {
  it.each(Object.keys(GOOD) as FileKind[])('%s: no issues, and the value is returned', (kind) => {
    const v = validateText(kind, GOOD[kind], `${kind}.yaml`);
    expect(v.issues).toEqual([]);
    expect(v.value).toBeTypeOf('object');
  });
});

describe('unknown fields', () => {
  const cases = [
    { kind: 'version', text: insertAfter(GOOD.version, 3, 'colour: red'), line: 4, column: 1, field: 'colour', key: 'colour' },
    { kind: 'version', text: insertAfter(GOOD.version, 5, '  sha: abc'), line: 6, column: 3, field: 'artifact.sha', key: 'sha' },
    { kind: 'model', text: insertAfter(GOOD.model, 1, 'team: growth'), line: 2, column: 1, field: 'team', key: 'team' },
    { kind: 'policy', text: insertAfter(GOOD.policy, 5, '    colour: red'), line: 6, column: 5, field: 'stages[0].colour', key: 'colour' },
    { kind: 'config', text: insertAfter(GOOD.config, 2, 'registy: models'), line: 3, column: 1, field: 'registy', key: 'registy' },
  ] as Array<{ kind: FileKind; text: string; line: number; column: number; field: string; key: string }>;
  it.each(cases)('$kind: unknown field $field is rejected at line $line', ({ kind, text, line, column, field, key }) => {
    const v = validateText(kind, text, `${kind}.yaml`);
    expect(v.value).toBeUndefined();
    const schema = only(v.issues, 'schema');
    expect(schema).toHaveLength(1);
    expect(schema[0]).toMatchObject({ file: `${kind}.yaml`, line, column, field, severity: 'error' });
    expect(schema[0].message).toContain(`unknown field '${key}'`);
  });
});

describe('wrong types', () => {
  const cases: Array<[FileKind, string, number, string, string]> = [
    ['version', GOOD.version.replace('auc: 0.91', 'auc: high'), 7, 'metrics.auc', 'must be number'],
    ['version', GOOD.version.replace('stage: None', 'stage: 5'), 3, 'stage', 'must be string'],
    ['version', GOOD.version.replace('version: 1.0.0', 'version: [1, 0, 0]'), 2, 'version', 'must be string'],
    ['model', GOOD.model.replace('owners:\n  - ada@example.com', 'owners: ada@example.com'), 2, 'owners', 'must be array'],
    ['model', GOOD.model.replace('champion: 1.0.0', 'champion: 7'), 5, 'aliases.champion', 'must be string'],
    ['policy', GOOD.policy.replace('exclusive: true', 'exclusive: maybe'), 7, 'stages[1].exclusive', 'must be boolean'],
    ['policy', GOOD.policy.replace('min: 1', 'min: one'), 11, 'transitions[0].approvals.min', 'must be integer'],
    ['config', GOOD.config.replace('firstVersion: 1.0.0', 'firstVersion: 1'), 4, 'firstVersion', 'must be string'],
  ];
  it.each(cases)('%s: %#: a wrong type is reported at its value', (kind, text, line, field, message) => {
    const v = validateText(kind, text, `${kind}.yaml`);
    expect(v.value).toBeUndefined();
    expect(only(v.issues, 'schema')).toContainEqual(expect.objectContaining({ line, field, message, severity: 'error' }));
  });
});

describe('NaN and Infinity', () => {
  const cases: Array<[FileKind, string, number, string]> = [
    ['version', GOOD.version.replace('auc: 0.91', 'auc: .nan'), 7, 'metrics.auc'],
    ['version', GOOD.version.replace('auc: 0.91', 'auc: .inf'), 7, 'metrics.auc'],
    ['version', GOOD.version.replace('auc: 0.91', 'auc: -.Inf'), 7, 'metrics.auc'],
    ['version', `${GOOD.version}params:\n  lr: .NaN\n`, 12, 'params.lr'],
    ['policy', GOOD.policy.replace('min: 1', 'min: .nan'), 11, 'transitions[0].approvals.min'],
  ];
  it.each(cases)('%s: a non-finite number is an error at its line', (kind, text, line, field) => {
    const v = validateText(kind, text, `${kind}.yaml`);
    expect(v.value).toBeUndefined();
    expect(only(v.issues, 'finite-number')).toEqual([expect.objectContaining({ line, field, severity: 'error' })]);
  });
});

describe('duplicate keys', () => {
  const cases: Array<[FileKind, string, number, number]> = [
    ['version', insertAfter(GOOD.version, 3, 'stage: Production'), 4, 1],
    ['version', insertAfter(GOOD.version, 7, '  auc: 0.99'), 8, 3],
    ['model', insertAfter(GOOD.model, 1, 'name: other'), 2, 1],
    ['policy', insertAfter(GOOD.policy, 3, 'name: again'), 4, 1],
    ['config', insertAfter(GOOD.config, 3, 'registry: elsewhere'), 4, 1],
  ];
  it.each(cases)('%s: the second occurrence is reported at its line', (kind, text, line, column) => {
    const v = validateText(kind, text, `${kind}.yaml`);
    expect(v.value).toBeUndefined();
    expect(only(v.issues, 'duplicate-key')).toEqual([expect.objectContaining({ file: `${kind}.yaml`, line, column, severity: 'error' })]);
  });
});

describe('other problems', () => {
  it('a file that is not a mapping is an error, not a crash', () => {
    for (const text of ['- a\n- b\n', 'just text\n', '', '42\n']) {
      const v = validateText('version', text, 'v.yaml');
      expect(v.value).toBeUndefined();
      expect(v.issues).toContainEqual(expect.objectContaining({ rule: 'schema', severity: 'error' }));
    }
  });

  it('a YAML syntax error names its line', () => {
    const v = validateText('version', 'model: churn\nversion: 1.0.0\nstage: [None\n', 'v.yaml');
    expect(v.value).toBeUndefined();
    expect(v.issues.length).toBeGreaterThan(0);
    expect(v.issues.every((i) => i.rule === 'yaml-syntax' && i.line >= 3)).toBe(true);
  });

  it('a missing required field is named', () => {
    const v = validateText('version', GOOD.version.replace('stage: None\n', ''), 'v.yaml');
    expect(v.issues).toContainEqual(expect.objectContaining({ rule: 'schema', message: "missing required field 'stage'" }));
  });

  it('formats an issue as file:line:column: field: message [rule]', () => {
    const v = validateText('version', GOOD.version.replace('auc: 0.91', 'auc: high'), 'registry/churn/versions/1.0.0.yaml');
    expect(formatIssue(only(v.issues, 'schema')[0])).toBe('registry/churn/versions/1.0.0.yaml:7:8: metrics.auc: must be number [schema]');
  });

  it('a billion-laughs alias bomb is refused, not expanded', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    const v = validateText('version', bomb, 'v.yaml');
    expect(v.value).toBeUndefined();
    expect(v.issues).toContainEqual(expect.objectContaining({ rule: 'yaml-aliases' }));
  });

  it("reads a policy's quoted \"*\" and a guard's !=, && and * as text, and still refuses aliases beside them", () => {
    const policy = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8').replace('  - from: None\n    to: Staging\n', '  - from: None\n    to: Staging\n    when: version.metrics.auc != 0.5 && version.metrics.auc * 2 > 1\n');
    expect(policy).toContain('from: "*"');
    expect(policy).toContain('!= 0.5 &&');
    const v = validateText('policy', policy, 'policies/default.yaml');
    expect(v.issues).toEqual([]);
    expect(v.value).toEqual(parseYaml(policy, 'policies/default.yaml').value);
    // The same lookalikes next to a real alias bomb: refused, not expanded.
    const bomb = `x: "*"\ny: a != b && c * d\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    const b = validateText('policy', bomb, 'policies/p.yaml');
    expect(b.value).toBeUndefined();
    expect(b.issues).toContainEqual(expect.objectContaining({ rule: 'yaml-aliases' }));
  });
});
