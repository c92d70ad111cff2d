/** Model URIs (src/domain/uri.ts): every form, round trips through formatModelUri, bad URIs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatModelUri, parseModelUri, type ModelRef } from '../../src/domain/uri.js';
import { RegistryError } from '../../src/errors/index.js';

function codeOf(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return e instanceof RegistryError ? e.code : `not a RegistryError: ${String(e)}`; }
  return undefined;
}

describe('parseModelUri', () => {
  const forms: Array<[string, ModelRef]> = [
    ['models:/churn/1.2.0', { model: 'churn', kind: 'version', version: '1.2.0' }],
    ['models:/churn/2.0.0-rc.1', { model: 'churn', kind: 'version', version: '2.0.0-rc.1' }],
    ['models:/churn/Production', { model: 'churn', kind: 'stage', stage: 'Production' }],
    ['models:/churn/Staging', { model: 'churn', kind: 'stage', stage: 'Staging' }],
    ['models:/churn@champion', { model: 'churn', kind: 'alias', alias: 'champion' }],
    ['models:/churn/latest', { model: 'churn', kind: 'latest' }],
    ['models:/churn/^1', { model: 'churn', kind: 'range', range: '^1' }],
    ['models:/churn/~1.2', { model: 'churn', kind: 'range', range: '~1.2' }],
    ['models:/churn/>=1.0.0 <2.0.0', { model: 'churn', kind: 'range', range: '>=1.0.0 <2.0.0' }],
    ['models:/churn/1.x', { model: 'churn', kind: 'range', range: '1.x' }],
    ['models:/fraud/churn/1.0.0', { model: 'fraud/churn', kind: 'version', version: '1.0.0' }],
    ['models:/fraud/churn/Production', { model: 'fraud/churn', kind: 'stage', stage: 'Production' }],
    ['models:/fraud/churn@champion', { model: 'fraud/churn', kind: 'alias', alias: 'champion' }],
    ['models:/fraud/churn/latest', { model: 'fraud/churn', kind: 'latest' }],
    ['models:/fraud/churn/^2', { model: 'fraud/churn', kind: 'range', range: '^2' }],
    ['models:/churn-prediction.v2/1.0.0', { model: 'churn-prediction.v2', kind: 'version', version: '1.0.0' }],
  ];

  it.each(forms)('%s parses to the expected reference and formats back to the same text', (uri, ref) => {
    expect(parseModelUri(uri)).toEqual(ref);
    expect(formatModelUri(ref)).toBe(uri);
  });

  it.each([
    '', 'churn/1.0.0', 'models:churn/1.0.0', 'model:/churn/1.0.0', 'MODELS:/churn/1.0.0', 'runs:/abc/model', 's3://bucket/churn',
    'models:/', 'models:/churn', 'models:/churn/', 'models:/churn/1.0.0+build', 'models:/churn/$$', 'models:/churn/Prod uction',
    'models:/churn/1.0.0;rm -rf', 'models:/churn/ä',
  ])('rejects the malformed URI %j with INVALID_URI', (uri) => {
    expect(codeOf(() => parseModelUri(uri))).toBe('INVALID_URI');
  });

  it('tells which URI forms exist and keeps the URI in the error data', () => {
    try {
      parseModelUri('models:/churn');
      expect.unreachable();
    } catch (e) {
      const err = e as RegistryError;
      expect(err.data).toEqual({ uri: 'models:/churn' });
      expect(err.message).toContain('models:/NAME/VERSION');
      expect(err.message).toContain('models:/NAME@ALIAS');
      expect(err.exitCode).toBe(2);
    }
  });

  // A URI whose name or alias part is bad is a bad URI: callers branch on INVALID_URI.
  it.each([
    'models:/../evil/1.0.0', 'models:/a\\b/1.0.0', 'models://churn/1.0.0', 'models:/ch\u0430rn/1.0.0', 'models:/a/b/c/1.0.0',
    'models:/churn@Champion', 'models:/churn@', 'models:/@champion',
  ])('rejects %j, whose name or alias is invalid, with INVALID_URI', (uri) => {
    expect(codeOf(() => parseModelUri(uri))).toBe('INVALID_URI');
  });
});

describe('round trip, generated', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}[A-Za-z0-9]$/);
  const name = fc.oneof(segment, fc.tuple(segment, segment).map(([a, b]) => `${a}/${b}`));
  const num = fc.integer({ min: 0, max: 9999 });
  const version = fc.tuple(num, num, num, fc.option(fc.stringMatching(/^[a-z]{1,5}\.[1-9]$/), { nil: undefined }))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
  const stage = fc.stringMatching(/^[A-Z][A-Za-z0-9_-]{0,15}$/).filter((s) => s !== 'latest');
  const alias = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/);
  const ref: fc.Arbitrary<ModelRef> = fc.oneof(
    fc.record({ model: name, kind: fc.constant('version' as const), version }),
    fc.record({ model: name, kind: fc.constant('stage' as const), stage }),
    fc.record({ model: name, kind: fc.constant('alias' as const), alias }),
    fc.record({ model: name, kind: fc.constant('latest' as const) }),
    fc.record({ model: name, kind: fc.constant('range' as const), range: fc.integer({ min: 0, max: 99 }).map((n) => `^${n}`) }),
  );

  it('parseModelUri(formatModelUri(ref)) is ref', () => {
    fc.assert(fc.property(ref, (r) => {
      expect(parseModelUri(formatModelUri(r))).toEqual(r);
    }), { numRuns: 500, seed: 20240301 });
  });
});
