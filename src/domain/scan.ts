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
 *
 * The same scan lets the everyday writes edit without the YAML parser (yaml-file.ts `editYaml`):
 * a top-level word replaced, one entry of a top-level block mapping (`tags:`, `aliases:`) set or
 * removed, such a mapping removed; each equal to the parser's edit (property-tested) or declined.
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

/**
 * Scalars the edit below writes as the YAML Document API would: a plain word (letters, digits,
 * `_ . / + = @ -`, a colon or a single space between two such characters) that starts with a
 * letter, digit or `_`. YAML 1.2 core would read some of them as something else (null, a
 * boolean, an integer or a float): the Document API double-quotes those, and so does this.
 */
const WORD = /^[A-Za-z0-9_](?:[A-Za-z0-9_./+=@-]|[: ](?=[A-Za-z0-9_./+=@-]))*$/;
/** Plain words YAML 1.2's core schema reads as null, a boolean or a number (the `yaml` library's own tests). */
const CORE_NOT_STRING = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|0x[0-9a-fA-F]+|[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)$/;
/** A key written plain that reads as the same string: the tag and alias key patterns (names.ts), without a trailing colon. */
const MAP_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*$/;
/** One entry of a block mapping: indentation, a plain key, one space, a one-line value (plain word or simply quoted), nothing after. */
const ENTRY = /( +)([A-Za-z_][A-Za-z0-9_./:-]*): ([A-Za-z0-9_][^\n]*|"[^"\\\n]*"|'[^'\n]*')(?:\n|$)/y;
/** A line that opens a quoted scalar or a flow collection as a value (after indentation, `- ` and a `key: `). */
const VALUE_OPENING = /^[ ]*(?:-[ ]+)*(?:[^\s"'#[{?&*!|>%@`][^\n]*?:[ ]+)?(["'[{])/;
const ONE_LINE_VALUE = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*')[ ]*(?:#.*)?$/;

/** How the Document API writes `value` as a block mapping's value, when it is a word (see WORD); else undefined. */
function wordText(value: string): string | undefined {
  if (!WORD.test(value)) return undefined;
  return CORE_NOT_STRING.test(value) ? `"${value}"` : value;
}

function plainKey(key: string): boolean {
  return MAP_KEY.test(key) && !CORE_NOT_STRING.test(key);
}

/**
 * Every quoted scalar a line opens closes on that line, and no line opens a flow collection:
 * then no line at column 0 can be the continuation of a value above it, and each one is the
 * top-level structure the scan reads it as.
 */
function noValueSpansLines(text: string): boolean {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const m = VALUE_OPENING.exec(line);
    if (m) {
      if (m[1] === '[' || m[1] === '{') return false;
      if (!ONE_LINE_VALUE.test(line.slice(m.index + m[0].length - 1))) return false;
    }
    start = end + 1;
  }
  return true;
}

interface MapEntry {
  key: string;
  /** Where the entry's line starts, and where the next line starts (the text's end on the last line). */
  lineStart: number;
  lineEnd: number;
  /** The value's characters: [valueStart, valueEnd). */
  valueStart: number;
  valueEnd: number;
}

interface TopLevelMap {
  /** Where the `key:` line starts. */
  start: number;
  /** Where the line after the last entry starts (the text's end when it has no newline). */
  end: number;
  indent: number;
  entries: MapEntry[];
}

/**
 * The top-level key `key` when it holds a block mapping of one-line entries (`  k: v`, one
 * indentation, plain keys, plain or simply quoted values, no comments or blank lines among them),
 * null when the document has no such key, undefined when the scan cannot vouch for either.
 */
function topLevelMap(text: string, key: string): TopLevelMap | null | undefined {
  if (!scanTopLevel(text, EMPTY) || !/(?:^|\n)[A-Za-z_]/.test(text) || !noValueSpansLines(text)) return undefined;
  const head = `${key}:`;
  const start = text.startsWith(head) ? 0 : text.indexOf(`\n${head}`) + 1;
  if (start === 0 && !text.startsWith(head)) return null;
  let at = start + head.length;
  if (at < text.length && text[at] !== '\n') return undefined; // a value, spaces or a comment on the key's line
  at++;
  const entries: MapEntry[] = [];
  let indent = -1;
  while (at < text.length && text[at] === ' ') {
    ENTRY.lastIndex = at;
    const m = ENTRY.exec(text);
    if (!m || (indent >= 0 && m[1].length !== indent) || !plainKey(m[2]) || entries.some((e) => e.key === m[2])) return undefined;
    indent = m[1].length;
    const raw = m[3];
    // A plain value must be one word the parser reads as it stands (no comment, no trailing space).
    if (raw[0] !== '"' && raw[0] !== "'" && !WORD.test(raw)) return undefined;
    const valueStart = at + m[1].length + m[2].length + 2;
    entries.push({ key: m[2], lineStart: at, lineEnd: ENTRY.lastIndex, valueStart, valueEnd: valueStart + raw.length });
    at = ENTRY.lastIndex;
  }
  if (!entries.length) return undefined;
  // What follows is the next top-level key, or blank lines and comments before one (or the end):
  // an indented or `-` line after them would continue the mapping.
  let next = at;
  while (next < text.length && (text[next] === '\n' || text[next] === '#')) {
    const nl = text.indexOf('\n', next);
    next = nl < 0 ? text.length : nl + 1;
  }
  if (next < text.length && !/[A-Za-z_]/.test(text[next])) return undefined;
  return { start, end: at, indent, entries };
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Sets (`value` a string) or removes (`value` undefined) the entry `key` of the top-level block
 * mapping `parent` (`tags:` of a version, `aliases:` of a model) by rewriting only the lines it
 * changes, exactly as `editYamlParsed` does (property-tested): a new entry goes after the last
 * one, a mapping created for it at the end of the file, and removing the last entry removes
 * `parent:` too. Undefined when the scan cannot vouch for the document or the mapping, or the
 * key or value is not a word it writes as the Document API would: the caller edits through the
 * YAML parser.
 */
export function editTopLevelMapEntry(text: string, parent: string, key: string, value: string | undefined): string | undefined {
  if (!plainKey(parent) || !plainKey(key)) return undefined;
  const rendered = value === undefined ? '' : wordText(value);
  if (rendered === undefined) return undefined;
  const map = topLevelMap(text, parent);
  if (map === undefined) return undefined;
  if (map === null) return value === undefined ? undefined : `${text}${text.endsWith('\n') ? '' : '\n'}${parent}:\n  ${key}: ${rendered}\n`;
  const entry = map.entries.find((e) => e.key === key);
  if (value === undefined) {
    if (!entry) return undefined;
    return map.entries.length === 1 ? text.slice(0, map.start) + text.slice(map.end) : text.slice(0, entry.lineStart) + text.slice(entry.lineEnd);
  }
  if (entry) return text.slice(0, entry.valueStart) + rendered + text.slice(entry.valueEnd);
  const at = map.end;
  return `${text.slice(0, at)}${text[at - 1] === '\n' ? '' : '\n'}${' '.repeat(map.indent)}${key}: ${rendered}\n${text.slice(at)}`;
}

/** Removes the top-level key `key` and its block mapping (as above); undefined when the scan cannot vouch for it or it is absent. */
export function removeTopLevelMap(text: string, key: string): string | undefined {
  if (!plainKey(key)) return undefined;
  const map = topLevelMap(text, key);
  return map ? text.slice(0, map.start) + text.slice(map.end) : undefined;
}
