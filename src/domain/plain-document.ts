/**
 * A reader for version files as modelreg writes them: block mappings and block sequences nested
 * to any depth (`signature.inputs` is a list of mappings), whose leaves are one-line plain
 * strings, decimal integers and floats, `true`/`false`, or double-quoted strings without escapes.
 * The first `history` of a clone parses one or two version files a commit, and js-yaml's general
 * parser was most of that walk's time (about 150 µs a file in a short-lived process).
 *
 * As domain/plain-yaml.ts (which it builds on), it answers only where it reads exactly the value
 * js-yaml reads with the YAML 1.2 core schema: printable ASCII only, comments only on lines of
 * their own, every line an entry at the indentation its block expects. A number it does not
 * vouch for (`1e3`, `0x1F`, `1_000`, `.5`, `-0`, more than 15 digits), `null`, `~`, a word a
 * loader may read otherwise (`True`, `yes`), an empty value, flow collections, quoting other than
 * plain double quotes, block scalars, anchors, tags, directives: undefined, and the caller parses
 * the file with js-yaml as before. Property-tested against js-yaml and yaml.
 */
import { plainString } from './plain-yaml.js';

const SAFE_TEXT = /^[\n\x20-\x7e]*$/;
/** `key:` or `key: value` after the indentation; keys are names, not numbers or words. */
const INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const FLOAT = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** Anything js-yaml's core schema could read as a number (a superset: these decline). */
const NUMBER_LIKE = /^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-f_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:e[-+]?[0-9_]*)?|\.[0-9_]+(?:e[-+]?[0-9_]*)?|\.inf|\.nan)$/i;
/** Keys js-yaml reads as a boolean or null first (then names by their String()). */
const WORD_KEY = /^(?:true|false|null|y|n|yes|no|on|off)$/i;
const QUOTED = /^"([^"\\]*)"$/;

type Value = string | number | boolean | Value[] | { [k: string]: Value };

/** A string beginning with a letter, of URL-ish characters (no space): a string unless it is a word (`true`, `null`, `yes`). */
const SIMPLE = /^[A-Za-z][A-Za-z0-9_./@:+-]*$/;
const WORD = /^(?:true|false|yes|no|on|off|y|n|null)$/i;

/** The value of a one-line scalar when it can only be that value; else undefined. */
function scalar(v: string): Value | undefined {
  const c = v.charCodeAt(0);
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (SIMPLE.test(v) && v.charCodeAt(v.length - 1) !== 0x3a /* : */) return WORD.test(v) ? undefined : v;
    return plainString(v);
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */) {
    if (INT.test(v) || FLOAT.test(v)) return Number(v);
    if (c === 0x2d) return plainString(v);
    // Starts with a digit: no number form may match (a run id 54fed9af… is a string, 1e3 is not).
    if (NUMBER_LIKE.test(v)) return undefined;
    // Letters, digits and _ . + ~ - only: nothing but a string (no word starts with a digit).
    if (/^[0-9A-Za-z_.+~-]*$/.test(v)) return v;
    return plainString(v);
  }
  if (c === 0x22 /* " */) {
    const q = QUOTED.exec(v);
    return q ? q[1] : undefined;
  }
  return plainString(v);
}

interface Cursor {
  lines: string[];
  i: number;
}

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 0x20) n++;
  return n;
}

/** Skips blank lines and comment lines (a `#` as the first non-space character). */
function skip(c: Cursor): void {
  while (c.i < c.lines.length) {
    const line = c.lines[c.i];
    const n = indentOf(line);
    if (n === line.length || line.charCodeAt(n) === 0x23) c.i++;
    else return;
  }
}

/** Whether the text at column `at` of `line` starts a sequence item (`-` then a space or the end). */
function isItem(line: string, at: number): boolean {
  return line.charCodeAt(at) === 0x2d /* - */ && (line.length === at + 1 || line.charCodeAt(at + 1) === 0x20);
}

/** Where the key of an entry at column `at` ends (at its `:`), or -1 when the text there is not `key:` or `key: value`. */
function keyEnd(line: string, at: number): number {
  let ch = line.charCodeAt(at);
  if (!((ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || ch === 0x5f)) return -1;
  let k = at + 1;
  for (; k < line.length; k++) {
    ch = line.charCodeAt(k);
    // A-Z a-z 0-9 _ . / -
    if (!((ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x2d && ch <= 0x39) || ch === 0x5f)) break;
  }
  if (k >= line.length || ch !== 0x3a /* : */) return -1;
  return k + 1 === line.length || line.charCodeAt(k + 1) === 0x20 ? k : -1;
}

/**
 * A block mapping whose keys are at column `indent`. `inItem`: its first entry follows `- ` on
 * the current line (the line itself is indented less).
 */
function mapping(c: Cursor, indent: number, inItem = false): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let keys = 0;
  for (let first = inItem; ; first = false) {
    if (!first) {
      skip(c);
      if (c.i >= c.lines.length) break;
      const n = indentOf(c.lines[c.i]);
      if (n < indent) break;
      if (n > indent) return undefined;
    }
    const line = c.lines[c.i];
    const k = keyEnd(line, indent);
    if (k < 0) return undefined;
    const key = line.slice(indent, k);
    if (key === '__proto__' || out[key] !== undefined || WORD_KEY.test(key)) return undefined; // (also declines keys such as `constructor`)
    keys++;
    c.i++;
    if (k + 1 < line.length) {
      const v = scalar(line.slice(k + 2));
      if (v === undefined) return undefined;
      out[key] = v;
      continue;
    }
    // A nested block, on the next line, indented further.
    skip(c);
    if (c.i >= c.lines.length) return undefined; // an empty value: null
    const next = c.lines[c.i];
    const n = indentOf(next);
    if (n <= indent) return undefined;
    const v = isItem(next, n) ? sequence(c, n) : mapping(c, n);
    if (v === undefined) return undefined;
    out[key] = v;
  }
  return keys ? out : undefined;
}

/** A block sequence whose `-` are at column `indent`. */
function sequence(c: Cursor, indent: number): Value[] | undefined {
  const out: Value[] = [];
  for (;;) {
    skip(c);
    if (c.i >= c.lines.length) break;
    const line = c.lines[c.i];
    const n = indentOf(line);
    if (n < indent) break;
    if (n > indent || !isItem(line, n) || line.length <= n + 2 || line.charCodeAt(n + 2) === 0x20) return undefined;
    if (keyEnd(line, n + 2) >= 0) {
      // `- key: value` opens a mapping whose keys line up two columns further in.
      const v = mapping(c, n + 2, true);
      if (v === undefined) return undefined;
      out.push(v);
      continue;
    }
    if (isItem(line, n + 2)) return undefined; // `- - x`
    const v = scalar(line.slice(n + 2));
    if (v === undefined) return undefined;
    out.push(v);
    c.i++;
  }
  return out.length ? out : undefined;
}

/**
 * The mapping in `text` when all of it is in the subset described above, else undefined.
 * @example readPlainDocument('metrics:\n  auc: 0.91\ntags:\n  - a\n') // { metrics: { auc: 0.91 }, tags: ['a'] }
 */
export function readPlainDocument(text: string): Record<string, unknown> | undefined {
  if (!SAFE_TEXT.test(text)) return undefined;
  const c: Cursor = { lines: text.split('\n'), i: 0 };
  skip(c);
  if (c.i >= c.lines.length || indentOf(c.lines[c.i]) !== 0) return undefined;
  const v = mapping(c, 0);
  if (!v) return undefined;
  skip(c);
  return c.i >= c.lines.length ? v : undefined;
}
