import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardContext } from '../../src/policy/index.js';
import { compileGuard, evaluateGuard, MAX_ITERATIONS } from '../../src/policy/cel.js';
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

describe('matches() is RE2', () => {
  it('finishes a pattern that backtracks exponentially in JavaScript, with the RE2 answer', () => {
    // JavaScript's RegExp ran this for 44 s of CPU; RE2 is linear in the input.
    const description = `${'a'.repeat(29)}b`;
    expect(run('version.description.matches("^((a+))+$")', version({ description }))).toEqual({ ok: false, actual: 'false' });
    expect(run('version.description.matches("^((a+))+$")', version({ description: 'a'.repeat(5000) })).ok).toBe(true);
    expect(run('matches(version.description, "^(a|aa)*b$")', version({ description }))).toEqual({ ok: true, actual: 'true' });
  });

  it('keeps ordinary patterns working: partial match, anchors, classes, flags', () => {
    const v = version({ description: 'Churn model v2, trained 2024-03-01' });
    expect(run('version.description.matches("v[0-9]+")', v).ok).toBe(true);
    expect(run('version.description.matches("^v[0-9]+")', v).ok).toBe(false);
    expect(run('version.description.matches("\\\\d{4}-\\\\d{2}-\\\\d{2}$")', v).ok).toBe(true);
    expect(run('version.description.matches("(?i)^CHURN")', v).ok).toBe(true);
    expect(run('version.description.matches("^CHURN")', v).ok).toBe(false);
    expect(run('model.name.matches("^ch") && !model.name.matches("^x")').ok).toBe(true);
  });

  it('refuses at compile time what RE2 does not accept, naming the pattern and the guard', () => {
    for (const [pattern, why] of [['(a)\\\\1', 'invalid escape sequence'], ['(?=a)', 'Perl syntax'], ['(?<!a)b', 'named capture'], ['a{1001}', 'repeat count'], ['[a', 'missing closing ]']]) {
      const source = `version.description.matches("${pattern}")`;
      const { guard, error } = compileGuard(source);
      expect(guard).toBeUndefined();
      expect(error).toMatchObject({ rule: 'cel-regex', offset: 28 });
      expect(error?.message).toContain(why);
      expect(error?.message).toContain(source);
    }
  });

  it('fails closed when a pattern built at run time is not RE2', () => {
    const r = run('version.description.matches(version.description)', version({ description: '(a)\\1' }));
    expect(r.ok).toBe(false);
    expect(r.actual).toContain('invalid RE2 pattern');
  });

  it('names matches, never the internal function, in type errors', () => {
    const { error } = compileGuard('version.metrics.accuracy == 1.0 && 1.matches("x")');
    expect(error?.rule).toBe('cel-type');
    expect(error?.message).toContain('int.matches(string)');
    expect(error?.message).not.toContain('Re2');
  });
});
