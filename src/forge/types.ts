/**
 * What modelreg needs from a forge (GitHub and GitLab fill the same shape): open a pull
 * request (GitLab: a merge request), say who approved one, and say which one a CI run is for.
 * On GitLab `owner` is the project's namespace (`group/subgroup`) and `number` the merge
 * request's iid.
 */

/** A pull request as CI sees it: the repository it merges into, its branches and its author. */
export interface PullRequestRef {
  /** Owner of the base repository (the one the pull request merges into). */
  owner: string;
  repo: string;
  number: number;
  /** The branch it merges into, e.g. `main`. */
  base: string;
  /** The branch it merges from (in a fork when the pull request comes from one). */
  head: string;
  /** The pull request's web page. */
  url?: string;
  /** Login of the person who opened it. */
  author?: string;
}

export interface OpenPullRequestInput {
  owner: string;
  repo: string;
  /** The branch to merge from; `user:branch` for a branch in a fork. */
  head: string;
  /** The branch to merge into. */
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

export interface ForgeAdapter {
  name: 'github' | 'gitlab' | string;
  /** Opens a pull request; resolves to its number and web page. */
  openPullRequest(i: OpenPullRequestInput): Promise<{ number: number; url: string }>;
  /**
   * Logins that approve the pull request now. GitHub: whose latest review state is APPROVED
   * (a later CHANGES_REQUESTED or a dismissal cancels an approval, a later comment does not;
   * every page of reviews is read). GitLab: the merge request's `approved_by`, without its author.
   */
  approvingReviewers(pr: { owner: string; repo: string; number: number; author?: string }): Promise<string[]>;
  /** The pull request this CI run is for, or undefined when the run is not for one. */
  currentPullRequest(env: NodeJS.ProcessEnv): Promise<PullRequestRef | undefined>;
  /** The open pull requests (GitLab: merge requests) into `base`, newest first: what the web UI's Promotions page lists. */
  openPullRequests(i: { owner: string; repo: string; base: string }): Promise<OpenPullRequest[]>;
}

/** An open pull request as the Promotions page shows it. */
export interface OpenPullRequest extends PullRequestRef {
  title: string;
  /** The head commit the forge reports, when it does. */
  headSha?: string;
}
