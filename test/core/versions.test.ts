/** Versions (src/domain/versions.ts): strict semver, bumps, never reusing a number, ordering. */
import { describe, expect, it } from 'vitest';
import { bumpBetween, compareVersions, highestVersion, nextVersion, parseBump, parseVersion, satisfiesRange, sortVersionsDesc } from '../../src/domain/versions.js';
import { RegistryError } from '../../src/errors/index.js';

function codeOf(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return e instanceof RegistryError ? e.code : `not a RegistryError: ${String(e)}`; }
  return undefined;
}

describe('parseVersion', () => {
  it.each(['0.0.0', '1.0.0', '1.2.3', '10.20.30', '1.0.0-rc.1', '2.0.0-alpha-1', '1.0.0-0.3.7', '999999.0.1'])('accepts %s', (v) => {
    expect(parseVersion(v)).toBe(v);
  });

  it.each([
    '', '1', '1.0', 'v1.0.0', 'V1.0.0', '01.0.0', '1.01.0', '1.0.01', '1.0.0+build.7', '1.0.0-', '1.0.0-rc..1', ' 1.0.0', '1.0.0 ',
    '1.0.0\n', '1.0.0.0', '-1.0.0', 'latest', '1.x.0', '^1.0.0', '1.0.0-ü', `1.0.0-${'a'.repeat(300)}`,
  ])('rejects %j with INVALID_VERSION', (v) => {
    expect(codeOf(() => parseVersion(v))).toBe('INVALID_VERSION');
  });

  it('shortens a very long input in the message', () => {
    try {
      parseVersion('9'.repeat(500));
      expect.unreachable();
    } catch (e) {
      expect((e as RegistryError).message.length).toBeLessThan(300);
      expect((e as RegistryError).message).toContain('MAJOR.MINOR.PATCH');
    }
  });
});

describe('nextVersion', () => {
  it('starts at 1.0.0, or at the configured first version', () => {
    expect(nextVersion([], 'minor')).toBe('1.0.0');
    expect(nextVersion([], 'major')).toBe('1.0.0');
    expect(nextVersion([], 'patch', '0.1.0')).toBe('0.1.0');
  });

  it('bumps the highest version, not the last one given', () => {
    const taken = ['1.0.0', '1.2.0', '1.1.5', '0.9.0'];
    expect(nextVersion(taken, 'patch')).toBe('1.2.1');
    expect(nextVersion(taken, 'minor')).toBe('1.3.0');
    expect(nextVersion(taken, 'major')).toBe('2.0.0');
  });

  it('compares numerically: 1.10.0 is above 1.9.0', () => {
    expect(nextVersion(['1.9.0', '1.10.0'], 'minor')).toBe('1.11.0');
  });

  it('never reuses a deleted version: the taken list includes deleted ones', () => {
    // 2.0.0 was deleted; the live versions stop at 1.1.0.
    const live = ['1.0.0', '1.1.0'];
    const deleted = ['2.0.0'];
    expect(nextVersion([...live, ...deleted], 'minor')).toBe('2.1.0');
    expect(nextVersion([...live, ...deleted], 'major')).toBe('3.0.0');
    expect(nextVersion([...live, ...deleted], 'patch')).toBe('2.0.1');
  });
});

describe('ordering', () => {
  it('orders by semver precedence: pre-releases below their release, numbers numerically', () => {
    const sorted = ['1.10.0', '1.0.0', '2.0.0', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.1', '1.9.0', '1.0.0-beta'];
    expect(sortVersionsDesc(sorted)).toEqual(['2.0.0', '1.10.0', '1.9.0', '1.0.1', '1.0.0', '1.0.0-rc.2', '1.0.0-rc.1', '1.0.0-beta']);
    expect(highestVersion(sorted)).toBe('2.0.0');
    expect(highestVersion([])).toBeUndefined();
  });

  it('compareVersions is a total order consistent with sorting', () => {
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('2.0.0', '10.0.0')).toBeLessThan(0);
  });

  it('bumpBetween names the part that changed', () => {
    expect(bumpBetween('1.2.3', '2.0.0')).toBe('major');
    expect(bumpBetween('1.2.3', '1.3.0')).toBe('minor');
    expect(bumpBetween('1.2.3', '1.2.4')).toBe('patch');
    expect(bumpBetween('1.2.3', '1.2.3')).toBe('none');
  });

  it('ranges select by semver', () => {
    expect(satisfiesRange('1.9.0', '^1')).toBe(true);
    expect(satisfiesRange('2.0.0', '^1')).toBe(false);
    expect(satisfiesRange('1.2.5', '~1.2')).toBe(true);
  });
});

describe('parseBump', () => {
  it('accepts major, minor, patch and nothing else', () => {
    expect(parseBump('major')).toBe('major');
    expect(parseBump('minor')).toBe('minor');
    expect(parseBump('patch')).toBe('patch');
    for (const bad of ['Major', 'prerelease', '', 'minor ']) expect(codeOf(() => parseBump(bad))).toBe('BAD_INPUT');
  });
});
