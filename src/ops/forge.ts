/** Forge adapters (placeholder until the GitHub adapter lands): approving reviews of the pull request. */
import { RegistryError } from '../errors/index.js';
import type { Context } from './context.js';

export async function githubApprovals(_ctx: Context): Promise<string[]> {
  throw new RegistryError('UNSUPPORTED', '--forge github is not available in this build.', {});
}
