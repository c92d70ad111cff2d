/**
 * Who acts: a bearer token from the token file (`tokens: [{token, name, email, groups}]`),
 * compared in constant time; its identity is the commit author and the actor the policy sees.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as JsYaml from 'js-yaml';
import { RegistryError } from '../errors/index.js';
import type { Identity } from '../storage/repo.js';

export interface TokenEntry extends Identity { digest: Buffer; groups: string[] }

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Parses a token file's text; every problem names the entry and field. */
export async function parseTokens(text: string, file: string): Promise<TokenEntry[]> {
  // The CommonJS build, as domain/validate.ts loads it: the CLI bundle then holds one copy of js-yaml.
  const { load } = createRequire(import.meta.url)('js-yaml') as typeof JsYaml;
  let doc: unknown;
  try { doc = load(text); } catch (e) { throw new RegistryError('BAD_INPUT', `${file}: not YAML (${(e as Error).message.split('\n')[0]}). Write it as tokens: [{token, name, email, groups}].`, { file }); }
  const list = (doc as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list) || !list.length) throw new RegistryError('BAD_INPUT', `${file}: needs a non-empty list under \`tokens:\`, each entry {token, name, email, groups}.`, { file });
  const seen = new Set<string>();
  return list.map((t, i) => {
    const e = t as Record<string, unknown>;
    const need = (k: string) => {
      if (typeof e?.[k] !== 'string' || !(e[k] as string).trim()) throw new RegistryError('BAD_INPUT', `${file}: tokens[${i}].${k} must be a non-empty string.`, { file, field: `tokens[${i}].${k}` });
      return e[k] as string;
    };
    const token = need('token');
    if (token.length < 16) throw new RegistryError('BAD_INPUT', `${file}: tokens[${i}].token is shorter than 16 characters; use a long random secret (openssl rand -hex 32).`, { file, field: `tokens[${i}].token` });
    if (seen.has(token)) throw new RegistryError('BAD_INPUT', `${file}: tokens[${i}].token repeats an earlier token.`, { file });
    seen.add(token);
    const groups = e.groups === undefined ? [] : Array.isArray(e.groups) && e.groups.every((g) => typeof g === 'string') ? (e.groups as string[]) : (() => { throw new RegistryError('BAD_INPUT', `${file}: tokens[${i}].groups must be a list of strings.`, { file }); })();
    return { digest: digest(token), name: need('name'), email: need('email'), groups };
  });
}

export async function loadTokens(file: string): Promise<TokenEntry[]> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (e) { throw new RegistryError('BAD_INPUT', `Cannot read the token file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, { file }); }
  return parseTokens(text, file);
}

/** The identity of `Authorization: Bearer …`, or undefined. Every entry is compared, in constant time. */
export function authenticate(header: string | undefined, tokens: TokenEntry[]): TokenEntry | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const given = digest(m[1]);
  let found: TokenEntry | undefined;
  for (const t of tokens) if (timingSafeEqual(given, t.digest) && !found) found = t;
  return found;
}
