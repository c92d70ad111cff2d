/**
 * Editing registry files (src/domain/yaml-file.ts `editYaml`): a change rewrites the lines it
 * changes and keeps every other byte, comments included, so a promotion's diff is one line.
 */
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { editYaml } from '../../src/domain/yaml-file.js';
import { validateText } from '../../src/domain/validate.js';

const VERSION = `# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json
# Hand-written note: trained on the March snapshot, see the review in #412.
model: churn # the model folder
version: 1.2.0
stage: None   # promoted after the review
description: Gradient boosting, 300 trees
tags:
  # who answers for it
  team: growth  # set by ada
  area: retention
artifact:
  uri: s3://models/churn/1.2.0 # the bucket
metrics:
  auc: 0.91
created:
  at: 2024-03-01T09:00:00Z
  by: ada@example.com
# trailing note
`;

describe('editYaml: changing a scalar', () => {
  it('changing stage rewrites only the stage value and keeps every other byte', () => {
    const out = editYaml(VERSION, [{ path: ['stage'], value: 'Staging' }]);
    expect(out).toBe(VERSION.replace('stage: None   # promoted', 'stage: Staging   # promoted'));
  });

  it('changing stage twice gives the same bytes as changing it once', () => {
    const once = editYaml(VERSION, [{ path: ['stage'], value: 'Production' }]);
    const twice = editYaml(editYaml(VERSION, [{ path: ['stage'], value: 'Staging' }]), [{ path: ['stage'], value: 'Production' }]);
    expect(twice).toBe(once);
  });

  it('works on a quoted value', () => {
    const text = 'model: churn\nstage: "None" # quoted\n';
    expect(editYaml(text, [{ path: ['stage'], value: 'Staging' }])).toBe('model: churn\nstage: Staging # quoted\n');
  });

  it('changing a nested scalar keeps the comments around it', () => {
    const out = editYaml(VERSION, [{ path: ['tags', 'team'], value: 'churn-squad' }]);
    expect(out).toBe(VERSION.replace('team: growth  # set by ada', 'team: churn-squad  # set by ada'));
  });

  it('quotes a value that YAML would read as another type or as a comment', () => {
    for (const value of ['true', '0.5', 'null', '1.0.0', 'a: b # c', '#hash', 'yes']) {
      const out = editYaml(VERSION, [{ path: ['description'], value }]);
      expect(YAML.parse(out).description).toBe(value);
      expect(out.split('\n').filter((l) => !l.startsWith('description:'))).toEqual(VERSION.split('\n').filter((l) => !l.startsWith('description:')));
    }
  });

  it('replacing a one-line description with a multi-line one keeps the file valid YAML with that text', () => {
    const out = editYaml(VERSION, [{ path: ['description'], value: 'line one\nline two' }]);
    const parsed = validateText<{ description: string; stage: string }>('version', out, 'v.yaml');
    expect(parsed.issues).toEqual([]);
    expect(parsed.value?.description).toBe('line one\nline two');
    expect(parsed.value?.stage).toBe('None');
  });
});

describe('editYaml: adding a tag', () => {
  it('adds the tag and keeps every line outside the tags block', () => {
    const out = editYaml(VERSION, [{ path: ['tags', 'dataset'], value: 'march' }]);
    expect(YAML.parse(out).tags).toEqual({ team: 'growth', area: 'retention', dataset: 'march' });
    const [before, after] = VERSION.split(/^tags:\n(?:  .*\n)+/m);
    expect(out.startsWith(before)).toBe(true);
    expect(out.endsWith(after)).toBe(true);
  });

  it('keeps the comments inside the tags block when a tag is added', () => {
    const out = editYaml(VERSION, [{ path: ['tags', 'dataset'], value: 'march' }]);
    expect(out).toContain('  # who answers for it\n');
    expect(out).toContain('  team: growth  # set by ada\n');
  });

  it('creates the tags key when the file has none, appending lines and changing no other byte', () => {
    const text = VERSION.replace(/^tags:\n(?:  .*\n)+/m, '');
    const out = editYaml(text, [{ path: ['tags', 'dataset'], value: 'march' }]);
    expect(out).toBe(`${text}tags:\n  dataset: march\n`);
  });
});

describe('editYaml: deleting a key', () => {
  it('deleting description removes exactly its line', () => {
    const out = editYaml(VERSION, [{ path: ['description'], value: undefined }]);
    expect(out).toBe(VERSION.replace('description: Gradient boosting, 300 trees\n', ''));
  });

  it('deleting one tag keeps the others', () => {
    const out = editYaml(VERSION, [{ path: ['tags', 'area'], value: undefined }]);
    expect(YAML.parse(out).tags).toEqual({ team: 'growth' });
    expect(out).toContain('# Hand-written note');
    expect(out).toContain('# trailing note');
  });

  it('deleting the last tag removes the tags key', () => {
    const text = 'model: churn\nstage: None\ntags:\n  team: growth\ncreated:\n  at: x\n  by: y\n';
    expect(editYaml(text, [{ path: ['tags', 'team'], value: undefined }])).toBe('model: churn\nstage: None\ncreated:\n  at: x\n  by: y\n');
    expect(editYaml(text, [{ path: ['tags'], value: undefined }])).toBe('model: churn\nstage: None\ncreated:\n  at: x\n  by: y\n');
  });

  it('deleting a key that is not there changes nothing', () => {
    expect(editYaml(VERSION, [{ path: ['deprecated'], value: undefined }])).toBe(VERSION);
  });
});
