/**
 * The GitLab adapter (gitlab.com and self-managed): open a merge request, count approvals,
 * find the merge request of a merge request pipeline from its predefined CI/CD variables.
 * REST API v4, Node's global fetch, no SDK.
 */
import { RegistryError } from '../errors/index.js';
import { DEFAULT_GITLAB_API_URL, GitlabClient, type GitlabToken } from './gitlab-http.js';
import { remoteParts } from './remote-url.js';
import type { ForgeAdapter, OpenPullRequest, OpenPullRequestInput, PullRequestRef } from './types.js';

export interface GitlabAdapterOptions {
  /** Default: gitlabToken(env) (MODELREG_TOKEN, else CI_JOB_TOKEN). */
  token?: GitlabToken;
  /** API root; default `env.CI_API_V4_URL`, else `env.CI_SERVER_URL`/api/v4, else https://gitlab.com/api/v4. */
  apiUrl?: string;
  /** Where the CI variables and tokens are read from; nothing is read when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

/** One entry of `approved_by` in GET /projects/:id/merge_requests/:iid/approvals. */
export interface GitlabApproval {
  user?: { username?: string } | null;
}

/**
 * The token for GitLab: MODELREG_TOKEN (a project, group or personal access token, sent as
 * PRIVATE-TOKEN), else CI_JOB_TOKEN (sent as JOB-TOKEN).
 *
 * @example
 * gitlabToken({ CI_JOB_TOKEN: 'x' }); // { value: 'x', kind: 'job' }
 */
export function gitlabToken(env: NodeJS.ProcessEnv): GitlabToken | undefined {
  if (env.MODELREG_TOKEN) return { value: env.MODELREG_TOKEN, kind: 'private' };
  if (env.CI_JOB_TOKEN) return { value: env.CI_JOB_TOKEN, kind: 'job' };
  return undefined;
}

/** The API root from options or the CI variables. */
export function gitlabApiUrl(env: NodeJS.ProcessEnv = {}, apiUrl?: string): string {
  const url = (apiUrl || env.CI_API_V4_URL || (env.CI_SERVER_URL ? `${env.CI_SERVER_URL.replace(/\/+$/, '')}/api/v4` : '') || DEFAULT_GITLAB_API_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(url)) {
    throw new RegistryError('BAD_INPUT', `The GitLab API url '${url}' is not an http(s) url. Set CI_API_V4_URL to e.g. https://gitlab.com/api/v4 or https://HOST/api/v4.`, { apiUrl: url });
  }
  return url;
}

/**
 * The GitLab forge adapter. A project is named by its full path (`group/subgroup/project`):
 * `owner` is the namespace, `repo` the project's path.
 *
 * @example
 * const gl = createGitlabAdapter({ env: process.env });
 * const { url } = await gl.openPullRequest({ owner: 'acme/ml', repo: 'registry', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn 2.1.0', body: '…' });
 * const approvers = await gl.approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 7 });
 */
export function createGitlabAdapter(opts: GitlabAdapterOptions = {}): ForgeAdapter {
  const apiUrl = gitlabApiUrl(opts.env, opts.apiUrl);
  const client = new GitlabClient({ apiUrl, token: opts.token ?? (opts.env ? gitlabToken(opts.env) : undefined), timeoutMs: opts.timeoutMs ?? 30_000 });
  const projectPath = (owner: string, repo: string) => `/projects/${encodeURIComponent(owner ? `${owner}/${repo}` : repo)}`;
  const name = (owner: string, repo: string) => (owner ? `${owner}/${repo}` : repo);

  return {
    name: 'gitlab',

    async openPullRequest(i: OpenPullRequestInput) {
      const project = name(i.owner, i.repo);
      const subject = { action: `open a merge request in ${project} from ${i.head} into ${i.base}`, what: `project ${project}`, scope: 'api' };
      if (!client.token) {
        throw new RegistryError('BAD_INPUT', `Opening a merge request needs a token: set MODELREG_TOKEN to a project access token with the api scope (role Developer), or open it by hand.`, { project });
      }
      const body = { source_branch: i.head, target_branch: i.base, title: i.draft ? `Draft: ${i.title}` : i.title, description: i.body, remove_source_branch: true };
      const mr = await client.request<{ iid?: unknown; web_url?: unknown }>('POST', `${projectPath(i.owner, i.repo)}/merge_requests`, subject, body);
      if (typeof mr?.iid !== 'number' || typeof mr.web_url !== 'string') {
        throw new RegistryError('IO', `GitLab at ${apiUrl} created the merge request but answered without its iid and web_url. Look for it in ${project}.`, { project });
      }
      return { number: mr.iid, url: mr.web_url };
    },

    /**
     * Usernames in `approved_by` of GET …/merge_requests/:iid/approvals, without the merge
     * request's author (a project may let authors approve their own merge requests; as on
     * GitHub, the author's approval never counts as a review). This endpoint answers on every
     * GitLab tier and lists everyone who approved; `approval_state` (Premium) lists approvers
     * per GitLab approval rule, a subset judged by GitLab's rules — here the registry's policy
     * decides who is eligible.
     */
    async approvingReviewers(pr: { owner: string; repo: string; number: number; author?: string }) {
      const project = name(pr.owner, pr.repo);
      const mrPath = `${projectPath(pr.owner, pr.repo)}/merge_requests/${pr.number}`;
      const subject = { action: `read the approvals of merge request ${project}!${pr.number}`, what: `merge request ${project}!${pr.number}`, scope: 'read_api' };
      const author = pr.author ?? (await client.request<{ author?: { username?: string } }>('GET', mrPath, subject))?.author?.username;
      const approvals = await client.request<{ approved_by?: GitlabApproval[] }>('GET', `${mrPath}/approvals`, subject);
      if (!approvals || !Array.isArray(approvals.approved_by)) {
        throw new RegistryError('IO', `GitLab at ${apiUrl} answered the approvals of ${project}!${pr.number} without an approved_by list. Check CI_API_V4_URL.`, { project });
      }
      return approvedUsernames(approvals.approved_by, author);
    },

    currentPullRequest: async (env) => mergeRequestFromEnv(env),

    /** GET /projects/:id/merge_requests?state=opened&target_branch=…: the first 100, newest first. */
    async openPullRequests(i) {
      const project = name(i.owner, i.repo);
      const subject = { action: `list the open merge requests of ${project} into ${i.base}`, what: `project ${project}`, scope: 'read_api' };
      const list = await client.request<GitlabMergeRequest[]>('GET', `${projectPath(i.owner, i.repo)}/merge_requests?state=opened&target_branch=${encodeURIComponent(i.base)}&order_by=created_at&sort=desc&per_page=100`, subject);
      if (!Array.isArray(list)) throw new RegistryError('IO', `GitLab at ${apiUrl} did not answer with a list when asked to ${subject.action}. Check CI_API_V4_URL.`, { project });
      return list.flatMap((mr): OpenPullRequest[] => (typeof mr?.iid !== 'number' || typeof mr.source_branch !== 'string' ? [] : [{
        owner: i.owner, repo: i.repo, number: mr.iid, title: typeof mr.title === 'string' ? mr.title : '',
        base: typeof mr.target_branch === 'string' ? mr.target_branch : i.base, head: mr.source_branch,
        ...(typeof mr.web_url === 'string' ? { url: mr.web_url } : {}),
        ...(typeof mr.author?.username === 'string' ? { author: mr.author.username } : {}),
        ...(typeof mr.sha === 'string' ? { headSha: mr.sha } : {}),
      }]));
    },
  };
}

/** The fields of an item of GET /projects/:id/merge_requests used here. */
interface GitlabMergeRequest {
  iid?: unknown;
  title?: unknown;
  web_url?: unknown;
  source_branch?: unknown;
  target_branch?: unknown;
  sha?: unknown;
  author?: { username?: unknown } | null;
}

/**
 * Pure: the usernames of `approved_by`, once each, without the author (compared
 * case-insensitively).
 *
 * @example
 * approvedUsernames([{ user: { username: 'ann' } }, { user: { username: 'dana' } }], 'dana'); // ['ann']
 */
export function approvedUsernames(approvedBy: readonly GitlabApproval[], author?: string): string[] {
  const seen = new Map<string, string>();
  for (const a of approvedBy) {
    const u = a?.user?.username;
    if (typeof u === 'string' && u && u.toLowerCase() !== author?.toLowerCase()) seen.set(u.toLowerCase(), u);
  }
  return [...seen.values()];
}

/**
 * Pure: the merge request of a merge request pipeline, from GitLab's predefined variables
 * (CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_PROJECT_PATH or CI_PROJECT_PATH, and the source and
 * target branch names), or undefined in a branch or tag pipeline and outside CI. The author is
 * not among the variables; approvingReviewers reads it from the API.
 *
 * @example
 * mergeRequestFromEnv({ CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_PROJECT_PATH: 'acme/ml/registry',
 *   CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'promote', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' });
 * // { owner: 'acme/ml', repo: 'registry', number: 7, base: 'main', head: 'promote' }
 */
export function mergeRequestFromEnv(env: NodeJS.ProcessEnv): PullRequestRef | undefined {
  const iid = env.CI_MERGE_REQUEST_IID;
  if (!iid) return undefined;
  const path = env.CI_MERGE_REQUEST_PROJECT_PATH || env.CI_PROJECT_PATH || '';
  const head = env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME;
  const base = env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
  const number = Number(iid);
  if (!Number.isInteger(number) || number <= 0 || !path || !head || !base) {
    const missing = [!(Number.isInteger(number) && number > 0) && 'CI_MERGE_REQUEST_IID (an integer)', !path && 'CI_MERGE_REQUEST_PROJECT_PATH', !head && 'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME', !base && 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'].filter(Boolean);
    throw new RegistryError('BAD_INPUT', `CI_MERGE_REQUEST_IID is set but the merge request pipeline variables are incomplete (missing ${missing.join(', ')}). Run the check in a merge request pipeline (rules: if: $CI_PIPELINE_SOURCE == "merge_request_event").`, { missing });
  }
  const slash = path.lastIndexOf('/');
  const url = env.CI_MERGE_REQUEST_PROJECT_URL ? `${env.CI_MERGE_REQUEST_PROJECT_URL.replace(/\/+$/, '')}/-/merge_requests/${number}` : undefined;
  return { owner: path.slice(0, Math.max(slash, 0)), repo: path.slice(slash + 1), number, base, head, ...(url ? { url } : {}) };
}

/**
 * The base a merge request pipeline compares with: CI_MERGE_REQUEST_DIFF_BASE_SHA (the merge
 * base of source and target when the pipeline was created), undefined outside one.
 */
export function gitlabCheckBase(env: NodeJS.ProcessEnv): string | undefined {
  return env.CI_MERGE_REQUEST_IID ? env.CI_MERGE_REQUEST_DIFF_BASE_SHA || undefined : undefined;
}

/** Hosts taken for GitLab: gitlab.com, `gitlab.*` hosts, MODELREG_GITLAB_HOST (comma-separated) and the CI server's host. */
export function isGitlabHost(host: string, env: NodeJS.ProcessEnv = {}): boolean {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const configured = [...(env.MODELREG_GITLAB_HOST ?? '').split(','), env.CI_SERVER_HOST ?? ''].map((x) => x.trim().toLowerCase().replace(/:\d+$/, '')).filter(Boolean);
  return h === 'gitlab.com' || h.startsWith('gitlab.') || configured.includes(h);
}

/**
 * The project of a GitLab remote url, subgroups included, or undefined when the url does
 * not name a GitLab project (a local path, or a host not taken for GitLab unless
 * MODELREG_FORGE=gitlab).
 *
 * @example
 * parseGitlabRemote('git@gitlab.com:acme/ml/registry.git');
 * // { owner: 'acme/ml', repo: 'registry', host: 'gitlab.com', project: 'acme/ml/registry' }
 */
export function parseGitlabRemote(url: string, env: NodeJS.ProcessEnv = {}): { owner: string; repo: string; host: string; project: string } | undefined {
  const parts = remoteParts(url);
  if (!parts || parts.segments.length < 2) return undefined;
  if (!isGitlabHost(parts.host, env) && env.MODELREG_FORGE?.toLowerCase() !== 'gitlab') return undefined;
  const { segments } = parts;
  return { owner: segments.slice(0, -1).join('/'), repo: segments[segments.length - 1], host: parts.host, project: segments.join('/') };
}
