/** Property tests of model URIs (src/domain/uri.ts): every kind round-trips through format and parse. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatModelUri, parseModelUri, type ModelRef } from '../../src/domain/uri.js';
import { RegistryError } from '../../src/errors/index.js';
import { aliasName, forbiddenNameChar, modelName, semverRange, semverString, stageName } from './arbitraries.js';

const ref: fc.Arbitrary<ModelRef> = fc.oneof(
  fc.record({ model: modelName, kind: fc.constant('version' as const), version: semverString }),
  fc.record({ model: modelName, kind: fc.constant('stage' as const), stage: stageName }),
  fc.record({ model: modelName, kind: fc.constant('alias' as const), alias: aliasName }),
  fc.record({ model: modelName, kind: fc.constant('latest' as const) }),
  fc.record({ model: modelName, kind: fc.constant('range' as const), range: semverRange }),
);

describe('model URIs', () => {
  it('formatModelUri(parseModelUri(u)) === u for generated URIs of every kind', () => {
    fc.assert(fc.property(ref, (r) => {
      const u = formatModelUri(r);
      expect(formatModelUri(parseModelUri(u))).toBe(u);
    }), { numRuns: 2000 });
  });

  it('parseModelUri(formatModelUri(r)) gives back the same reference (kind and parts)', () => {
    fc.assert(fc.property(ref, (r) => {
      expect(parseModelUri(formatModelUri(r))).toEqual(r);
    }), { numRuns: 2000 });
  });

  it('covers every kind', () => {
    const kinds = new Set(fc.sample(ref, 500).map((r) => parseModelUri(formatModelUri(r)).kind));
    expect([...kinds].sort()).toEqual(['alias', 'latest', 'range', 'stage', 'version']);
  });

  it('rejects a URI whose model name holds a forbidden character, with a RegistryError', () => {
    fc.assert(fc.property(ref, forbiddenNameChar, fc.nat(), (r, bad, at) => {
      const i = at % (r.model.length + 1);
      const u = formatModelUri({ ...r, model: r.model.slice(0, i) + bad + r.model.slice(i) } as ModelRef);
      let code: string | undefined;
      try { parseModelUri(u); } catch (e) { code = e instanceof RegistryError ? e.code : 'not a RegistryError'; }
      expect(['INVALID_NAME', 'INVALID_URI', 'BAD_INPUT']).toContain(code);
    }), { numRuns: 1000 });
  });
});
