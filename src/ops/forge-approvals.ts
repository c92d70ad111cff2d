/** Approving pull-request reviews, for `check --forge`: passed to the base check as data. */
import { forgeFor, pullRequestApprovals } from '../forge/index.js';
import type { Context } from './context.js';

/** Identities (`github:login`) whose latest review of the current pull request (GITHUB_EVENT_PATH) approves it. */
export async function forgeApprovers(ctx: Context, forge: 'github'): Promise<string[]> {
  const approvers = (await pullRequestApprovals(forgeFor(forge, ctx.env), ctx.env))?.approvers ?? [];
  return approvers.map((login) => `github:${login.toLowerCase()}`);
}
