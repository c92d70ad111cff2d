import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGuard, evaluateGuard, guardContext, MAX_ITERATIONS } from '../../src/policy/index.js';
import { DAVE, MODEL, NOW, version } from './fixtures.js';

const run = (source: string, v = version(), actor = DAVE) => {
  const { guard, error } = compileGuard(source);
  if (!guard) throw new Error(error?.message);
  return evaluateGuard(guard, guardContext(v, MODEL, actor, NOW));
};

describe('CEL guards', () => {
  it('sees version, model, actor and now', () => {
    expect(run('version.stage == "Staging" && model.name == "churn" && actor.email == "dave@example.com"').ok).toBe(true);
    expect(run('now > timestamp(version.created.at) && now - timestamp(version.created.at) > duration("24h")').ok).toBe(true);
    expect(run('!has(actor.github) && has(actor.name)').ok).toBe(true);
    expect(run('"github:Olga" in model.owners && size(model.tags) == 0 && size(version.params) == 0').ok).toBe(true);
  });

  it('compares numbers across int and double', () => {
    expect(run('version.metrics.accuracy < 1 && version.metrics.accuracy >= 0.5').ok).toBe(true);
    expect(run('version.artifact.size > 100', version({ artifact: { uri: 'x', size: 5000 } })).ok).toBe(true);
  });

  it('fails closed on errors and non-bool results', () => {
    expect(run('version.metrics.auc > 0.9')).toEqual({ ok: false, actual: 'error: No such key: auc' });
    expect(run('version.metrics.accuracy')).toEqual({ ok: false, actual: 'not a bool: 0.9' });
    expect(run('version.metrics.accuracy * 2 > 1.0').actual).toContain('error: no such overload');
    expect(run('version.metrics.accuracy * 2.0 > 1.0').ok).toBe(true);
  });

  it('refuses to evaluate nested comprehensions over inputs that are too large', () => {
    const n = Math.ceil(Math.sqrt(MAX_ITERATIONS)) + 1;
    const big = version({ signature: { inputs: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: 'double' as const })) } });
    const r = run('version.signature.inputs.all(a, version.signature.inputs.exists(b, a.name == b.name))', big);
    expect(r.ok).toBe(false);
    expect(r.actual).toContain('exceed the limit');
    expect(run('version.signature.inputs.exists(c, c.name == "c1")', big).ok).toBe(true);
  });

  it('has no access to inherited properties of plain objects', () => {
    expect(run('has(version.tags.constructor) || has(version.tags.__proto__)').ok).toBe(false);
  });

  it('never throws when compiling or evaluating arbitrary text', () => {
    const token = fc.constantFrom('version', 'model', 'actor', 'now', 'constructor', '__proto__', '.', '[', ']', '(', ')', '"x"', '1', '2.0', '&&', '||', '==', '>', '!', 'has', 'all', 'exists', ',', 'c', 'metrics', 'tags', 'signature', 'inputs', 'cel', 'bind', '?', ':');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(token, { maxLength: 20 }).map((t) => t.join(' ').replace(/ \. /g, '.'))), (src) => {
      const { guard } = compileGuard(src);
      if (guard) evaluateGuard(guard, guardContext(version(), MODEL, DAVE, NOW));
    }), { numRuns: 2000 });
  });
});
