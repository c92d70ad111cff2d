/**
 * Validates one registry file: YAML syntax, its JSON Schema (precompiled ajv validators),
 * and the rules a schema cannot say (finite metrics, file name agrees with content).
 * Validation collects issues; it does not throw.
 */
import type { ErrorObject } from 'ajv';
import * as validators from '../generated/validators.js';
import { issue, type Issue } from './issues.js';
import { createRequire } from 'node:module';
import type * as JsYaml from 'js-yaml';
import { locate, MAX_FILE_BYTES, parseYaml, type ParsedYaml } from './yaml-file.js';
import { readPlainMapping } from './plain-yaml.js';
import { readPlainDocument } from './plain-document.js';

export type FileKind = 'version' | 'model' | 'policy' | 'config' | 'deployment' | 'analysis';

export interface Validated<T> {
  value: T | undefined;
  issues: Issue[];
  parsed: ParsedYaml;
}

function splitPointer(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): { path: Array<string | number>; message: string; keyOf: boolean } {
  const path = splitPointer(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `unknown field '${p.additionalProperty}'; remove it or check its spelling`, keyOf: true };
    case 'required':
      return { path, message: `missing required field '${p.missingProperty}'`, keyOf: false };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, keyOf: false };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}`, keyOf: false };
    case 'propertyNames':
      return { path: [...path, String(p.propertyName)], message: `invalid key '${p.propertyName}'`, keyOf: true };
    case 'type':
      return { path, message: `must be ${String(p.type).replace(',', ' or ')}`, keyOf: false };
    default:
      return { path, message: e.message ?? e.keyword, keyOf: false };
  }
}

function fieldName(path: Array<string | number>): string | undefined {
  if (!path.length) return undefined;
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Non-finite numbers (YAML's .nan, .inf) anywhere in a value. */
function findNonFinite(value: unknown, path: Array<string | number>, out: Array<Array<string | number>>): void {
  if (typeof value === 'number' && !Number.isFinite(value)) out.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => findNonFinite(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) findNonFinite(v, [...path, k], out);
}

// js-yaml loads on first use: model, version and deployment files as modelreg writes them take
// the plain readers, and a write or check --base whose config and policy come from the cache
// never needs it (its initialisation was about 2.5 M instructions of every write).
let jsyamlLib: typeof JsYaml | undefined;
function jsyaml(): typeof JsYaml {
  return (jsyamlLib ??= createRequire(import.meta.url)('js-yaml') as typeof JsYaml);
}

/**
 * The text with what only looks like an anchor (`&`), an alias (`*`) or a tag (`!`) taken out:
 * comment lines, a quoted lone `*` (a policy's `from: "*"`), and in a guard `!=`, `&&` and ` * `.
 * None of these can hide a real one: an alias or anchor needs a name right after its sign, and
 * `!=x` would be a tag js-yaml's core schema refuses (the file then goes to the full parser).
 */
function withoutLookalikes(text: string): string {
  return text.replace(/^#.*$/gm, '').replace(/"\*"|'\*'|!=|&&| \* /g, '');
}

/**
 * The fast path: js-yaml (about 6× faster than the yaml library on registry files) with the
 * YAML 1.2 core schema, then the schema validator. Only a file that passes everything is
 * accepted here; anything else — and any file with anchors or aliases, which js-yaml does not
 * bound — goes through the yaml library, whose errors carry lines and columns.
 */
function fastValidate<T>(kind: FileKind, text: string): T | undefined {
  if (text.length > MAX_FILE_BYTES) return undefined;
  // A model or deployment file as modelreg writes it is read without the general parser (the
  // same value: domain/plain-yaml.ts), and a version file likewise (domain/plain-document.ts):
  // a cold listing parses every model file, the first `history` of a clone one or two version
  // files a commit; so is a modelreg.yaml of plain `key: value` lines (`check` reads it twice).
  // Both decline anchors, aliases, tags and merge keys, and read only finite numbers (plain-yaml
  // none at all).
  const plain = kind === 'model' || kind === 'deployment' || kind === 'config' ? readPlainMapping(text) : kind === 'version' ? readPlainDocument(text) : undefined;
  if (plain) return validators[kind](plain) ? (plain as T) : undefined;
  if (/[&*!]/.test(withoutLookalikes(text)) || text.includes('<<')) return undefined;
  let value: unknown;
  try {
    const lib = jsyaml();
    value = lib.load(text, { schema: lib.CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (!validators[kind](value)) return undefined;
  const nonFinite: Array<Array<string | number>> = [];
  findNonFinite(value, [], nonFinite);
  return nonFinite.length ? undefined : (value as T);
}

/** Whether an already parsed value passes its schema (no YAML involved: for values kept in a cache). */
export function isValidValue(kind: FileKind, value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !validators[kind](value)) return false;
  const nonFinite: Array<Array<string | number>> = [];
  findNonFinite(value, [], nonFinite);
  return nonFinite.length === 0;
}

export function validateText<T>(kind: FileKind, text: string, file: string): Validated<T> {
  const fast = fastValidate<T>(kind, text);
  if (fast !== undefined) {
    let full: ParsedYaml | undefined;
    // Positions are only needed when a cross-file rule reports a problem: parse for them then.
    return { value: fast, issues: [], get parsed() { return (full ??= parseYaml(text, file)); } };
  }
  const parsed = parseYaml(text, file);
  const issues = [...parsed.issues];
  if (issues.some((i) => i.severity === 'error')) return { value: undefined, issues, parsed };
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.push(issue(file, 'schema', 'the file must hold a YAML mapping (key: value lines)'));
    return { value: undefined, issues, parsed };
  }
  const validate = validators[kind];
  if (!validate(value)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'if' || e.keyword === 'oneOf' && (validate.errors ?? []).length > 1) continue;
      const d = describe(e);
      const key = `${d.path.join('/')}|${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const at = locate(parsed, d.path, d.keyOf);
      issues.push(issue(file, `schema`, d.message, { ...at, field: fieldName(d.path) }));
    }
  }
  const nonFinite: Array<Array<string | number>> = [];
  findNonFinite(value, [], nonFinite);
  for (const p of nonFinite) {
    issues.push(issue(file, 'finite-number', 'must be a finite number (NaN and Infinity are not allowed)', { ...locate(parsed, p), field: fieldName(p) }));
  }
  return { value: issues.some((i) => i.severity === 'error') ? undefined : (value as T), issues, parsed };
}
