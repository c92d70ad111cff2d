/** Approving pull-request reviews, for `check --forge`: passed to the base check as data. */
import { forgeFor, forgeName, gitlabCheckBase, pullRequestApprovals, type ForgeName } from '../forge/index.js';
import type { Context } from './context.js';

/**
 * Identities (`github:login`, `gitlab:username`) that approve the current pull request
 * (GitHub: GITHUB_EVENT_PATH; GitLab: the merge request pipeline's CI_MERGE_REQUEST_* variables).
 */
export async function forgeApprovers(ctx: Context, forge: ForgeName): Promise<string[]> {
  const name = forgeName(forge);
  const approvers = (await pullRequestApprovals(forgeFor(name, ctx.env), ctx.env))?.approvers ?? [];
  return approvers.map((login) => `${name}:${login.toLowerCase()}`);
}

/** The base a forge's CI run compares with when `--base` is not given (GitLab: CI_MERGE_REQUEST_DIFF_BASE_SHA). */
export function forgeBase(ctx: Context, forge: ForgeName): string | undefined {
  return forgeName(forge) === 'gitlab' ? gitlabCheckBase(ctx.env) : undefined;
}
