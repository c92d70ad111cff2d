/**
 * Renderers of a check result, chosen by format: `renderers[format](result, env)`. A renderer
 * is pure: it returns what to print and what to append to files (GitHub's job summary); the
 * caller writes them. A new format (gitlab, html) is one more entry in the table.
 */
import { RegistryError } from '../errors/index.js';
import type { Rendered, Renderer } from './types.js';
import { checkGithub } from './check-github.js';
import { checkJson } from './check-json.js';
import { checkText } from './check-text.js';
import { checkGitlab } from './gitlab.js';

export type { Rendered, Renderer };

export const renderers: Record<string, Renderer> = {
  text: (r) => ({ stdout: `${checkText(r)}\n` }),
  json: (r) => ({ stdout: `${JSON.stringify(checkJson(r), null, 2)}\n` }),
  github: checkGithub,
  gitlab: checkGitlab,
};

/**
 * The renderer of `format`; an unknown format is BAD_INPUT naming the known ones.
 * @example
 * const { stdout, appends } = rendererFor('github')(await check(ctx, { base: 'origin/main' }), process.env);
 */
export function rendererFor(format: string): Renderer {
  const known = Object.keys(renderers);
  if (!Object.hasOwn(renderers, format)) throw new RegistryError('BAD_INPUT', `Unknown --format ${format}; use ${known.slice(0, -1).join(', ')} or ${known[known.length - 1]}.`, { format, known });
  return renderers[format];
}
