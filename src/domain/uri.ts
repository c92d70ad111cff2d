import { RegistryError } from '../errors/index.js';
import { parseModelName, parseAlias } from './names.js';
import { isValidVersion, isValidRange } from './versions.js';

/** What a `models:/` URI points at. */
export type ModelRef =
  | { model: string; kind: 'version'; version: string }
  | { model: string; kind: 'stage'; stage: string }
  | { model: string; kind: 'alias'; alias: string }
  | { model: string; kind: 'latest' }
  | { model: string; kind: 'range'; range: string };

/**
 * Parses a model URI: `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME@ALIAS`,
 * `models:/NAME/latest`, `models:/NAME/^2` (a semver range). NAME may be `namespace/name`.
 * @example parseModelUri('models:/churn/Production') // { model: 'churn', kind: 'stage', stage: 'Production' }
 */
export function parseModelUri(input: string): ModelRef {
  const shown = typeof input === 'string' && input.length > 80 ? `${input.slice(0, 80)}…` : input;
  const fail = (why: string): never => {
    throw new RegistryError('INVALID_URI', `Invalid model URI ${JSON.stringify(shown)}: ${why}. Use models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS, models:/NAME/latest or models:/NAME/^2.`, { uri: shown });
  };
  if (typeof input !== 'string' || !input.startsWith('models:/')) fail('it does not start with models:/');
  const rest = input.slice('models:/'.length);
  const valid = <T>(parse: () => T): T => {
    try { return parse(); } catch (e) { return fail((e as Error).message.replace(/\.[^.]*$/, '').replace(/^Invalid /, 'invalid ')); }
  };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const model = valid(() => parseModelName(rest.slice(0, at)));
    return { model, kind: 'alias', alias: valid(() => parseAlias(rest.slice(at + 1))) };
  }
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) fail('it has no version, stage, alias or range');
  const model = valid(() => parseModelName(rest.slice(0, slash)));
  const tail = rest.slice(slash + 1);
  if (tail === '') fail('the part after the name is empty');
  if (tail === 'latest') return { model, kind: 'latest' };
  if (isValidVersion(tail)) return { model, kind: 'version', version: tail };
  if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(tail)) return { model, kind: 'stage', stage: tail };
  if (/^[\^~<>=*xX0-9. |-]+$/.test(tail) && isValidRange(tail)) return { model, kind: 'range', range: tail };
  return fail(`'${tail.length > 64 ? `${tail.slice(0, 64)}…` : tail}' is not a version, stage, alias or semver range`);
}

export function formatModelUri(ref: ModelRef): string {
  switch (ref.kind) {
    case 'version': return `models:/${ref.model}/${ref.version}`;
    case 'stage': return `models:/${ref.model}/${ref.stage}`;
    case 'alias': return `models:/${ref.model}@${ref.alias}`;
    case 'latest': return `models:/${ref.model}/latest`;
    case 'range': return `models:/${ref.model}/${ref.range}`;
  }
}
