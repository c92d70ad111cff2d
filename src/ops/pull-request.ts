/**
 * Opening a pull request through a forge adapter for `--pr` (or printing what to open by hand
 * when there is no token). Counting approving reviews for `check --forge` is forge-approvals.ts.
 */
import { forgeFor, forgeToken, manualPullRequestText, parseGithubRemote } from '../forge/index.js';
import type { Context } from './context.js';
import { diff } from './diff.js';

export interface OpenedPullRequest {
  url?: string;
  number?: number;
  /** When no pull request could be opened: what to open by hand. */
  manual?: string;
}

/** Opens a pull request from `branch` into the registry branch, its body the diff and the policy checklist. */
export async function openPullRequest(ctx: Context, input: { branch: string; title: string }): Promise<OpenedPullRequest> {
  const { remoteUrl } = await import('../storage/remote.js');
  const base = (await ctx.targetRef()).replace(/^refs\/heads\//, '');
  const d = await diff(ctx, { base, head: input.branch });
  const body = [
    'Proposed with `modelreg`. The check on this pull request evaluates it against the policy of the base branch.',
    '',
    '### Changes',
    ...d.lines.map((l) => `- ${l.text}`),
  ].join('\n');
  const url = await remoteUrl(ctx.repo).catch(() => undefined);
  const gh = url ? parseGithubRemote(url) : undefined;
  if (!forgeToken(ctx.env) || !gh) return { manual: manualPullRequestText({ remoteUrl: url, head: input.branch, base, title: input.title, body }) };
  const pr = await forgeFor('github', ctx.env).openPullRequest({ owner: gh.owner, repo: gh.repo, head: input.branch, base, title: input.title, body });
  return { url: pr.url, number: pr.number };
}
