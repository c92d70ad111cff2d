/** Finding and loading the policy a model names, at a snapshot. */
import { RegistryError } from '../errors/index.js';
import { formatIssue, type Issue } from '../domain/issues.js';
import { policyFile, type RegisteredModel } from '../domain/state.js';
import { loadPolicy, policyCacheEntry, restorePolicy, restorePolicyWithIssues, type LoadedPolicy } from '../policy/index.js';
import type { Snapshot } from '../storage/snapshot.js';
import { DEFAULT_POLICY } from './default-policy.js';

export { DEFAULT_POLICY };

export function policyNameOf(model: RegisteredModel | undefined): string {
  return model?.policy ?? 'default';
}

/** Loads a policy by name at a snapshot; a broken policy is an error with file:line, never a silent allow. */
export async function loadPolicyAt(snap: Snapshot, name: string): Promise<LoadedPolicy> {
  const cfg = await snap.config();
  const file = policyFile(cfg, name);
  // A policy is loaded by blob id once: in this process, then from .git/modelreg/cache.
  const entry = await snap.entry(file);
  const oid = entry?.type === 'blob' ? entry.oid : undefined;
  if (oid) {
    const { memory, stored } = snap.derived('policy', oid);
    const known = (memory as LoadedPolicy | undefined) ?? (await restorePolicy(stored, file));
    if (known) {
      if (!memory) snap.remember('policy', oid, known);
      return known.file === file ? known : { ...known, file };
    }
  }
  let text = await snap.text(file);
  if (text === undefined) {
    if (name !== 'default') {
      throw new RegistryError('INVALID_POLICY', `The model names policy '${name}', but ${file} does not exist. Add the policy file or change \`policy:\` in model.yaml.`, { policy: name, file });
    }
    text = DEFAULT_POLICY;
  }
  const { policy, issues } = await loadPolicy(text, file);
  const errors = issues.filter((i) => i.severity === 'error');
  if (!policy || errors.length) {
    throw new RegistryError('INVALID_POLICY', `${errors.map(formatIssue).join('\n')}\nFix the policy (modelreg check lists every problem).`, { policy: name, file, issues: errors });
  }
  if (oid) snap.remember('policy', oid, policy, policyCacheEntry(policy, issues));
  return policy;
}

/** Loads a policy file's text, with every problem it has (`loadPolicy`'s signature). */
export type PolicyLoader = (text: string, file: string) => Promise<{ policy?: LoadedPolicy; issues: Issue[] }>;

/**
 * How `check` loads the policy files it read from `snap`'s tree: an unchanged policy comes from
 * the policy cache by blob id with the warnings its text gave (restorePolicyWithIssues), so a
 * `check --base` does not parse it again; any other is loaded from its text and remembered.
 */
export function policyLoaderAt(snap: Snapshot): PolicyLoader {
  return async (text, file) => {
    const entry = await snap.entry(file);
    const oid = entry?.type === 'blob' ? entry.oid : undefined;
    if (oid) {
      const known = await restorePolicyWithIssues(snap.derived('policy', oid).stored, file);
      if (known) return known;
    }
    const loaded = await loadPolicy(text, file);
    if (oid && loaded.policy && !loaded.issues.some((i) => i.severity === 'error')) snap.remember('policy', oid, loaded.policy, policyCacheEntry(loaded.policy, loaded.issues));
    return loaded;
  };
}

export async function policyFor(snap: Snapshot, model: RegisteredModel | undefined): Promise<LoadedPolicy> {
  return loadPolicyAt(snap, policyNameOf(model));
}
