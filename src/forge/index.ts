/**
 * Forge adapters: pull requests (GitLab: merge requests) on the forge that hosts the registry
 * repository. GitHub and GitLab fill the one ForgeAdapter interface.
 */
import { RegistryError } from '../errors/index.js';
import { createGithubAdapter, parseGithubRemote } from './github.js';
import { createGitlabAdapter, gitlabToken, parseGitlabRemote } from './gitlab.js';
import type { ForgeAdapter, PullRequestRef } from './types.js';

export type { ForgeAdapter, OpenPullRequest, OpenPullRequestInput, PullRequestRef } from './types.js';
export { createGithubAdapter, latestApprovals, parseGithubRemote, type GithubAdapterOptions, type GithubReview } from './github.js';
export { pullRequestFromPayload, readPullRequestEvent } from './github-event.js';
export { approvedUsernames, createGitlabAdapter, gitlabCheckBase, gitlabToken, isGitlabHost, mergeRequestFromEnv, parseGitlabRemote, type GitlabAdapterOptions } from './gitlab.js';

export const SUPPORTED_FORGES = ['github', 'gitlab'] as const;
export type ForgeName = (typeof SUPPORTED_FORGES)[number];

/** The forge token: MODELREG_TOKEN, then GITHUB_TOKEN (what Actions provides); on GitLab, MODELREG_TOKEN then CI_JOB_TOKEN. */
export function forgeToken(env: NodeJS.ProcessEnv, forge: ForgeName = 'github'): string | undefined {
  if (forge === 'gitlab') return gitlabToken(env)?.value;
  return env.MODELREG_TOKEN || env.GITHUB_TOKEN || undefined;
}

/** A forge name, checked: `github` or `gitlab` (any case); anything else is BAD_INPUT naming the supported ones. */
export function forgeName(name: string): ForgeName {
  const n = name.trim().toLowerCase();
  if ((SUPPORTED_FORGES as readonly string[]).includes(n)) return n as ForgeName;
  throw new RegistryError('BAD_INPUT', `Unknown forge '${name}'; supported: ${SUPPORTED_FORGES.join(', ')}.`, { forge: name, supported: [...SUPPORTED_FORGES] });
}

/** The forge and project a remote url names: GitLab when the host is taken for GitLab (or MODELREG_FORGE=gitlab), else GitHub. */
export function forgeOfRemote(url: string, env: NodeJS.ProcessEnv = {}): { forge: ForgeName; owner: string; repo: string; host: string } | undefined {
  const forced = env.MODELREG_FORGE?.trim().toLowerCase();
  const gl = forced === 'github' ? undefined : parseGitlabRemote(url, env);
  if (gl) return { forge: 'gitlab', owner: gl.owner, repo: gl.repo, host: gl.host };
  const gh = parseGithubRemote(url);
  return gh ? { forge: 'github', ...gh } : undefined;
}

/**
 * The adapter for a forge name, configured from the environment. GitHub: MODELREG_TOKEN or
 * GITHUB_TOKEN, GITHUB_API_URL for GitHub Enterprise. GitLab: MODELREG_TOKEN or CI_JOB_TOKEN,
 * CI_API_V4_URL (or `apiUrl`, e.g. from the remote's host) for self-managed GitLab.
 *
 * @example
 * const forge = forgeFor('gitlab', process.env);
 * const pr = await forge.currentPullRequest(process.env);
 * const approvers = pr ? await forge.approvingReviewers(pr) : [];
 */
export function forgeFor(name: string, env: NodeJS.ProcessEnv, opts: { apiUrl?: string } = {}): ForgeAdapter {
  if (forgeName(name) === 'gitlab') return createGitlabAdapter({ env, apiUrl: opts.apiUrl });
  return createGithubAdapter({ token: forgeToken(env), env, apiUrl: opts.apiUrl });
}

/**
 * The pull request of this CI run and the logins that approve it, or undefined when the run
 * is not for a pull request.
 *
 * @example
 * const r = await pullRequestApprovals(forgeFor('github', process.env), process.env);
 * // { pr: { owner: 'acme', repo: 'registry', number: 7, … }, approvers: ['carol'] }
 */
export async function pullRequestApprovals(forge: ForgeAdapter, env: NodeJS.ProcessEnv): Promise<{ pr: PullRequestRef; approvers: string[] } | undefined> {
  const pr = await forge.currentPullRequest(env);
  return pr ? { pr, approvers: await forge.approvingReviewers(pr) } : undefined;
}

export interface ManualPullRequestInput {
  /** The registry's remote url; a GitHub (or Enterprise) remote gives a compare link. */
  remoteUrl?: string;
  head: string;
  base: string;
  title: string;
  body: string;
}

/**
 * What to print when no token is set: where to open the pull request, and the title and
 * body to paste.
 *
 * @example
 * manualPullRequestText({ remoteUrl: 'git@github.com:acme/registry.git', head: 'promote/churn', base: 'main', title: 'promote churn 2.1.0', body: '…' });
 * // 'Open the pull request at:\n  https://github.com/acme/registry/compare/main...promote/churn?expand=1\n\nTitle:\n  promote churn 2.1.0\n\nBody:\n…'
 */
export function manualPullRequestText(i: ManualPullRequestInput, env: NodeJS.ProcessEnv = {}): string {
  const remote = i.remoteUrl ? forgeOfRemote(i.remoteUrl, env) : undefined;
  const body = i.body.trim() ? i.body.replace(/\s+$/, '') : '(empty)';
  if (remote?.forge === 'gitlab') {
    const q = new URLSearchParams({ 'merge_request[source_branch]': i.head, 'merge_request[target_branch]': i.base });
    const where = `Open the merge request at:\n  https://${remote.host}/${remote.owner}/${remote.repo}/-/merge_requests/new?${q}`;
    return `${where}\n\nTitle:\n  ${i.title}\n\nDescription:\n${body}\n\n(Set MODELREG_TOKEN to a project access token with the api scope and pass --pr to have modelreg open it.)\n`;
  }
  const where = remote
    ? `Open the pull request at:\n  https://${remote.host}/${remote.owner}/${remote.repo}/compare/${branchPath(i.base)}...${branchPath(i.head)}?expand=1`
    : `Open a pull request from branch ${i.head} into ${i.base}${i.remoteUrl ? ` on ${withoutCredentials(i.remoteUrl)}` : ''}.`;
  const hint = remote ? '\n(Set MODELREG_TOKEN or GITHUB_TOKEN and pass --pr to have modelreg open it.)\n' : '';
  return `${where}\n\nTitle:\n  ${i.title}\n\nBody:\n${body}\n${hint}`;
}

/** A remote url fit to print: `https://user:secret@host/…` loses its user and secret. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

/** A branch name in a compare url: slashes stay, everything else that needs it is escaped. */
function branchPath(branch: string): string {
  return branch.split('/').map(encodeURIComponent).join('/');
}
