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

/**
 * The transitions proposed on `modelreg/*` branches (each branch's tip commit, by its trailers).
 * A local branch wins over the remote's branch of the same name. Refs whose commit cannot be
 * read are skipped and listed in `unreadable`.
 * @example await listProposals(ctx, await proposalRefs(ctx, 'origin'))
 */
export async function listProposals(ctx: Context, refs: Map<string, string>, remote?: string, unreadable: string[] = []): Promise<Proposal[]> {
  const store = ctx.store();
  const byBranch = new Map<string, Proposal>();
  const [local, tracking] = proposalRefPrefixes(remote);
  const entries = [...refs].sort(([a], [b]) => (a.startsWith(local) === b.startsWith(local) ? 0 : a.startsWith(local) ? 1 : -1));
  for (const [ref, oid] of entries) {
    const branch = ref.startsWith(local) ? ref.slice('refs/heads/'.length) : `modelreg/${ref.slice(tracking!.length)}`;
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
