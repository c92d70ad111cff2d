/** fast-check arbitraries for modelreg's grammars: names, versions, URIs, stages, aliases. */
import fc from 'fast-check';

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const NAME_TAIL = [...ALNUM, '.', '_', '-'];
const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
const LETTERS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'];

export const chars = (alphabet: string[], minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });

/** One segment of a model name: `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`, not ending in `.` or `.lock`. */
export const nameSegment = fc
  .tuple(fc.constantFrom(...ALNUM), fc.oneof({ weight: 4, arbitrary: chars(NAME_TAIL, 0, 12) }, { weight: 1, arbitrary: chars(NAME_TAIL, 0, 127) }))
  .map(([h, t]) => h + t)
  .filter((s) => !s.endsWith('.') && !s.endsWith('.lock'));

/** A valid model name: `name` or `namespace/name`. */
export const modelName = fc.oneof(nameSegment, fc.tuple(nameSegment, nameSegment).map(([a, b]) => `${a}/${b}`));

/** Characters a model name may never contain. */
export const forbiddenNameChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u007f', '\\', ' ', ':', '*', '?', '"', '<', '>', '|', '@', '#', '%', '~', '^', '\u00a0', '\u0430', '\u0441', '\u0435', '\u043e', '\u2215', '\u2044', '\uff0f', '\u200b', '\ufeff', '\u202e', '\ud83d\ude00'),
  fc.integer({ min: 0x80, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCharCode(c)),
);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A version number part: mostly small, sometimes huge (up to Number.MAX_SAFE_INTEGER, semver's limit). */
export const versionPart = fc.oneof({ weight: 6, arbitrary: fc.nat(20) }, { weight: 2, arbitrary: fc.nat(100000) }, { weight: 1, arbitrary: fc.integer({ min: MAX_SAFE - 3, max: MAX_SAFE }) });

/** A pre-release identifier: numeric without leading zeros, or alphanumeric with a non-digit. */
export const prereleaseId = fc.oneof(
  fc.nat(1000).map(String),
  chars([...ALNUM, '-'], 1, 8).filter((s) => /[^0-9]/.test(s)),
);

/** A strict semantic version `MAJOR.MINOR.PATCH[-pre]` (no build metadata), as modelreg accepts them. */
export const semverString = fc
  .tuple(versionPart, versionPart, versionPart, fc.option(fc.array(prereleaseId, { minLength: 1, maxLength: 3 }), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre.join('.')}` : ''}`);

/** A stage name as a URI tail: a letter, then letters, digits, `_`, `-`; never `latest`. */
export const stageName = fc
  .tuple(fc.constantFrom(...LETTERS), chars([...ALNUM, '_', '-'], 0, 20))
  .map(([h, t]) => h + t)
  .filter((s) => s !== 'latest');

/** An alias: `[a-z][a-z0-9_-]{0,63}`. */
export const aliasName = fc.tuple(fc.constantFrom(...LOWER), chars([...LOWER, ...'0123456789_-'], 0, 63)).map(([h, t]) => h + t);

const n = fc.nat(30);
/** A semver range that is not itself a version: the forms the model URI grammar accepts. */
export const semverRange = fc.oneof(
  n.map((a) => `^${a}`),
  fc.tuple(n, n).map(([a, b]) => `^${a}.${b}`),
  fc.tuple(n, n).map(([a, b]) => `~${a}.${b}`),
  fc.tuple(n, n, n).map(([a, b, c]) => `~${a}.${b}.${c}`),
  fc.tuple(fc.constantFrom('>=', '<=', '>', '<', '='), n, n, n).map(([op, a, b, c]) => `${op}${a}.${b}.${c}`),
  fc.tuple(n, n, n, n).map(([a, b, c, d]) => `>=${a}.${b}.${c} <${d}.0.0`),
  fc.tuple(n, fc.constantFrom('x', 'X', '*')).map(([a, x]) => `${a}.${x}`),
  fc.tuple(n, n).map(([a, b]) => `${a}.${b}.x`),
  fc.tuple(n, n, n, n, n, n).map(([a, b, c, d, e, f]) => `${a}.${b}.${c} - ${d}.${e}.${f}`),
  fc.tuple(n, n).map(([a, b]) => `^${a} || ^${b}`),
);
