/**
 * The GitHub adapter (github.com and GitHub Enterprise Server): open a pull request, count
 * approving reviews, find the pull request of an Actions run. REST API version 2022-11-28,
 * Node's global fetch, no SDK.
 */
import { RegistryError } from '../errors/index.js';
import { DEFAULT_API_URL, GithubClient } from './github-http.js';
import { readPullRequestEvent } from './github-event.js';
import { remoteParts } from './remote-url.js';
import type { ForgeAdapter, OpenPullRequest, OpenPullRequestInput } from './types.js';

export interface GithubAdapterOptions {
  /** A token (classic, fine-grained, or Actions' GITHUB_TOKEN). Reading public pull requests works without one. */
  token?: string;
  /** API root; default `env.GITHUB_API_URL`, else https://api.github.com. Enterprise: https://HOST/api/v3. */
  apiUrl?: string;
  /** Where GITHUB_API_URL is read from; nothing is read when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

/** A review as GET /repos/{owner}/{repo}/pulls/{n}/reviews lists it (the fields used here). */
export interface GithubReview {
  user: { login: string } | null;
  state: string;
  submitted_at?: string;
}

/**
 * The GitHub forge adapter.
 *
 * @example
 * const gh = createGithubAdapter({ token: process.env.GITHUB_TOKEN });
 * const { url } = await gh.openPullRequest({ owner: 'acme', repo: 'registry', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn 2.1.0', body: '…' });
 * const approvers = await gh.approvingReviewers({ owner: 'acme', repo: 'registry', number: 7 });
 */
export function createGithubAdapter(opts: GithubAdapterOptions = {}): ForgeAdapter {
  const apiUrl = (opts.apiUrl || opts.env?.GITHUB_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(apiUrl)) {
    throw new RegistryError('BAD_INPUT', `The GitHub API url '${apiUrl}' is not an http(s) url. Set GITHUB_API_URL to e.g. https://api.github.com or https://HOST/api/v3.`, { apiUrl });
  }
  const client = new GithubClient({ apiUrl, token: opts.token || undefined, timeoutMs: opts.timeoutMs ?? 30_000, userAgent: 'modelreg' });
  const repoPath = (owner: string, repo: string) => `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;

  return {
    name: 'github',

    async openPullRequest(i: OpenPullRequestInput) {
      const subject = { action: `open a pull request in ${i.owner}/${i.repo} from ${i.head} into ${i.base}`, what: `repository ${i.owner}/${i.repo}`, permission: 'the Pull requests: write permission (classic tokens: the repo scope)' };
      if (!client.hasToken) {
        throw new RegistryError('BAD_INPUT', `Opening a pull request needs a token: set MODELREG_TOKEN or GITHUB_TOKEN to a token with ${subject.permission}, or open it by hand.`, { owner: i.owner, repo: i.repo });
      }
      const body = { title: i.title, head: i.head, base: i.base, body: i.body, ...(i.draft ? { draft: true } : {}) };
      const r = await client.request<{ number?: unknown; html_url?: unknown }>('POST', `${repoPath(i.owner, i.repo)}/pulls`, subject, body);
      if (typeof r.body?.number !== 'number' || typeof r.body.html_url !== 'string') {
        throw new RegistryError('IO', `GitHub at ${apiUrl} created the pull request but answered without its number and html_url. Look for it at ${i.owner}/${i.repo}.`, { owner: i.owner, repo: i.repo });
      }
      return { number: r.body.number, url: r.body.html_url };
    },

    async approvingReviewers(pr) {
      const subject = { action: `list the reviews of pull request ${pr.owner}/${pr.repo}#${pr.number}`, what: `pull request ${pr.owner}/${pr.repo}#${pr.number}`, permission: 'the Pull requests: read permission (classic tokens: the repo scope for private repositories)' };
      const reviews = await client.paginate<GithubReview>(`${repoPath(pr.owner, pr.repo)}/pulls/${pr.number}/reviews`, subject);
      return latestApprovals(reviews);
    },

    currentPullRequest: readPullRequestEvent,

