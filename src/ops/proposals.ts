/**
 * Proposals (`serve --propose`): transitions committed on a `modelreg/*` branch for review
 * instead of the served branch. They are read from the repository — the local branches and,
 * with a remote, its tracking branches — so every replica and a restarted server answer the
 * same: a version with an open proposal is PENDING_REGISTRATION until the served branch has
 * the proposed stage (the branch merged) or the branch is deleted.
 */
import { parseCommitMessage, trailerValue } from '../domain/trailers.js';
import { listRefs } from '../storage/refs.js';
import type { Context } from './context.js';

export interface Proposal {
  model: string;
  /** The semantic version. */
  version: string;
  /** The stage proposed. */
  stage: string;
  from?: string;
  /** The branch's short name (`modelreg/promote-…`). */
  branch: string;
  commit: string;
}

/** The prefixes proposals are read under: local branches, and the remote's tracking branches. */
export function proposalRefPrefixes(remote?: string): string[] {
  return ['refs/heads/modelreg/', ...(remote ? [`refs/remotes/${remote}/modelreg/`] : [])];
}

/** The ref → commit map proposals are derived from (cheap: a small folder and packed-refs), to tell when they changed. */
export async function proposalRefs(ctx: Context, remote?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of proposalRefPrefixes(remote)) for (const [ref, oid] of await listRefs(ctx.repo.gitdir, p)) out.set(ref, oid);
  return out;
}

/** A proposal ref's branch name: `refs/heads/modelreg/x` and `refs/remotes/<remote>/modelreg/x` are both `modelreg/x`. */
function branchOf(ref: string, remote?: string): string {
  const [local, tracking] = proposalRefPrefixes(remote);
  return ref.startsWith(local!) ? ref.slice('refs/heads/'.length) : `modelreg/${ref.slice(tracking!.length)}`;
}

/** `refs` in the order their branches are read: the remote's first, so a local branch of the same name wins. */
function remoteFirst(refs: Map<string, string>): Array<[string, string]> {
  const local = 'refs/heads/';
  return [...refs].sort(([a], [b]) => (a.startsWith(local) === b.startsWith(local) ? 0 : a.startsWith(local) ? 1 : -1));
}

/**
 * The `modelreg/*` branches, short name → commit: local ones, and the remote's tracking branches
 * (proposals pushed by others); a local branch wins over the remote's of the same name.
 * @example await proposalBranches(ctx, 'origin') // Map { 'modelreg/promote-churn-2.1.0-production' => '3f2a…' }
 */
export async function proposalBranches(ctx: Context, remote?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [ref, oid] of remoteFirst(await proposalRefs(ctx, remote))) out.set(branchOf(ref, remote), oid);
  return out;
}

/**
 * The transitions proposed on `modelreg/*` branches (each branch's tip commit, by its trailers).
 * A local branch wins over the remote's branch of the same name. Refs whose commit cannot be
 * read are skipped and listed in `unreadable`.
 * @example await listProposals(ctx, await proposalRefs(ctx, 'origin'))
 */
export async function listProposals(ctx: Context, refs: Map<string, string>, remote?: string, unreadable: string[] = []): Promise<Proposal[]> {
  const store = ctx.store();
  const byBranch = new Map<string, Proposal>();
  for (const [ref, oid] of remoteFirst(refs)) {
    const branch = branchOf(ref, remote);
    let message: string;
    try {
      message = (await store.readCommit(oid)).message;
    } catch {
      unreadable.push(ref); // a ref to a missing object is not a proposal (or its fetch is not finished yet)
      continue;
    }
    const msg = parseCommitMessage(message);
    if (trailerValue(msg, 'Modelreg-Action') !== 'transition') continue;
    const model = trailerValue(msg, 'Modelreg-Model');
    const version = trailerValue(msg, 'Modelreg-Version');
    const stage = trailerValue(msg, 'Modelreg-To');
    if (!model || !version || !stage) continue;
    const from = trailerValue(msg, 'Modelreg-From');
    byBranch.set(branch, { model, version, stage, branch, commit: oid, ...(from ? { from } : {}) });
  }
  return [...byBranch.values()].sort((a, b) => (a.branch < b.branch ? -1 : 1));
}
