/**
 * The reader of version files as modelreg writes them (src/domain/plain-document.ts), which
 * validation uses instead of js-yaml. It may decline (js-yaml then parses the file as before),
 * but when it answers, the value must be exactly what js-yaml reads with the core schema (and
 * what the yaml library reads): same keys in the same order, same strings, numbers and booleans.
 */
import { describe, expect, it } from 'vitest';
import { agrees as agreesWith, answeredOfMutations } from './yaml-oracle.js';
import jsyaml from 'js-yaml';
import { readPlainDocument } from '../../src/domain/plain-document.js';
import { validateText } from '../../src/domain/validate.js';
import { renderVersion } from '../../src/domain/render.js';
import { resolveConfig, type ModelVersion } from '../../src/domain/state.js';

const RECORD = {
  model: 'churn', version: '1.7.0', stage: 'Production', number: 7, description: 'Retrained on the weekly snapshot',
  tags: { candidate: 'true', team: 'risk', 'data.source': 's3://bucket/x' },
  artifact: { uri: 's3://ml-models/churn/1.7.0/model.bin', digest: `sha256:${'2a4b97d3'.repeat(8)}`, size: 55585946, format: 'pickle' },
  framework: { name: 'sklearn', version: '1.5.0' },
  signature: { inputs: [{ name: 'f0_age', type: 'integer' }, { name: 'f1_amount', type: 'long' }], outputs: [{ name: 'prediction', type: 'double' }] },
  metrics: { accuracy: 0.9191, auc: 0.906, log_loss: 0.1092, zero: 0, neg: -0.5 },
  params: { early_stopping: false, learning_rate: 0.1505, max_depth: 3, objective: 'binary', seed: 42 },
  lineage: {
    run: { id: '0b11dbaf873cca23ebcc397edd2ae7f5', uri: 'https://mlflow.example.com/runs/54fed9af41965e584b86b8bd54f01a5e', experiment: 'churn-training' },
    code: { repo: 'https://github.com/example/churn', commit: '095a134cc18794484173810b17d96a41b8e24de9' },
    data: [{ name: 'risk-events', version: 'v8' }, { name: 'customer-features', version: 'v20' }],
    parent: 'models:/churn/1.6.0',
  },
  created: { at: '2026-01-01T00:07:00Z', by: 'alice@example.com' },
  approvals: [{ by: 'bob@example.com', stage: 'Production', at: '2026-01-02T00:00:00Z', comment: 'looks good' }],
} as unknown as ModelVersion;
const REAL = renderVersion(resolveConfig(undefined), 'registry/churn/versions/1.7.0.yaml', RECORD);

/** What each parser reads (as JSON, which keeps key order), or nothing when it refuses the text. */
const agrees = (text: string) => agreesWith(readPlainDocument, text);

describe('readPlainDocument', () => {
  it('reads version files as modelreg writes them, exactly as js-yaml does', () => {
    expect(readPlainDocument(REAL)).toEqual(JSON.parse(JSON.stringify(RECORD)));
    expect(agrees(REAL)).toBe(true);
    const v = validateText<ModelVersion>('version', REAL, 'registry/churn/versions/1.7.0.yaml');
    expect(v.issues).toEqual([]);
    expect(v.value).toEqual(jsyaml.load(REAL, { schema: jsyaml.CORE_SCHEMA }));
  });

  it('declines what it cannot vouch for', () => {
    const declined = [
      'metric: 1e3', 'metric: 1E3', 'metric: 0x1F', 'metric: 0o17', 'metric: 0b101', 'metric: 1_000', 'metric: .5', 'metric: 1.',
      'metric: -0', 'metric: +1', 'metric: 1234567890123456789', 'metric: .inf', 'metric: -.inf', 'metric: .nan', 'metric: ~',
      'metric: null', 'metric: Null', 'metric: True', 'metric: FALSE', 'metric: yes', 'metric:', 'metric: []', 'metric: {}',
      "metric: 'x'", 'metric: "a\\nb"', 'metric: "x" # c', 'metric: x # c', 'metric: a: b', 'metric: |\n  x', 'metric: >-\n  x',
      'metric: &a x', 'metric: *a', 'metric: !!str x', 'true: x', 'null: x', 'On: x', '__proto__: x', '"key": x', 'metric: café',
      'metric: x\n  continued', 'list:\n- a', 'list:\n  - - a', 'list:\n  -', 'list:\n  -  a', 'map:\n  a: 1\n b: 2',
      'map:\n  a: 1\n    b: 2', 'dup: 1\ndup: 2', '---\nkey: x', 'key: x\n...', '%YAML 1.2\n---\nkey: x', '\uFEFFkey: x',
      'key: x\r', '\tkey: x', 'key:\tx', '  key: x', '', '# only a comment\n',
    ];
    for (const text of declined) expect(readPlainDocument(text), JSON.stringify(text)).toBeUndefined();
  });

  it('never disagrees with a YAML parser on mutated files', () => {
    const tricky = [
      'model: other', '  model: x', 'model: "x"', 'model:', '  x', '- x', '-', 'model: x # c', "'model': x", 'stage: None',
      '  - name: f9', '    type: double', '      - c', '  -  d', '  - ', '- e', 'tags:', '  team: x', '  team:', '   t: y',
      '  t: 1', '  t: true', '  t: null', '  t: 1.2.0', '  t: 1.2', '  t: 1_000', '  t: 0o17', '  t: 0x1f', '  t: 0b11', '  t: 0b12',
      '  t: .nan', '  t: +1', '  t: -1', '  t: -0', '  t: -0.0', '  t: 1e5', '  t: 12e', '  t: 1.5e-3', '  t: 007', '  t: 0.10',
      '  t: -x', '  t: ~', '  t: a:b', '  t: a: b', '  t: a #b', '  t: a#b', '  t: [a]', '  t: {a: b}', '  t: "q"', '  t: ""',
      '  t: "a # b"', '  t: "a\\"b"', "  t: it's", '  t: x:', '  a.b: c', '  a/b: c', '  a:b: c', 'description: a: b',
      'description: |', 'description: >-', '  text', 'x: [a,', '  b]', '---', '...', '# comment', '', '  # indented comment',
      '\tmodel: x', 'model:\tx', 'key:value', 'model: x\r', '? model', ': x', '&a model: x', 'model: *a', '<<: *a',
      '__proto__: x', '  __proto__: x', 'approvals:', '  - by: a@example.com', '    stage: Staging', '  - x', '    - y',
      '  True: x', '  yes: x', '  1: x', 'number: 12', 'number: 12.5', 'deprecated: true', 'deprecated: True', 'model: é',
      '  t: 54fed9af41965e584b86b8bd54f01a5e', '  t: 0b11dbaf', '  t: 1e3a', '  t: 12:30', '  t: 2026-01-01T00:00:00Z',
    ];
    const plausible = [
      '  t: 1.2.0', '  t: x', '  a.b: c', '  t: 12', '  t: 0.5', '  t: -3', '  t: false', '  t: "true"', '  t: 54fed9af',
      '  - name: f9', '    type: double', '# comment', '', 'description: some words here', '  t: 1_000', '  t: ~', '  t: 1e5',
      '  t: 0b11dbaf', '  t: 007', '  t: 0.10', '  t: 2026-01-01T00:00:00Z', 'deprecated: true',
    ];
    const answered = answeredOfMutations(REAL.split('\n'), tricky, plausible, agrees);
    // The property is only worth something if the reader answered for many of the mutations.
    expect(answered).toBeGreaterThan(300);
  });
});
