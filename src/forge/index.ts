/**
 * Forge adapters: pull requests on the forge that hosts the registry repository. GitHub is
 * the one supported today; the ForgeAdapter interface is what a GitLab adapter would fill.
 */
import { RegistryError } from '../errors/index.js';
import { createGithubAdapter, parseGithubRemote } from './github.js';
import type { ForgeAdapter, PullRequestRef } from './types.js';

export type { ForgeAdapter, OpenPullRequestInput, PullRequestRef } from './types.js';
export { createGithubAdapter, latestApprovals, parseGithubRemote, type GithubAdapterOptions, type GithubReview } from './github.js';
export { pullRequestFromPayload, readPullRequestEvent } from './github-event.js';

export const SUPPORTED_FORGES = ['github'] as const;

/** The forge token: MODELREG_TOKEN, then GITHUB_TOKEN (what Actions provides). */
export function forgeToken(env: NodeJS.ProcessEnv): string | undefined {
  return env.MODELREG_TOKEN || env.GITHUB_TOKEN || undefined;
}

/**
 * The adapter for a forge name, configured from the environment (MODELREG_TOKEN or
 * GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise).
 *
 * @example
 * const forge = forgeFor('github', process.env);
 * const pr = await forge.currentPullRequest(process.env);
 * const approvers = pr ? await forge.approvingReviewers(pr) : [];
 */
export function forgeFor(name: string, env: NodeJS.ProcessEnv): ForgeAdapter {
  if (name.trim().toLowerCase() === 'github') return createGithubAdapter({ token: forgeToken(env), env });
  throw new RegistryError('BAD_INPUT', `Unknown forge '${name}'; supported: ${SUPPORTED_FORGES.join(', ')}.`, { forge: name, supported: [...SUPPORTED_FORGES] });
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
export function manualPullRequestText(i: ManualPullRequestInput): string {
  const gh = i.remoteUrl ? parseGithubRemote(i.remoteUrl) : undefined;
  const where = gh
    ? `Open the pull request at:\n  https://${gh.host}/${gh.owner}/${gh.repo}/compare/${branchPath(i.base)}...${branchPath(i.head)}?expand=1`
    : `Open a pull request from branch ${i.head} into ${i.base}${i.remoteUrl ? ` on ${withoutCredentials(i.remoteUrl)}` : ''}.`;
  const body = i.body.trim() ? i.body.replace(/\s+$/, '') : '(empty)';
  const hint = gh ? '\n(Set MODELREG_TOKEN or GITHUB_TOKEN and pass --pr to have modelreg open it.)\n' : '';
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
