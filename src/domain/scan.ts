/**
 * The three head fields of a version file (`model`, `version`, `stage`) read by a line scan
 * instead of a YAML parse. A whole-registry listing needs only these from each of up to 100k
 * files, and a full parse and validation costs about 60 µs a file; the scan costs about 1 µs.
 *
 * The scan answers only when the answer is certain: each field is a top-level key at column 0,
 * once, with a plain one-line value that matches its schema pattern and that YAML reads as a
 * string. Anything else it cannot vouch for (quoted or flow values, anchors, tags, directives,
 * several documents, CR line ends, a value continued on the next line, a top-level line that
 * is not a simple `key: value`) returns undefined, and the caller parses and validates the file.
 */
export interface VersionHead {
  model: string;
  version: string;
  stage: string;
}

const FIELDS = new Set(['model', 'version', 'stage']);
const PATTERNS: Record<keyof VersionHead, RegExp> = {
  // The schema patterns (schemas/version.schema.json): ModelName, SemVer, stage.
  model: /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  version: /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/,
  stage: /^[A-Za-z][A-Za-z0-9_-]*$/,
};
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

export function scanVersionHead(text: string): VersionHead | undefined {
  if (text.includes('\r')) return undefined;
  const found: Partial<VersionHead> = {};
  let ownValueAbove = false; // the previous top-level line was one of the three fields
  let start = 0;
  while (start < text.length) {
    const c = text.charCodeAt(start);
    if (c === NL || c === HASH || c === SPACE || (c === DASH && (start + 1 === text.length || text.charCodeAt(start + 1) === SPACE || text.charCodeAt(start + 1) === NL))) {
      // Blank, comment, nested content, or a sequence at the parent's indentation. Under one of
      // the three fields the last two would continue or replace its value: let the parser decide.
      if (ownValueAbove && (c === SPACE || c === DASH)) return undefined;
      const end = text.indexOf('\n', start);
      start = end < 0 ? text.length : end + 1;
      continue;
    }
    KEY_LINE.lastIndex = start;
    const m = KEY_LINE.exec(text);
    if (!m) return undefined;
    start = KEY_LINE.lastIndex;
    const [, key, rest = ''] = m;
    ownValueAbove = false;
    if (FIELDS.has(key)) {
      const field = key as keyof VersionHead;
      if (found[field] !== undefined) return undefined; // a duplicate key: the parser reports it
      const value = rest.replace(/[ ]+$/, '');
      if (!PATTERNS[field].test(value)) return undefined;
      if (field !== 'version' && NOT_A_STRING.test(value)) return undefined;
      found[field] = value;
      ownValueAbove = true;
    } else if (rest !== '') {
      const value = rest.trimEnd();
      if (OPAQUE_START.test(value)) return undefined;
      if ((value[0] === '"' || value[0] === "'") && !ONE_LINE_QUOTED.test(value)) return undefined;
      if ((value[0] === '|' || value[0] === '>') && !BLOCK_SCALAR.test(value)) return undefined;
    }
  }
  return found.model !== undefined && found.version !== undefined && found.stage !== undefined
    ? { model: found.model, version: found.version, stage: found.stage }
    : undefined;
}
