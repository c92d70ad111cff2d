/**
 * Pending promotions: the `modelreg/*` branches that `promote --branch` (and the server's
 * `--propose`, and the web UI) create, and with a forge token the open pull requests into the
 * registry branch — each with the change in words and the policy checklist against the base,
 * exactly as `check --base` computes it (the web UI's Promotions page renders this).
 */
import { isRegistryError } from '../errors/index.js';
import type { CheckResult } from '../domain/check-result.js';
import { parseCommitMessage } from '../domain/trailers.js';
import type { ForgeName, OpenPullRequest } from '../forge/index.js';
import { isAncestor, mergeBase } from '../storage/ancestry.js';
import { readRef } from '../storage/refs.js';
import { check } from './check.js';
import { proposalBranches } from './proposals.js';
import type { Context } from './context.js';
import { diffLines, type DiffLine } from './diff.js';

export interface PendingPromotion {
  /** Set (and the promotion left out of the list) when the branch is already in the registry branch. */
  merged?: boolean;
  /** The branch (short name: `modelreg/promote-churn-2.1.0-production`, or a pull request's head). */
  branch: string;
  /** Its tip, when the commit is in this clone. */
  head?: string;
  /** The commit the change is compared with: where the branch left the registry branch. */
  base?: string;
  /** The registry branch moved on since the branch left it (CI checks the merge result; update the branch). */
  behind: boolean;
  /** The tip commit's subject, author and time. */
  subject?: string;
  author?: { name: string; email: string };
  at?: string;
  /** The pull request from this branch, when a forge token lists it. */
  pullRequest?: OpenPullRequest & { forge: ForgeName; approvers: string[] };
  /** Each change in words with what the policy still needs (as `modelreg diff`). */
  lines: DiffLine[];
  /** `check --base <base> --head <head>`: the decisions with their checklists, and the problems. */
  check?: CheckResult;
  /** Why there is no checklist (the commit is not in this clone, the check failed to run). */
  error?: string;
}

export interface PendingInput {
  /** Ask the forge of the remote (`origin` unless `--remote` names another) for open pull requests (needs its token in the environment). */
  forge?: boolean;
  /**
   * Descriptions kept between calls, by branch, tip, registry tip and forge approvers: the same
   * commits give the same checklist, so a page shown again checks only what moved. The caller
   * bounds it (entries are dropped when it holds more than 200).
   */
  memo?: Map<string, PendingPromotion>;
}

export interface PendingResult {
  /** The registry branch (short name) and its tip. */
  target: string;
  tip?: string;
  promotions: PendingPromotion[];
  /** What the forge said, when asked: the forge, or why no pull requests were listed. */
  forge?: { name?: ForgeName; error?: string };
}

/**
 * The pending promotions of the registry branch.
 * @example const { promotions } = await pendingPromotions(ctx, { forge: true });
 */
