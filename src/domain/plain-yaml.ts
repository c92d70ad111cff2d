/**
 * A reader for the plainest registry files: a top-level mapping whose values are one-line
 * plain strings, lists of them, or mappings of them (what `modelreg` writes for a model.yaml).
 * A cold listing parses every model file, and js-yaml's general parser was most of the time
 * of walking the models (about 60 µs a file in a short-lived process; this takes a few).
 *
 * It answers only for a subset it can vouch for, where it reads exactly the value js-yaml
 * reads with the YAML 1.2 core schema (same keys, same order, same strings): printable
 * ASCII only (no tabs, CR, BOM or other characters js-yaml treats specially), comments only
 * on lines of their own at column 0, each top-level line `key: value` or `key:` followed at
 * once by an indented block of `- value` items or `key: value` pairs at one indentation.
 * Values are plain scalars that cannot be read as anything but a string (not null, a boolean
 * or a number), without indicators, quotes, `: ` or ` #`. Anything else (duplicate keys,
 * continued lines, deeper nesting, blank lines inside a block, flow collections, quoting,
 * block scalars, anchors, tags, documents markers, directives) returns undefined, and the
 * caller parses the file with js-yaml as before. Property-tested against js-yaml and yaml.
 */

/** Printable ASCII and newlines only. */
const SAFE_TEXT = /^[\n\x20-\x7e]*$/;
const TOP_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;
const CHILD_KEY = /^( +)([A-Za-z_][A-Za-z0-9_./-]*): (.*)$/;
const ITEM = /^( +)- (.*)$/;
/** A first character that starts something other than a plain scalar, or one the reader does not follow. */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;
/** Inside a plain scalar: comments, mapping indicators, flow characters; or a trailing space or colon. */
const NOT_PLAIN = /: | #|[,[\]{}&*!]|[ :]$/;
/** Words a YAML loader may read as null or a boolean (YAML 1.2 core and 1.1). */
const WORD = /^(?:true|false|yes|no|on|off|y|n|null)$/i;
/** Characters that can appear in a null, boolean, integer or float (0x1F, 0o17, 1_000, 1e3, .inf, .NaN, ~). */
const NUMBERISH = /^[0-9A-Za-z_.+~-]*$/;
/** Two dots after digits (a version: 1.8.0): no integer or float has that. */
const DOTTED = /^[0-9]+\.[0-9]+\./;

/** The string a plain one-line scalar reads as, when it can be nothing but that string; else undefined. */
export function plainString(v: string): string | undefined {
  if (v === '' || INDICATOR_START.test(v) || NOT_PLAIN.test(v)) return undefined;
  if (NUMBERISH.test(v)) {
    // Only letters, digits and _ . + ~ -: a string when it starts with a letter (numbers start
    // with a digit, a sign or a dot) and is no null or boolean word, or when it is dotted like
    // a version (an alias's value).
    const c = v.charCodeAt(0);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (letter ? WORD.test(v) : !DOTTED.test(v)) return undefined;
  }
  return v;
}

/**
 * The mapping in `text` when it is in the plain subset described above (and has at least one
 * key), else undefined.
 * @example readPlainMapping('name: churn\nowners:\n  - a@example.com\n') // { name: 'churn', owners: ['a@example.com'] }
 */
export function readPlainMapping(text: string): Record<string, unknown> | undefined {
  if (!SAFE_TEXT.test(text)) return undefined;
  const lines = text.split('\n');
  const out: Record<string, unknown> = {};
  let keys = 0;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line === '' || line.charCodeAt(0) === 0x23 /* # */) { i++; continue; }
    const m = TOP_KEY.exec(line);
    if (!m) return undefined;
    const key = m[1];
    if (key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) return undefined;
    keys++;
    i++;
    if (m[2] !== undefined) {
      const v = plainString(m[2]);
      if (v === undefined) return undefined;
      out[key] = v;
      continue; // an indented line after it (a continuation) fails TOP_KEY above
    }
    // A block, starting on the very next line.
    const first = lines[i];
    if (first === undefined || first.charCodeAt(0) !== 0x20) return undefined; // empty: null
    const item = ITEM.exec(first);
    if (item) {
      const indent = item[1];
      const list: string[] = [];
      for (; i < lines.length && lines[i].charCodeAt(0) === 0x20; i++) {
        const x = ITEM.exec(lines[i]);
        if (!x || x[1] !== indent) return undefined;
        const v = plainString(x[2]);
        if (v === undefined) return undefined;
        list.push(v);
      }
      out[key] = list;
      continue;
    }
    const pair = CHILD_KEY.exec(first);
    if (!pair) return undefined;
    const indent = pair[1];
    const map: Record<string, string> = {};
    for (; i < lines.length && lines[i].charCodeAt(0) === 0x20; i++) {
      const x = CHILD_KEY.exec(lines[i]);
      if (!x || x[1] !== indent) return undefined;
      const k = x[2];
      if (k === '__proto__' || Object.prototype.hasOwnProperty.call(map, k)) return undefined;
      const v = plainString(x[3]);
      if (v === undefined) return undefined;
      map[k] = v;
    }
    out[key] = map;
  }
  return keys ? out : undefined;
}
