/**
 * How `check --base` judges a version registered with an `origin` (import --from): the claim
 * is re-read at the source registry at the recorded commit. It holds when the source has that
 * version there with the same record (framework, signature, metrics, params, lineage, and the
 * artifact's digest — or its URI when no digest is recorded) in the claimed stage. A source
 * that cannot be reached is a warning (`origin-unreachable`), an error with --verify-origin.
 */
import { isRegistryError } from '../errors/index.js';
import { issue } from '../domain/issues.js';
import type { ModelVersion } from '../domain/state.js';
import { fileOf, report, type ModelChange } from './base-context.js';
import type { RegistryEvent } from '../domain/events.js';
// Loaded when a version claims an origin: import-source brings the remote code (isomorphic-git's
// wiring), which every other `check --base` would otherwise load for nothing.
import type { openSource } from './import-source.js';

/** Each source is opened once per check (a clone or fetch of a URL is not cheap). */
const opened = new WeakMap<object, Map<string, ReturnType<typeof openSource>>>();

async function sourceAt(m: ModelChange, registry: string, commit: string): ReturnType<typeof openSource> {
  const { openSource } = await import('./import-source.js');
  let byKey = opened.get(m.found);
  if (!byKey) opened.set(m.found, (byKey = new Map()));
  const key = `${registry}\n${commit}`;
  if (!byKey.has(key)) byKey.set(key, openSource(m.ctx, registry, commit));
  return byKey.get(key)!;
}

export const originClaimHolds = async (m: ModelChange, e: Extract<RegistryEvent, { type: 'register' }>): Promise<void> => {
  const here = m.after?.versions.get(e.version)?.record;
  const o = here?.origin;
  if (!here || !o) return;
  const file = fileOf(m, e);
  const claim = `${e.model} ${e.version} claims to come from ${o.model} ${o.version}${o.stage ? ` (${o.stage})` : ''} of ${o.registry} at ${o.commit.slice(0, 12)}`;
  let there: ModelVersion | undefined;
  try {
    const src = await sourceAt(m, o.registry, o.commit);
    there = (await src.snap.model(o.model))?.versions.get(o.version)?.record;
  } catch (err) {
    if (!isRegistryError(err)) throw err;
    if ((err.data as { missingCommit?: boolean }).missingCommit) {
      report(m, issue(file, 'origin-forged', `${claim}, but the source has no commit ${o.commit.slice(0, 12)}; import it again with modelreg import --from`, { field: 'origin.commit' }));
      return;
    }
    const strict = m.verifyOrigin === true;
    report(m, issue(file, 'origin-unreachable', `${claim}, and the source could not be read to verify it (${err.message.split('\n')[0]})${strict ? '' : '; pass --verify-origin to make this an error'}`, { field: 'origin.registry', severity: strict ? 'error' : 'warning' }));
    return;
  }
  if (!there) {
    report(m, issue(file, 'origin-forged', `${claim}, but the source has no ${o.model} ${o.version} at that commit`, { field: 'origin.version' }));
    return;
  }
  const { differingField } = await import('./import-source.js');
  const differs = differingField(here, there);
  if (differs) report(m, issue(file, 'origin-forged', `${claim}, but its ${differs} field differs from the source's record there; import the version again (modelreg import --from) instead of editing it`, { field: differs }));
  if (o.stage !== undefined && there.stage !== o.stage) report(m, issue(file, 'origin-forged', `${claim}, but at that commit it was in ${there.stage}, not ${o.stage}`, { field: 'origin.stage' }));
};

export const originRules = [originClaimHolds];
