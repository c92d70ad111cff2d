/** Approving pull-request reviews, for `check --forge`: passed to the base check as data. */
import { isRegistryError, RegistryError } from '../errors/index.js';
import { forgeFor, forgeName, gitlabCheckBase, pullRequestApprovals, type ForgeName } from '../forge/index.js';
import { resolveCommitish } from '../storage/history.js';
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

/**
 * The base a forge's CI run compares with when `--base` is not given (GitLab:
 * CI_MERGE_REQUEST_DIFF_BASE_SHA), checked to be in the clone; undefined outside such a run.
 */
export async function forgeBase(ctx: Context, forge: ForgeName): Promise<string | undefined> {
  const base = forgeName(forge) === 'gitlab' ? gitlabCheckBase(ctx.env) : undefined;
  if (base === undefined) return undefined;
  try {
    await resolveCommitish(ctx.store(), base);
  } catch (e) {
    if (!isRegistryError(e, 'NOT_FOUND')) throw e;
    throw new RegistryError('NOT_FOUND', `The merge request's diff base ${base} (CI_MERGE_REQUEST_DIFF_BASE_SHA) is not in this clone, which is shallow or lacks the target branch. Clone the whole history in the job (variables: GIT_DEPTH: "0"), or pass --base.`, { base }, { cause: e });
  }
  return base;
}
