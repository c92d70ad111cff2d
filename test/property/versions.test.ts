/** Property tests of versions (src/domain/versions.ts): valid semver parses; nextVersion is above everything taken. */
import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareVersions, highestReleaseBelow, highestVersion, isValidVersion, nextVersion, parseVersion, sortVersionsDesc, type Bump } from '../../src/domain/versions.js';
import { RegistryError } from '../../src/errors/index.js';
import { prereleaseId, semverString, versionPart } from './arbitraries.js';

function errorCode(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return e instanceof RegistryError ? e.code : `not a RegistryError: ${String(e)}`; }
  return undefined;
}

const bump = fc.constantFrom<Bump>('major', 'minor', 'patch');
/** Versions with small numbers: what a registry holds. */
const smallVersion = fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.option(fc.array(prereleaseId, { minLength: 1, maxLength: 2 }), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre.join('.')}` : ''}`);

describe('versions', () => {
  it('parses every strict semantic version to itself', () => {
    fc.assert(fc.property(semverString, (v) => {
      expect(parseVersion(v)).toBe(v);
      expect(semver.valid(v)).toBe(v);
    }), { numRuns: 1000 });
  });

  it('rejects a v prefix, leading zeros, build metadata, missing parts and whitespace', () => {
    const bad = fc.oneof(
      semverString.map((v) => `v${v}`),
      semverString.map((v) => `${v}+build.1`),
      semverString.map((v) => ` ${v}`),
      semverString.map((v) => `${v}\n`),
      fc.tuple(fc.integer({ min: 1, max: 99 }), versionPart, versionPart).map(([a, b, c]) => `0${a}.${b}.${c}`),
      fc.tuple(versionPart, versionPart).map(([a, b]) => `${a}.${b}`),
      fc.tuple(versionPart, versionPart, versionPart, versionPart).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`),
      fc.tuple(versionPart, versionPart, versionPart, fc.integer({ min: 1, max: 99 })).map(([a, b, c, d]) => `${a}.${b}.${c}-0${d}`),
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 17, max: 400 })).map(([d, len]) => `1.0.${String(d).repeat(len)}`),
    );
    fc.assert(fc.property(bad, (v) => {
      expect(errorCode(() => parseVersion(v))).toBe('INVALID_VERSION');
    }), { numRuns: 1000 });
  });

  it('nextVersion is a valid version greater than every version taken (registry-sized numbers)', () => {
    fc.assert(fc.property(fc.array(smallVersion, { minLength: 1, maxLength: 12 }), bump, (taken, b) => {
      const next = nextVersion(taken, b);
      expect(isValidVersion(next)).toBe(true);
      for (const t of taken) expect(compareVersions(next, t)).toBe(1);
      expect(taken).not.toContain(next);
    }), { numRuns: 1000 });
  });

  it('nextVersion is a valid version greater than every version taken, or refuses (any number semver allows)', () => {
    fc.assert(fc.property(fc.array(semverString, { minLength: 1, maxLength: 8 }), bump, (taken, b) => {
      let next: string;
      try {
        next = nextVersion(taken, b);
      } catch (e) {
        // Refusing is fine (there is no version above MAX_SAFE_INTEGER.x.y); handing back one that is not a version is not.
        expect(e instanceof RegistryError && e.code).toBe('INVALID_VERSION');
        return;
      }
      expect(isValidVersion(next), `nextVersion(${JSON.stringify(taken)}, ${b}) = ${next}, which parseVersion rejects`).toBe(true);
      for (const t of taken) expect(semver.gt(next, t)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('nextVersion of nothing is the first version', () => {
    fc.assert(fc.property(bump, smallVersion, (b, first) => {
      expect(nextVersion([], b, first)).toBe(first);
    }));
  });

  it('sorts newest first, consistently with compareVersions', () => {
    fc.assert(fc.property(fc.array(semverString, { maxLength: 20 }), (vs) => {
      const sorted = sortVersionsDesc(vs);
      expect(sorted).toHaveLength(vs.length);
      for (let i = 1; i < sorted.length; i++) expect(compareVersions(sorted[i - 1], sorted[i])).toBeGreaterThanOrEqual(0);
    }));
  });

  it('finds the highest version, and the highest release below a version, as a semver sort does', () => {
    const some = fc.oneof(semverString, smallVersion);
    fc.assert(fc.property(fc.array(some, { maxLength: 30 }), some, (vs, limit) => {
      expect(highestVersion(vs)).toBe([...vs].sort(semver.rcompare)[0]);
      expect(highestReleaseBelow(vs, limit)).toBe(vs.filter((v) => !v.includes('-') && semver.lt(v, limit)).sort(semver.rcompare)[0]);
    }), { numRuns: 2000 });
  });
});
