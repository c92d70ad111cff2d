/** Model names (src/domain/names.ts): what is a name, what could escape the registry folder. */
import { describe, expect, it } from 'vitest';
import { isValidModelName, modelKey, parseAlias, parseKey, parseModelName } from '../../src/domain/names.js';
import { RegistryError } from '../../src/errors/index.js';

function codeOf(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return e instanceof RegistryError ? e.code : `not a RegistryError: ${String(e)}`; }
  return undefined;
}

describe('parseModelName', () => {
  it.each([
    'churn', 'churn-prediction', 'iris_v2', 'A1.b_c-d', '7', 'fraud/churn', 'Team.One/model_2',
    'a'.repeat(128), `${'n'.repeat(128)}/${'m'.repeat(128)}`,
  ])('accepts %j and returns it unchanged', (name) => {
    expect(parseModelName(name)).toBe(name);
    expect(isValidModelName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['parent folder', '..'],
    ['current folder', '.'],
    ['parent prefix', '../evil'],
    ['parent inside a namespace', 'team/..'],
    ['parent in the middle', 'a/../b'],
    ['absolute path', '/etc/passwd'],
    ['absolute, one segment', '/churn'],
    ['backslash', 'a\\b'],
    ['Windows parent', '..\\evil'],
    ['NUL', 'churn\u0000.yaml'],
    ['newline', 'churn\nevil'],
    ['tab', 'churn\tx'],
    ['carriage return', 'churn\r'],
    ['DEL', 'churn\u007f'],
    ['escape', '\u001b[31mred'],
    ['Cyrillic а look-alike', 'ch\u0430rn'],
    ['Greek ο look-alike', 'm\u03bfdel'],
    ['full-width letter', '\uff43hurn'],
    ['non-breaking space', 'churn\u00a0'],
    ['zero-width space', 'churn\u200b'],
    ['129 characters', 'a'.repeat(129)],
    ['namespace of 129 characters', `${'a'.repeat(129)}/m`],
    ['two namespaces', 'a/b/c'],
    ['empty namespace', '/b'],
    ['empty name after namespace', 'team/'],
    ['double slash', 'a//b'],
    ['leading dot', '.hidden'],
    ['leading dash', '-churn'],
    ['leading underscore', '_churn'],
    ['space', 'my model'],
    ['ends with .lock', 'churn.lock'],
    ['ends with a dot', 'churn.'],
    ['colon', 'c:churn'],
    ['at sign', 'churn@champion'],
  ])('rejects %s with INVALID_NAME', (_why, name) => {
    expect(codeOf(() => parseModelName(name))).toBe('INVALID_NAME');
    expect(isValidModelName(name)).toBe(false);
  });

  it('names the offending input in the error data and tells what a name may contain', () => {
    try {
      parseModelName('ch\u0430rn');
      expect.unreachable();
    } catch (e) {
      const err = e as RegistryError;
      expect(err.code).toBe('INVALID_NAME');
      expect(err.data).toEqual({ name: 'ch\u0430rn' });
      expect(err.message).toContain('non-ASCII');
      expect(err.message).toContain("optionally with one 'namespace/' prefix");
      expect(err.exitCode).toBe(2);
    }
  });

  it('says which rule a name broke', () => {
    const msg = (n: string) => { try { parseModelName(n); return ''; } catch (e) { return (e as Error).message; } };
    expect(msg('a\\b')).toContain('backslash');
    expect(msg('/abs')).toContain('absolute path');
    expect(msg('a/b/c')).toContain('more than one namespace');
    expect(msg('x\u0000')).toContain('control character');
    expect(msg('..')).toContain("'..' is not allowed");
  });
});

describe('modelKey', () => {
  it('makes names that differ only by case one key', () => {
    expect(modelKey('Churn')).toBe(modelKey('churn'));
    expect(modelKey('FRAUD/Churn-Prediction')).toBe(modelKey('fraud/churn-prediction'));
    expect(modelKey('Churn')).toBe('churn');
  });

  it('keeps different names apart, including look-alikes', () => {
    expect(modelKey('churn')).not.toBe(modelKey('churn2'));
    expect(modelKey('churn')).not.toBe(modelKey('ch\u0430rn'));
    expect(modelKey('a/b')).not.toBe(modelKey('ab'));
  });
});

describe('parseAlias and parseKey', () => {
  it('accepts lower-case aliases and rejects everything else with BAD_INPUT', () => {
    expect(parseAlias('champion')).toBe('champion');
    expect(parseAlias('challenger-2')).toBe('challenger-2');
    for (const bad of ['Champion', '2nd', '', 'a b', 'x'.repeat(65), '../x']) expect(codeOf(() => parseAlias(bad))).toBe('BAD_INPUT');
  });

  it('accepts metric and tag keys and rejects keys that are not names', () => {
    for (const ok of ['auc', 'f1_score', 'val/loss', 'eval.acc', '_private', 'team:owner']) expect(parseKey('metric', ok)).toBe(ok);
    for (const bad of ['', '1st', 'a b', '-x', 'a\nb', 'é']) expect(codeOf(() => parseKey('metric', bad))).toBe('BAD_INPUT');
  });
});