export async function pendingPromotions(ctx: Context, input: PendingInput = {}): Promise<PendingResult> {
  const targetRef = await ctx.targetRef();
  const target = targetRef.replace(/^refs\/heads\//, '');
  const tip = await readRef(ctx.repo.gitdir, targetRef);
  // Proposals pushed by others arrive as remote-tracking branches; a local branch of the same name wins.
  const branches = await proposalBranches(ctx, remoteOf(ctx));
  const listed = input.forge ? await openPulls(ctx, target) : undefined;
  const out: PendingPromotion[] = [];
  const store = ctx.store();
  for (const pr of listed?.pulls ?? []) {
    const head = branches.get(pr.head) ?? (await readRef(ctx.repo.gitdir, `refs/remotes/${remoteOf(ctx)}/${pr.head}`)) ?? (pr.headSha && (await hasCommit(ctx, pr.headSha)) ? pr.headSha : undefined);
    branches.delete(pr.head);
    out.push(await remembered(ctx, input.memo, { branch: pr.head, head, tip, pullRequest: pr }));
  }
  for (const [branch, head] of [...branches].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = await remembered(ctx, input.memo, { branch, head, tip });
    if (p.merged) continue; // merged: no longer pending
    out.push(p);
  }
  return { target, ...(tip ? { tip } : {}), promotions: out, ...(listed && (listed.forge.name || listed.forge.error) ? { forge: listed.forge } : {}) };
}

/** describe(), or its answer for the same commits from `memo`. A branch already in the registry branch is marked merged. */
async function remembered(ctx: Context, memo: Map<string, PendingPromotion> | undefined, i: Parameters<typeof describe>[1]): Promise<PendingPromotion> {
  const key = [i.branch, i.head, i.tip, i.pullRequest ? `${i.pullRequest.number}:${i.pullRequest.approvers.join(',')}` : ''].join(' ');
  const hit = memo?.get(key);
  if (hit) return hit;
  const merged = !i.pullRequest && !!i.head && !!i.tip && (await isAncestor(ctx.store(), i.head, i.tip, 5_000));
  const p: PendingPromotion = merged ? { branch: i.branch, behind: false, lines: [], merged: true } : await describe(ctx, i);
  if (memo) {
    if (memo.size >= 200) memo.clear();
    memo.set(key, p);
  }
  return p;
}

async function hasCommit(ctx: Context, oid: string): Promise<boolean> {
  return ctx.store().readCommit(oid).then(() => true, () => false);
}

/** One pending change: its tip commit, its base, and the base check's findings. */
async function describe(ctx: Context, i: { branch: string; head?: string; tip?: string; pullRequest?: PendingPromotion['pullRequest'] }): Promise<PendingPromotion> {
  const pr = i.pullRequest ? { pullRequest: i.pullRequest } : {};
  if (!i.head) return { branch: i.branch, behind: false, lines: [], ...pr, error: `The branch ${i.branch} is not in this clone; fetch it (git fetch ${remoteOf(ctx)} ${i.branch}) to see its checklist.` };
  const store = ctx.store();
  const commit = await store.readCommit(i.head);
  const about = { branch: i.branch, head: i.head, subject: parseCommitMessage(commit.message).subject, author: { name: commit.author.name, email: commit.author.email }, at: new Date(commit.author.timestamp * 1000).toISOString(), ...pr };
  const base = i.tip ? await mergeBase(store, i.tip, i.head) : undefined;
  if (!base) return { ...about, behind: false, lines: [], error: `The branch ${i.branch} shares no history with the registry branch.` };
  try {
    const result = await check(ctx, { base, head: i.head, forgeApprovers: i.pullRequest?.approvers.map((login) => `${i.pullRequest!.forge}:${login.toLowerCase()}`) ?? [] });
    return { ...about, base, behind: base !== i.tip, lines: diffLines(result), check: result };
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    return { ...about, base, behind: base !== i.tip, lines: [], error: e.message };
  }
}

/** The open pull requests into `target` on the forge of the remote, with their approving reviewers; or why there are none. */
async function openPulls(ctx: Context, target: string): Promise<{ pulls: Array<NonNullable<PendingPromotion['pullRequest']>>; forge: { name?: ForgeName; error?: string } }> {
  const { forgeFor, forgeOfRemote, forgeToken } = await import('../forge/index.js');
  const { remoteUrl } = await import('../storage/remote.js');
  const url = await remoteUrl(ctx.repo, ctx.options.remote).catch(() => undefined);
  const remote = url ? forgeOfRemote(url, ctx.env) : undefined;
  if (!remote) return { pulls: [], forge: url ? { error: `The remote ${remoteOf(ctx)} is not on a forge modelreg knows (GitHub, GitLab).` } : {} };
  if (!forgeToken(ctx.env, remote.forge)) return { pulls: [], forge: { name: remote.forge, error: `No forge token: set MODELREG_TOKEN${remote.forge === 'github' ? ' or GITHUB_TOKEN' : ''} for the server to list open ${remote.forge === 'gitlab' ? 'merge' : 'pull'} requests.` } };
  const apiUrl = remote.forge === 'gitlab' && !ctx.env.CI_API_V4_URL && !ctx.env.CI_SERVER_URL ? `https://${remote.host}/api/v4` : undefined;
  const forge = forgeFor(remote.forge, ctx.env, { apiUrl });
  try {
    const pulls = await forge.openPullRequests({ owner: remote.owner, repo: remote.repo, base: target });
    const withApprovers = [];
    for (const p of pulls) withApprovers.push({ ...p, forge: remote.forge, approvers: await forge.approvingReviewers(p) });
    return { pulls: withApprovers, forge: { name: remote.forge } };
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    return { pulls: [], forge: { name: remote.forge, error: e.message } };
  }
}

/**
 * One proposal branch (short name) compared with the registry branch (`registryRef`), as the
 * Promotions page lists it; undefined when the branch does not exist.
 */
export async function pendingBranch(ctx: Context, branch: string, registryRef: string): Promise<PendingPromotion | undefined> {
  const head = (await readRef(ctx.repo.gitdir, `refs/heads/${branch}`)) ?? (await readRef(ctx.repo.gitdir, `refs/remotes/${remoteOf(ctx)}/${branch}`));
  if (!head) return undefined;
  return describe(ctx, { branch, head, tip: await readRef(ctx.repo.gitdir, registryRef) });
}

/** The remote the server follows: `--remote NAME`, else origin. */
function remoteOf(ctx: Context): string {
  return ctx.options.remote ?? 'origin';
}
