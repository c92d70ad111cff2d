/**
 * Response bodies in the shapes GitLab's REST API v4 documents (Merge requests API, Merge
 * request approvals API), trimmed to representative fields: a merge request as
 * POST /projects/:id/merge_requests and GET /projects/:id/merge_requests/:iid answer it, the
 * merge request's approvals, and the error bodies GitLab sends for 401, 404 and 409.
 */
const WEB = 'https://gitlab.com';

export function glUser(username: string, id: number) {
  return { id, username, name: username[0].toUpperCase() + username.slice(1), state: 'active', locked: false, avatar_url: `https://secure.gravatar.com/avatar/${id}?s=80&d=identicon`, web_url: `${WEB}/${username}` };
}

/** A merge request of project acme/ml/registry (id 278964). */
export function mergeRequest(iid: number, author = 'dana', over: Record<string, unknown> = {}) {
  return {
    id: 90_000 + iid, iid, project_id: 278964, title: 'promote churn-prediction 2.1.0: Staging -> Production', description: 'Proposed with `modelreg`.',
    state: 'opened', created_at: '2024-03-01T10:00:00.000Z', updated_at: '2024-03-01T10:00:00.000Z', merged_by: null, merge_user: null, merged_at: null,
    closed_by: null, closed_at: null, target_branch: 'main', source_branch: 'promote/churn-2.1.0', user_notes_count: 0, upvotes: 0, downvotes: 0,
    author: glUser(author, 31), assignees: [], assignee: null, reviewers: [], source_project_id: 278964, target_project_id: 278964, labels: [],
    draft: false, work_in_progress: false, milestone: null, merge_when_pipeline_succeeds: false, merge_status: 'checking', detailed_merge_status: 'checking',
    sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e', merge_commit_sha: null, squash_commit_sha: null, discussion_locked: null,
    should_remove_source_branch: null, force_remove_source_branch: true, reference: `!${iid}`,
    references: { short: `!${iid}`, relative: `!${iid}`, full: `acme/ml/registry!${iid}` }, web_url: `${WEB}/acme/ml/registry/-/merge_requests/${iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null }, squash: false,
    task_completion_status: { count: 0, completed_count: 0 }, has_conflicts: false, blocking_discussions_resolved: true,
    ...over,
  };
}

/** GET /projects/:id/merge_requests/:iid/approvals: carol and erin approved, and so did the author dana (the project lets authors approve). */
export function approvals(iid: number) {
  return {
    id: 90_000 + iid, iid, project_id: 278964, title: 'promote churn-prediction 2.1.0: Staging -> Production', description: 'Proposed with `modelreg`.',
    state: 'opened', created_at: '2024-03-01T10:00:00.000Z', updated_at: '2024-03-01T11:00:00.000Z', merge_status: 'can_be_merged',
    approved: true, approvals_required: 2, approvals_left: 0, require_password_to_approve: false,
    approved_by: [{ user: glUser('carol', 7) }, { user: glUser('Dana', 31) }, { user: glUser('erin', 9) }],
    suggested_approvers: [], approvers: [], approver_groups: [], user_has_approved: false, user_can_approve: true, approval_rules_left: [],
    has_approval_rules: true, merge_request_approvers_available: true, multiple_approval_rules_available: true, invalid_approvers_rules: [],
  };
}

export const UNAUTHORIZED = { message: '401 Unauthorized' };
export const PROJECT_NOT_FOUND = { message: '404 Project Not Found' };
export const MR_NOT_FOUND = { message: '404 Not found' };
export const MR_EXISTS = { message: ['Another open merge request already exists for this source branch: !3'] };
