/**
 * Opening a pull request (GitLab: a merge request) through the forge the remote url names, for
 * `--pr` (or printing what to open by hand when there is no token). Counting approving reviews for `check --forge` is forge-approvals.ts.
 */
import { forgeFor, forgeOfRemote, forgeToken, manualPullRequestText } from '../forge/index.js';
import type { Context } from './context.js';
import { diff } from './diff.js';

export interface OpenedPullRequest {
  /** The forge it was opened on; GitLab calls it a merge request. */
  forge?: 'github' | 'gitlab';
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
  const url = await remoteUrl(ctx.repo, ctx.options.remote).catch(() => undefined);
  const remote = url ? forgeOfRemote(url, ctx.env) : undefined;
  if (!remote || !forgeToken(ctx.env, remote.forge)) return { manual: manualPullRequestText({ remoteUrl: url, head: input.branch, base, title: input.title, body }, ctx.env) };
  // GitLab off CI: the API of the remote's host, unless CI_API_V4_URL says otherwise.
  const apiUrl = remote.forge === 'gitlab' && !ctx.env.CI_API_V4_URL && !ctx.env.CI_SERVER_URL ? `https://${remote.host}/api/v4` : undefined;
  const pr = await forgeFor(remote.forge, ctx.env, { apiUrl }).openPullRequest({ owner: remote.owner, repo: remote.repo, head: input.branch, base, title: input.title, body });
  return { forge: remote.forge, url: pr.url, number: pr.number };
}
