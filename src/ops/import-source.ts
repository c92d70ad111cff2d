/**
 * Another registry to read from (`import --from`, origin verification): a folder holding a
 * registry repository, or a Git URL cloned once into a cache under `.git/modelreg/sources/`
 * and fetched on later use. Every answer is read at one pinned commit.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RegistryError, isRegistryError } from '../errors/index.js';
import type { ModelVersion } from '../domain/state.js';
import { cloneRepo, fetchBranch, remoteToken } from '../storage/remote.js';
import { currentBranch } from '../storage/refs.js';
import type { Snapshot } from '../storage/snapshot.js';
import { commonDir } from '../storage/worktree.js';
import { Context } from './context.js';

export interface SourceRegistry {
  /** How the source is named in `origin.registry`: the URL, or the folder's absolute path. */
  registry: string;
  /** The pinned commit every read uses. */
  commit: string;
  snap: Snapshot;
}

/** `https://…`, `http://…` (smart HTTP, as `--push` speaks); anything else is a folder. */
export function isRemoteSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** The cache folder of a remote source: one clone per URL (credentials stripped before hashing). */
function cacheDirFor(ctx: Context, url: string): string {
  const clean = url.replace(/\/\/[^/@]*@/, '//');
  const key = createHash('sha256').update(clean).digest('hex').slice(0, 16);
  return join(commonDir(ctx.repo.gitdir), 'modelreg', 'sources', key);
}

const isSha = (ref: string) => /^[0-9a-f]{40}$/.test(ref);

async function openRemote(ctx: Context, url: string, ref: string | undefined): Promise<{ dir: string; at: string }> {
  const dir = cacheDirFor(ctx, url);
  const token = ctx.env.MODELREG_SOURCE_TOKEN || remoteToken(ctx.env);
  const branch = ref && !isSha(ref) ? ref.replace(/^refs\/heads\//, '') : undefined;
  if (!existsSync(join(dir, '.git'))) {
    ctx.options.onProgress?.(`cloning ${url.replace(/\/\/[^/@]*@/, '//')} into ${dir}`);
    await cloneRepo(url, dir, { token, branch });
  }
  const repo = { dir, gitdir: join(dir, '.git') };
  const fetched = branch ?? (await currentBranch(repo.gitdir))?.replace(/^refs\/heads\//, '') ?? 'main';
  const tip = await fetchBranch(repo, fetched, { token, url });
  if (ref && isSha(ref)) return { dir, at: ref };
  if (!tip) throw new RegistryError('NOT_FOUND', `${url} has no branch ${fetched}. Name an existing branch or a commit with --ref.`, { registry: url, ref: fetched });
  return { dir, at: tip };
}

/**
 * Opens `source` at `ref` (default: the tip of its registry branch) and pins the commit.
 * @example const src = await openSource(ctx, '../dev-registry'); await src.snap.model('churn')
 */
export async function openSource(ctx: Context, source: string, ref?: string): Promise<SourceRegistry> {
  let dir: string;
  let at = ref;
  let registry: string;
  if (isRemoteSource(source)) {
    registry = source.replace(/\/\/[^/@]*@/, '//');
    ({ dir, at } = await openRemote(ctx, source, ref));
  } else {
    dir = resolve(source); // relative to the working directory, as any path on a command line
    registry = dir;
    if (!existsSync(dir)) throw new RegistryError('NOT_FOUND', `The source registry ${source} does not exist. Give a registry folder or an http(s) Git URL to --from.`, { registry: source });
  }
  let src: Context;
  try {
    src = await Context.open({ dir, env: ctx.env, now: ctx.options.now, identity: ctx.options.identity });
  } catch (e) {
    if (isRegistryError(e)) throw new RegistryError('NOT_FOUND', `${source} is not a registry repository (${e.message}) Give a registry folder or an http(s) Git URL to --from.`, { registry: source }, { cause: e });
    throw e;
  }
  let snap: Snapshot;
  try {
    snap = await src.snapshotAt(at);
  } catch (e) {
    if (isRegistryError(e, 'NOT_FOUND') && at) throw new RegistryError('NOT_FOUND', `The source registry ${registry} has no commit or branch ${at}. Check --ref.`, { registry, ref: at, missingCommit: true }, { cause: e });
    throw e;
  }
  if (!snap.commit) throw new RegistryError('NOT_FOUND', `The source registry ${source} has no commits.`, { registry: source });
  return { registry, commit: snap.commit, snap };
}

/**
 * A version of the source, or NOT_FOUND naming the registry and commit.
 * @example const rec = await sourceVersion(src, 'churn', '1.2.0')
 */
export async function sourceVersion(src: SourceRegistry, model: string, version: string): Promise<ModelVersion> {
  const m = await src.snap.model(model);
  const rec = m?.versions.get(version)?.record;
  if (!rec) {
    const what = m ? `${m.name} has no version ${version}` : `there is no model ${model}`;
    throw new RegistryError('NOT_FOUND', `In ${src.registry} at ${src.commit.slice(0, 12)}, ${what}. Check the name and version (modelreg -C <source> show ${model}).`, { registry: src.registry, commit: src.commit, model, version });
  }
  return rec;
}

/** The fields an import copies besides the artifact (whose URI a deep copy changes). */
const COPIED = ['framework', 'signature', 'metrics', 'params', 'lineage'] as const;

/**
 * The first field where an imported record differs from its source's, if any: the copied
 * fields, then the artifact (its digest, or its URI when the source records no digest).
 * @example differingField(here, there) // undefined, or 'metrics'
 */
export function differingField(here: ModelVersion, there: ModelVersion): string | undefined {
  const f = COPIED.find((k) => !isDeepStrictEqual(here[k], there[k]));
  if (f) return f;
  if (there.artifact.digest ? here.artifact.digest !== there.artifact.digest : here.artifact.uri !== there.artifact.uri) return 'artifact';
  return undefined;
}
