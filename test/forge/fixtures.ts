/**
 * Response bodies in the shapes GitHub's REST API (version 2022-11-28) documents, trimmed to
 * representative fields: a created pull request, pull request reviews, the 422 and 401 error
 * bodies, and the webhook payload GitHub Actions writes to GITHUB_EVENT_PATH.
 */
const API = 'https://api.github.com';

export function user(login: string, id: number) {
  return {
    login, id, node_id: `U_${id}`, avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`, gravatar_id: '',
    url: `${API}/users/${login}`, html_url: `https://github.com/${login}`, type: 'User', site_admin: false,
  };
}

function repository(owner: string, name: string, id: number) {
  return {
    id, node_id: `R_${id}`, name, full_name: `${owner}/${name}`, private: false, owner: user(owner, id + 1),
    html_url: `https://github.com/${owner}/${name}`, url: `${API}/repos/${owner}/${name}`, fork: owner !== 'o',
    clone_url: `https://github.com/${owner}/${name}.git`, default_branch: 'main',
  };
}

function branch(owner: string, name: string, ref: string, sha: string, repoId: number) {
  return { label: `${owner}:${ref}`, ref, sha, user: user(owner, repoId + 1), repo: repository(owner, name, repoId) };
}

/** A pull request object, as POST /repos/{owner}/{repo}/pulls answers (201) and events carry. */
export function pullRequest(n: number, head = { owner: 'o', ref: 'promote/churn-2.1.0' }) {
  return {
    url: `${API}/repos/o/r/pulls/${n}`, id: 1_000 + n, node_id: `PR_${n}`, html_url: `https://github.com/o/r/pull/${n}`,
    diff_url: `https://github.com/o/r/pull/${n}.diff`, issue_url: `${API}/repos/o/r/issues/${n}`, number: n, state: 'open', locked: false,
    title: 'promote churn-prediction 2.1.0: Staging -> Production', user: user('dana', 31), body: 'Policy checklist: ...',
    created_at: '2024-03-01T10:00:00Z', updated_at: '2024-03-01T10:00:00Z', closed_at: null, merged_at: null,
    merge_commit_sha: null, draft: false, author_association: 'MEMBER', auto_merge: null,
    head: branch(head.owner, 'r', head.ref, '6dcb09b5b57875f334f61aebed695e2e4193db5e', head.owner === 'o' ? 100 : 200),
    base: branch('o', 'r', 'main', '9a1b2c3d4e5f60718293a4b5c6d7e8f901234567', 100),
    _links: { html: { href: `https://github.com/o/r/pull/${n}` }, self: { href: `${API}/repos/o/r/pulls/${n}` } },
    merged: false, mergeable: null, comments: 0, review_comments: 0, commits: 1, additions: 1, deletions: 1, changed_files: 1,
  };
}

let reviewId = 80;
/** One item of GET /repos/{owner}/{repo}/pulls/{n}/reviews. */
export function review(login: string | null, state: string, minute: number) {
  const id = ++reviewId;
  return {
    id, node_id: `PRR_${id}`, user: login === null ? null : user(login, login.length * 7), body: state === 'COMMENTED' ? 'One question on the metrics.' : '',
    state, html_url: `https://github.com/o/r/pull/7#pullrequestreview-${id}`, pull_request_url: `${API}/repos/o/r/pulls/7`,
    _links: { html: { href: `https://github.com/o/r/pull/7#pullrequestreview-${id}` }, pull_request: { href: `${API}/repos/o/r/pulls/7` } },
    submitted_at: `2024-03-01T11:${String(minute).padStart(2, '0')}:00Z`, commit_id: 'ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091', author_association: 'COLLABORATOR',
  };
}

/** Two pages, chronological: alice approves then requests changes, dave only comments,
 * bob and carol approve (bob comments afterwards), erin approves twice, frank's approval was
 * dismissed, and a deleted user's approval has `user: null`. */
export const REVIEW_PAGES = [
  [review('alice', 'APPROVED', 1), review('dave', 'COMMENTED', 2), review('bob', 'APPROVED', 3), review('alice', 'CHANGES_REQUESTED', 4)],
  [review('carol', 'APPROVED', 5), review('erin', 'APPROVED', 6), review('frank', 'DISMISSED', 7), review('bob', 'COMMENTED', 8), review('erin', 'APPROVED', 9), review(null, 'APPROVED', 10)],
];

/** 422 from POST /repos/{owner}/{repo}/pulls when the branch already has an open pull request. */
export const ALREADY_EXISTS = {
  message: 'Validation Failed',
  errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for o:promote/churn-2.1.0.' }],
  documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
  status: '422',
};

export const BAD_CREDENTIALS = { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' };
export const NOT_FOUND = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request', status: '404' };

/** The `pull_request` webhook payload Actions writes to GITHUB_EVENT_PATH (action `opened`). */
export function pullRequestEvent(n: number, head?: { owner: string; ref: string }) {
  return {
    action: 'opened', number: n, pull_request: pullRequest(n, head), repository: repository('o', 'r', 100),
    sender: user('dana', 31),
  };
}
