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

export interface ServedModel {
  name: string;
  record: RegisteredModel;
  /** Folder tree id: a model whose tree is unchanged is reused as is. */
  tree: string;
  /** Versions by integer number, ascending. */
  versions: Array<{ number: number; record: ModelVersion; provisional: boolean }>;
  byNumber: Map<number, { number: number; record: ModelVersion; provisional: boolean }>;
  bySemver: Map<string, { number: number; record: ModelVersion; provisional: boolean }>;
}

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
    return { number: own ? r.number! : provisional.get(r.version) ?? 0, record: r, provisional: !own };
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

/** Fetches the registry branch from the remote and fast-forwards the local branch (never merges). */
export async function followRemote(ctx: Context, ref: string): Promise<void> {
  const { syncFromRemote } = await import('./write.js');
  const { remoteToken } = await import('../storage/remote.js');
  await syncFromRemote(ctx, ref, remoteToken(ctx.env));
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
  for (const loc of await snap.locations()) {
    let m = old.get(loc.tree);
    if (!m || m.name !== loc.name) {
      try {
        const state = await snap.readModelAt(loc);
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
