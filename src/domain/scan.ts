/**
 * The three head fields of a version file (`model`, `version`, `stage`) read by a line scan
 * instead of a YAML parse. A whole-registry listing needs only these from each of up to 100k
 * files, and a full parse and validation costs about 60 µs a file; the scan costs about 1 µs.
 *
 * The scan answers only when a YAML parser that accepts the file reads the same strings: the
 * document's top level is a mapping at column 0 from its first line on, each field is a
 * top-level key there, once, with a plain one-line value that matches its schema pattern (and
 * length) and that YAML reads as a string. Anything it cannot vouch for (quoted or flow values,
 * anchors, tags, directives, several documents, CR line ends, an indented document, a value
 * continued on the next line, a top-level line that is not a simple `key: value`) returns
 * undefined, and the caller parses and validates the file. It does not check that the rest of
 * the file is valid: `list` reads these three fields only; `check`, `show` and every write
 * validate whole files.
 */
import { MODEL_NAME, SEMVER } from './schema-patterns.js';

export interface VersionHead {
  model: string;
  version: string;
  stage: string;
}

const FIELDS: ReadonlySet<string> = new Set(['model', 'version', 'stage']);
const PATTERNS: Record<keyof VersionHead, RegExp> = {
  // The schema patterns (schemas/version.schema.json): ModelName, SemVer, stage.
  model: MODEL_NAME,
  version: SEMVER,
  stage: /^[A-Za-z][A-Za-z0-9_-]*$/,
};
/** The schema's maxLength of each field. */
const MAX_LENGTH: Record<keyof VersionHead, number> = { model: 257, version: 256, stage: 64 };
/** Plain scalars a YAML loader may read as something other than a string (YAML 1.1 and 1.2). */
const NOT_A_STRING = /^(?:[-+.0-9]|(?:true|false|yes|no|on|off|y|n|null|~)$)/i;
/** A top-level `key: rest` line whose key is a plain word, matched where a line starts (sticky, no slicing per line). */
const KEY_LINE = /([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+([^\n]*))?(?:\n|$)/y;
/** Values that begin something the scan does not follow: flow collections, anchors, aliases, tags, reserved. */
const OPAQUE_START = /^[[{&*!%@`]/;
const ONE_LINE_QUOTED = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')[ ]*(?:#.*)?$/;
const BLOCK_SCALAR = /^[|>][-+0-9]*[ ]*(?:#.*)?$/;

const SPACE = 0x20;
const HASH = 0x23;
const DASH = 0x2d;
const NL = 0x0a;

/** A plain one-line scalar the scan reports as is (letters, digits and . _ / + -). */
const SAFE_PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/+-]*$/;

export interface TopLevelScalar {
  value: string;
  /** Offsets of the value in the text: [start, end). */
  start: number;
  end: number;
}

/**
 * The plain one-line values of the top-level `keys`, when the scan can vouch that a YAML parser
 * reads the document's top level as this scan does (see the rules above); undefined otherwise.
 * A key in `keys` that is absent is absent from the map.
 */
export function scanTopLevel(text: string, keys: ReadonlySet<string>): Map<string, TopLevelScalar> | undefined {
  if (text.includes('\r')) return undefined;
  const found = new Map<string, TopLevelScalar>();
  const seen = new Set<string>();
  let ownValueAbove = false; // the previous top-level line was one of `keys`
  let start = 0;
  while (start < text.length) {
    const c = text.charCodeAt(start);
    if (c === NL || c === HASH || c === SPACE || (c === DASH && (start + 1 === text.length || text.charCodeAt(start + 1) === SPACE || text.charCodeAt(start + 1) === NL))) {
      // Blank, comment, nested content, or a sequence at the parent's indentation. Under one of
      // `keys` the last two would continue or replace its value: let the parser decide.
      if (ownValueAbove && (c === SPACE || c === DASH)) return undefined;
      // Indented content before the first top-level key: the document itself may be indented,
      // and then a quoted value may continue at column 0 with what looks like a key.
      if (seen.size === 0 && (c === SPACE || c === DASH)) return undefined;
      const end = text.indexOf('\n', start);
      start = end < 0 ? text.length : end + 1;
      continue;
    }
    KEY_LINE.lastIndex = start;
    const m = KEY_LINE.exec(text);
    if (!m) return undefined;
    const [line, key, rest = ''] = m;
    if (seen.has(key)) return undefined; // a duplicate key: the parser reports it
    seen.add(key);
    ownValueAbove = false;
    if (keys.has(key)) {
      const value = rest.replace(/[ ]+$/, '');
      if (!SAFE_PLAIN.test(value)) return undefined;
      const valueStart = start + line.length - (line.endsWith('\n') ? 1 : 0) - rest.length;
      found.set(key, { value, start: valueStart, end: valueStart + value.length });
      ownValueAbove = true;
    } else if (rest !== '') {
      const value = rest.trimEnd();
      if (OPAQUE_START.test(value)) return undefined;
      if ((value[0] === '"' || value[0] === "'") && !ONE_LINE_QUOTED.test(value)) return undefined;
      if ((value[0] === '|' || value[0] === '>') && !BLOCK_SCALAR.test(value)) return undefined;
    }
    start = KEY_LINE.lastIndex;
  }
  return found;
}

export function scanVersionHead(text: string): VersionHead | undefined {
  const top = scanTopLevel(text, FIELDS);
  if (!top) return undefined;
  const head: Partial<VersionHead> = {};
  for (const field of FIELDS as Set<keyof VersionHead>) {
    const v = top.get(field)?.value;
    if (v === undefined || v.length > MAX_LENGTH[field] || !PATTERNS[field].test(v) || (field !== 'version' && NOT_A_STRING.test(v))) return undefined;
    head[field] = v;
  }
  return head as VersionHead;
}

/**
 * `key: value` set at the top level by rewriting only the old value's characters, when the
 * scan vouches for the document and both values are plain words YAML reads as strings (a
 * stage: what every transition writes). Undefined when it cannot: the caller edits through
 * the YAML parser, whose result this equals (property-tested).
 */
export function replaceTopLevelScalar(text: string, key: string, value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(value) || NOT_A_STRING.test(value)) return undefined;
  const old = scanTopLevel(text, new Set([key]))?.get(key);
  return old ? text.slice(0, old.start) + value + text.slice(old.end) : undefined;
}