    async openPullRequests(i) {
      const subject = { action: `list the open pull requests of ${i.owner}/${i.repo} into ${i.base}`, what: `repository ${i.owner}/${i.repo}`, permission: 'the Pull requests: read permission (classic tokens: the repo scope for private repositories)' };
      const pulls = await client.paginate<GithubPull>(`${repoPath(i.owner, i.repo)}/pulls?state=open&base=${encodeURIComponent(i.base)}&sort=created&direction=desc`, subject);
      return pulls.flatMap((p) => openPull(p, i));
    },
  };
}

/** The fields of an item of GET /repos/{owner}/{repo}/pulls used here. */
interface GithubPull {
  number?: unknown;
  title?: unknown;
  html_url?: unknown;
  user?: { login?: unknown } | null;
  head?: { ref?: unknown; sha?: unknown; repo?: { full_name?: unknown } | null };
  base?: { ref?: unknown };
}

/** Pure: an item of the pulls list as an OpenPullRequest; a head in a fork is `owner:branch`; items without a number are skipped. */
function openPull(p: GithubPull, i: { owner: string; repo: string; base: string }): OpenPullRequest[] {
  if (typeof p?.number !== 'number' || typeof p.head?.ref !== 'string') return [];
  const fork = typeof p.head.repo?.full_name === 'string' && p.head.repo.full_name.toLowerCase() !== `${i.owner}/${i.repo}`.toLowerCase();
  return [{
    owner: i.owner, repo: i.repo, number: p.number, title: typeof p.title === 'string' ? p.title : '',
    base: typeof p.base?.ref === 'string' ? p.base.ref : i.base,
    head: fork ? `${String(p.head.repo!.full_name).split('/')[0]}:${p.head.ref}` : p.head.ref,
    ...(typeof p.html_url === 'string' ? { url: p.html_url } : {}),
    ...(typeof p.user?.login === 'string' ? { author: p.user.login } : {}),
    ...(typeof p.head.sha === 'string' ? { headSha: p.head.sha } : {}),
  }];
}

/**
 * Pure: the logins whose latest deciding review is APPROVED. Reviews come in chronological
 * order (as GitHub lists them). CHANGES_REQUESTED and DISMISSED decide; COMMENTED and PENDING
 * do not (a comment after an approval leaves it standing, as on GitHub). Logins compare
 * case-insensitively; reviews by deleted users (`user: null`) are skipped.
 *
 * @example
 * latestApprovals([{ user: { login: 'ann' }, state: 'APPROVED' }, { user: { login: 'ann' }, state: 'CHANGES_REQUESTED' },
 *   { user: { login: 'bo' }, state: 'APPROVED' }, { user: { login: 'bo' }, state: 'COMMENTED' }]); // ['bo']
 */
export function latestApprovals(reviews: readonly GithubReview[]): string[] {
  const latest = new Map<string, { login: string; state: string }>();
  for (const r of reviews) {
    const login = r?.user?.login;
    if (typeof login !== 'string' || !login) continue;
    const state = String(r.state).toUpperCase();
    if (state === 'APPROVED' || state === 'CHANGES_REQUESTED' || state === 'DISMISSED') latest.set(login.toLowerCase(), { login, state });
  }
  return [...latest.values()].filter((v) => v.state === 'APPROVED').map((v) => v.login);
}

/**
 * Owner and repository of a GitHub remote url: https and ssh forms, github.com or any
 * Enterprise host (the last two path segments). Undefined when the url does not say.
 *
 * @example
 * parseGithubRemote('git@github.com:acme/registry.git');      // { owner: 'acme', repo: 'registry', host: 'github.com' }
 * parseGithubRemote('https://ghe.example.com/acme/registry'); // { owner: 'acme', repo: 'registry', host: 'ghe.example.com' }
 * parseGithubRemote('/srv/git/registry.git');                 // undefined
 */
export function parseGithubRemote(url: string): { owner: string; repo: string; host: string } | undefined {
  const parts = remoteParts(url);
  if (!parts || parts.segments.length < 2) return undefined;
  const [owner, repo] = parts.segments.slice(-2);
  return { owner, repo, host: parts.host };
}
