import { RegistryError } from '../errors/index.js';
import { MODEL_NAME } from './schema-patterns.js';

/**
 * Validates a model name (`name` or `namespace/name`) and returns it unchanged. Anything that
 * could escape the registry folder (`..`, absolute paths, backslashes, NUL, control
 * characters, non-ASCII look-alikes) is rejected before any file is touched.
 * @example parseModelName('fraud/churn') // 'fraud/churn'
 */
export function parseModelName(input: string): string {
  const fail = (reason: string) => {
    const why = reason.length > 120 ? `${reason.slice(0, 120)}…` : reason;
    const shown = typeof input === 'string' && input.length > 64 ? `${input.slice(0, 64)}…` : input;
    throw new RegistryError('INVALID_NAME',
      `Invalid model name ${JSON.stringify(shown)}: ${why}. Use letters, digits, '.', '_' and '-' (starting with a letter or digit, at most 128 characters), optionally with one 'namespace/' prefix.`,
      { name: shown });
  };
  if (typeof input !== 'string' || input.length === 0) fail('it is empty');
  if (/[\u0000-\u001f\u007f]/.test(input)) fail('it contains a control character');
  if (input.includes('\\')) fail('it contains a backslash');
  if (input.startsWith('/')) fail('it is an absolute path');
  const parts = input.split('/');
  if (parts.length > 2) fail('it has more than one namespace');
  for (const part of parts) {
    if (part === '..' || part === '.') fail(`'${part}' is not allowed`);
    // A part holds no '/', so it matches the schema's name pattern exactly when it is a valid segment.
    if (!MODEL_NAME.test(part)) fail(/[^\x20-\x7e]/.test(part) ? 'it contains a non-ASCII character' : `'${part}' is not a valid name segment`);
    if (part.endsWith('.lock') || part.endsWith('.')) fail(`'${part}' may not end with '.lock' or '.'`);
  }
  return input;
}

export function isValidModelName(input: string): boolean {
  try { parseModelName(input); return true; } catch { return false; }
}

/** Names that differ only by case are one model (case-insensitive file systems). */
export function modelKey(name: string): string {
  return name.toLowerCase();
}

/** Hostile input is shown shortened, never echoed back in full. */
export function clip(s: string, max = 64): string {
  return typeof s === 'string' && s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Alias names: lower-case, as MLflow's `champion`, `challenger`. */
const ALIAS = /^[a-z][a-z0-9_-]{0,63}$/;
export function parseAlias(input: string): string {
  if (!ALIAS.test(input)) {
    throw new RegistryError('BAD_INPUT', `Invalid alias ${JSON.stringify(clip(input))}: use lower-case letters, digits, '_' and '-', starting with a letter (e.g. champion).`, { alias: clip(input) });
  }
  return input;
}

/** Tag, metric and param keys. */
const KEY = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,255}$/;
export function parseKey(kind: string, input: string): string {
  if (!KEY.test(input)) {
    throw new RegistryError('BAD_INPUT', `Invalid ${kind} name ${JSON.stringify(clip(input))}: start with a letter or '_' and use letters, digits, '_', '.', ':', '/' or '-'.`, { kind, key: clip(input) });
  }
  return input;
}

/** Stage names as the policy DSL allows them. */
const STAGE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export function isStageName(input: string): boolean {
  return STAGE.test(input);
}
