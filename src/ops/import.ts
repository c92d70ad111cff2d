/**
 * `import --from`: copy one version's immutable record from another registry (dev → prod) as a
 * new registration here, through the register op (same lock, policy and one commit), with its
 * provenance recorded as `origin`. Shallow by default (the artifact URI is kept); with
 * `copyArtifact` the artifact is copied and its digest verified.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { parseModelName } from '../domain/names.js';
import { parseVersion } from '../domain/versions.js';
import type { ModelVersion } from '../domain/state.js';
import { fetchArtifact } from '../storage/artifacts.js';
import type { Context } from './context.js';
import { differingField, openSource, sourceVersion } from './import-source.js';
import { register, type RegisterResult } from './register.js';
import type { WriteOptions } from './write.js';

export interface ImportInput extends WriteOptions {
  /** A registry folder or an http(s) Git URL. */
  from: string;
  /** Branch or commit of the source (default: the tip of its registry branch). */
  ref?: string;
  model: string;
  version: string;
  /** The model name here (default: the source's name). */
  as?: string;
  /** Require the version to be in this stage in the source at the pinned commit. */
  stage?: string;
  /** A local folder (or file:// URL of one) to copy the artifact into (a deep copy). */
  copyArtifact?: string;
}

export type Origin = NonNullable<ModelVersion['origin']>;

export interface ImportResult extends Partial<RegisterResult> {
  model: string;
  version: string;
  origin: Origin;
  /** False when the same source version was already imported: nothing was written. */
  imported: boolean;
  artifact: ModelVersion['artifact'];
  copiedTo?: string;
}

/** The same source version imported before: same origin and the same record. */
function sameImport(here: ModelVersion, rec: ModelVersion, origin: Origin): boolean {
  const o = here.origin;
  return !!o && o.registry === origin.registry && o.model === origin.model && o.version === origin.version && differingField(here, rec) === undefined;
}

async function copyArtifact(src: ModelVersion, dest: string): Promise<{ artifact: ModelVersion['artifact']; path: string }> {
  const dir = dest.startsWith('file:') ? new URL(dest).pathname : resolve(dest);
  const got = await fetchArtifact(src.artifact.uri, dir, { digest: src.artifact.digest, size: src.artifact.size });
  return { artifact: { ...src.artifact, uri: pathToFileURL(got.path).href, digest: got.digest, size: got.size }, path: got.path };
}

/**
 * Imports a version of another registry as a new registration here.
 * @example await importVersion(ctx, { from: 'https://github.com/acme/dev-registry.git', model: 'churn', version: '1.2.0', stage: 'Staging' })
 */
export async function importVersion(ctx: Context, input: ImportInput): Promise<ImportResult> {
  parseModelName(input.model);
  parseVersion(input.version);
  const name = input.as ?? input.model;
  parseModelName(name);
  const src = await openSource(ctx, input.from, input.ref);
  const rec = await sourceVersion(src, input.model, input.version);
  if (input.stage && rec.stage !== input.stage) {
    throw new RegistryError('DENIED', `${rec.model} ${rec.version} is in ${rec.stage}, not ${input.stage}, in ${src.registry} at ${src.commit.slice(0, 12)}. Promote it there first, or import another version.`, { registry: src.registry, commit: src.commit, stage: rec.stage, expected: input.stage });
  }
  const origin: Origin = { registry: src.registry, commit: src.commit, model: rec.model, version: rec.version, stage: rec.stage };

  // Idempotence is decided before any copy: a re-import touches neither the artifact store nor Git.
  const here = (await (await ctx.snapshotAt()).model(name))?.versions.get(rec.version)?.record;
  if (here) {
    if (sameImport(here, rec, origin)) return { model: here.model, version: here.version, origin: here.origin!, imported: false, artifact: here.artifact };
    throw new RegistryError('CONFLICT', `${here.model} ${here.version} is already registered here with a different record than ${rec.model} ${rec.version} of ${src.registry}${here.origin ? ` (it was imported from ${here.origin.registry} ${here.origin.model} ${here.origin.version})` : ''}. Import under another name (--as), or compare them: modelreg show ${here.model} ${here.version}.`, { model: here.model, version: here.version, origin });
  }

  const copied = input.copyArtifact ? await copyArtifact(rec, input.copyArtifact) : undefined;
  const artifact = copied?.artifact ?? rec.artifact;
  const r = await register(ctx, {
    model: name, version: rec.version, artifact: artifact.uri, digest: artifact.digest, size: artifact.size, format: artifact.format,
    framework: rec.framework, signature: rec.signature, metrics: rec.metrics, params: rec.params,
    imported: { origin, ...(rec.lineage ? { lineage: rec.lineage } : {}) },
    push: input.push, branch: input.branch, dryRun: input.dryRun,
  });
  return { ...r, origin, imported: true, artifact, ...(copied ? { copiedTo: copied.path } : {}) };
}
