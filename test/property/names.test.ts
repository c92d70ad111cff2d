/** Property tests of model names (src/domain/names.ts): valid names round-trip; forbidden characters never pass. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidModelName, modelKey, parseModelName } from '../../src/domain/names.js';
import { RegistryError } from '../../src/errors/index.js';
import * as validators from '../../src/generated/validators.js';
import { forbiddenNameChar, modelName, nameSegment } from './arbitraries.js';

function errorCode(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return e instanceof RegistryError ? e.code : `not a RegistryError: ${String(e)}`; }
  return undefined;
}

const RUNS = { numRuns: 500 };

describe('model names', () => {
  it('parses every valid name to itself (parse is the identity on the grammar)', () => {
    fc.assert(fc.property(modelName, (name) => {
      expect(parseModelName(name)).toBe(name);
      expect(isValidModelName(name)).toBe(true);
    }), RUNS);
  });

  it('formats a namespaced name from its parts and parses it back to the same parts', () => {
    fc.assert(fc.property(nameSegment, nameSegment, (ns, base) => {
      const name = parseModelName(`${ns}/${base}`);
      expect(name.split('/')).toEqual([ns, base]);
    }), RUNS);
  });

  it('agrees with the JSON Schema: every name parseModelName accepts is a valid model.yaml name', () => {
    fc.assert(fc.property(modelName, (name) => {
      expect(validators.model({ name, created: { at: '2024-01-01T00:00:00Z', by: 'ada@example.com' } })).toBe(true);
    }), RUNS);
  });

  it('keys names case-insensitively, and the key is stable', () => {
    fc.assert(fc.property(modelName, (name) => {
      expect(modelKey(name.toUpperCase())).toBe(modelKey(name.toLowerCase()));
      expect(modelKey(modelKey(name))).toBe(modelKey(name));
    }), RUNS);
  });

  it('rejects a valid name with a forbidden character (control, NUL, backslash, non-ASCII look-alike, …) inserted anywhere', () => {
    fc.assert(fc.property(modelName, forbiddenNameChar, fc.nat(), (name, bad, at) => {
      const i = at % (name.length + 1);
      const hostile = name.slice(0, i) + bad + name.slice(i);
      expect(errorCode(() => parseModelName(hostile))).toBe('INVALID_NAME');
    }), { numRuns: 2000 });
  });

  it('rejects path traversal and absolute paths built from valid names', () => {
    const traversal = fc.oneof(
      modelName.map((n) => `../${n}`),
      modelName.map((n) => `${n}/..`),
      nameSegment.map((n) => `${n}/../${n}`),
      modelName.map((n) => `/${n}`),
      modelName.map((n) => `./${n}`),
      nameSegment.map((n) => `${n}//${n}`),
      nameSegment.map((n) => `${n}/`),
      fc.tuple(nameSegment, nameSegment, nameSegment).map(([a, b, c]) => `${a}/${b}/${c}`),
      nameSegment.map((n) => `${n}.lock`),
      nameSegment.map((n) => `${n}.`),
      fc.constantFrom('', '.', '..', '/', '//', '\\', '.git', '-x', '_x'),
    );
    fc.assert(fc.property(traversal, (hostile) => {
      expect(errorCode(() => parseModelName(hostile))).toBe('INVALID_NAME');
    }), RUNS);
  });

  it('rejects a segment longer than 128 characters', () => {
    fc.assert(fc.property(nameSegment, fc.integer({ min: 129, max: 2000 }), (seg, len) => {
      expect(errorCode(() => parseModelName(seg.padEnd(len, 'x')))).toBe('INVALID_NAME');
    }), { numRuns: 100 });
  });
});
