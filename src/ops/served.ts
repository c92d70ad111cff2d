/**
 * The registry as `modelreg serve` holds it: every model and version at one commit, in memory,
 * indexed for the questions MLflow clients ask (by name, by integer number, by alias, by stage).
 * A reload at a new commit reuses every model whose folder's tree id did not change.
 */
import { modelKey } from '../domain/names.js';
import { compareVersions } from '../domain/versions.js';
import { byNumber, numberUnnumbered } from '../domain/numbering.js';
import type { ModelVersion, RegisteredModel } from '../domain/state.js';
import { readRef } from '../storage/refs.js';
import type { Context } from './context.js';

/** What the server answers from a version: the rest of the record (metrics, signature, params, ...) is not kept in memory. */
export type ServedRecord = Pick<ModelVersion, 'model' | 'version' | 'number' | 'stage' | 'description' | 'tags' | 'artifact' | 'created' | 'deprecated'> & {
  lineage?: { run?: { id?: string; uri?: string } };
  approvals?: Array<{ at: string }>;
};

function trim(r: ModelVersion): ServedRecord {
  const run = r.lineage?.run && (r.lineage.run.id || r.lineage.run.uri) ? { ...(r.lineage.run.id ? { id: r.lineage.run.id } : {}), ...(r.lineage.run.uri ? { uri: r.lineage.run.uri } : {}) } : undefined;
  return {
    model: r.model, version: r.version, ...(r.number !== undefined ? { number: r.number } : {}), stage: r.stage,
    ...(r.description ? { description: r.description } : {}), ...(r.tags ? { tags: r.tags } : {}), artifact: r.artifact,
    ...(run ? { lineage: { run } } : {}), created: r.created,
    ...(r.approvals?.length ? { approvals: r.approvals.map((a) => ({ at: a.at })) } : {}), ...(r.deprecated ? { deprecated: r.deprecated } : {}),
  };
}

export interface ServedModel {
  name: string;
  record: RegisteredModel;
  /** Folder tree id: a model whose tree is unchanged is reused as is. */
  tree: string;
  /** Versions by integer number, ascending. */
  versions: ServedVersion[];
  byNumber: Map<number, ServedVersion>;
  bySemver: Map<string, ServedVersion>;
}

export interface ServedVersion { number: number; record: ServedRecord; provisional: boolean }

export interface ServedState {
  commit?: string;
  /** Commit time (ms): the `last_updated_timestamp` of what has no finer time. */
  commitTime?: number;
  /** Models sorted by name (case-insensitively). */
  models: ServedModel[];
  byKey: Map<string, ServedModel>;
  /** Models that could not be read at this commit, with the reason (they are not served). */
  problems: Array<{ model: string; message: string }>;
  /** Versions without a recorded number (given provisional numbers after the recorded ones). */
  unnumbered: number;
}

function index(name: string, tree: string, record: RegisteredModel, records: ModelVersion[]): ServedModel {
  // Recorded numbers first; versions without one get numbers after them in semver order, until `modelreg renumber` records them.
  const sorted = [...records].sort((a, b) => compareVersions(a.version, b.version));
  const provisional = numberUnnumbered(sorted);
  const recorded = byNumber(sorted);
  const versions = sorted.map((r) => {
    const own = r.number !== undefined && recorded.get(r.number) === r;
    return { number: own ? r.number! : provisional.get(r.version) ?? 0, record: trim(r), provisional: !own };
  });
  versions.sort((a, b) => a.number - b.number);
  return {
    name, tree, record, versions,
    byNumber: new Map(versions.map((v) => [v.number, v])),
    bySemver: new Map(versions.map((v) => [v.record.version, v])),
  };
}

/** The commit a branch (full ref) points at: one small file read (or packed-refs), cheap enough to poll. */
export function servedTip(ctx: Context, ref: string): Promise<string | undefined> {
  return readRef(ctx.repo.gitdir, ref);
}

/** A feed's `since` (a ref or a date) checked at the edge: NOT_FOUND for a ref the repository does not have. */
export async function checkSince(ctx: Context, since: string): Promise<void> {
  const { parseDateArg, resolveCommitish } = await import('../storage/history.js');
  if (!parseDateArg(since)) await resolveCommitish(ctx.store(), since);
}

/** NOT_FOUND (saying how to add it) when the repository has no remote of that name. */
export async function assertRemote(ctx: Context, name: string): Promise<void> {
  const { remoteUrl } = await import('../storage/remote.js');
  await remoteUrl(ctx.repo, name);
}

/**
 * Fetches the registry branch from the remote and fast-forwards the local branch (never merges);
 * with `proposals`, also the remote's `modelreg/*` branches (proposals other replicas pushed).
 */
export async function followRemote(ctx: Context, ref: string, o: { proposals?: boolean } = {}): Promise<void> {
  const { syncFromRemote } = await import('./fast-forward.js');
  const { remoteToken, fetchBranchesUnder } = await import('../storage/remote.js');
  await syncFromRemote(ctx, ref, remoteToken(ctx.env));
  if (o.proposals) await fetchBranchesUnder(ctx.repo, 'modelreg/', { token: remoteToken(ctx.env), ...(ctx.options.remote ? { remote: ctx.options.remote } : {}) });
}

/**
 * The registry at `commit` (undefined: a branch without commits), reusing the unchanged models of `previous`.
 * @example const state = await loadServed(ctx, await servedTip(ctx, 'refs/heads/main'))
 */
export async function loadServed(ctx: Context, commit: string | undefined, previous?: ServedState): Promise<ServedState> {
  if (!commit) return { models: [], byKey: new Map(), problems: [], unnumbered: 0 };
  const snap = await ctx.snapshotAt(commit);
  const old = new Map((previous?.models ?? []).map((m) => [m.tree, m]));
  const models: ServedModel[] = [];
  const problems: ServedState['problems'] = [];
  let unnumbered = 0;
  // A folder whose tree id was served before is a model without reading it; only changed folders are read.
  for (const loc of await snap.locations((tree) => old.has(tree))) {
    let m = old.get(loc.tree);
    if (!m || m.name !== loc.name) {
      try {
        // retain: false: the served index is all this process keeps of a model.
        const state = await snap.readModelAt(loc, false);
        if (!state) continue;
        m = index(state.name, loc.tree, state.record, [...state.versions.values()].map((v) => v.record));
      } catch (e) {
        problems.push({ model: loc.name, message: (e as Error).message });
        continue;
      }
    }
    unnumbered += m.versions.filter((v) => v.provisional).length;
    models.push(m);
  }
  models.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0));
  const commitTime = snap.commit ? (await snap.store.readCommit(snap.commit)).committer.timestamp * 1000 : undefined;
  return { ...(snap.commit ? { commit: snap.commit } : {}), ...(commitTime ? { commitTime } : {}), models, byKey: new Map(models.map((m) => [modelKey(m.name), m])), problems, unnumbered };
}
