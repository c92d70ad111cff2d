/**
 * The `deployments` a transition guard sees: the environments where the version is the
 * deployed one (`deployments.staging.status == "succeeded"`). Read only when a guard of the
 * policy names `deployments`, so a policy that does not use them never reads (or trips over)
 * the deployment files.
 */
import { deploymentsOfVersion, type DeploymentView } from '../domain/deployments.js';
import type { LoadedPolicy } from '../policy/index.js';
import { deploymentsOfModel } from '../storage/deployments.js';
import type { TreeReader } from '../storage/tree-reader.js';

export function usesDeployments(policy: LoadedPolicy): boolean {
  for (const g of policy.guards.values()) if (/\bdeployments\b/.test(g.source)) return true;
  return false;
}

/**
 * The version's deployments at `snap` (for `check --base`: the base, so a pull request cannot
 * record a deployment and use it in the same change), or undefined when no guard asks.
 * @example await guardDeployments(snap, policy, 'churn', '2.1.0') // { staging: { version: '2.1.0', status: 'succeeded', ... } }
 */
export async function guardDeployments(snap: TreeReader, policy: LoadedPolicy, model: string, version: string): Promise<Record<string, DeploymentView> | undefined> {
  if (!usesDeployments(policy)) return undefined;
  return deploymentsOfVersion(await deploymentsOfModel(snap, model), version);
}
