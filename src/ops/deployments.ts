/**
 * The read side of deployments: a model's deployments, every deployment, a version's. Apart from
 * ops/deploy.ts (the write) so that `show` and the library's reads load no write-path code.
 */
import { byEnv, deploymentsOfVersion, type Deployment, type DeploymentView } from '../domain/deployments.js';
import { allDeployments, deploymentsOfModel } from '../storage/deployments.js';
import type { Context } from './context.js';
import { requireModel } from './errors.js';

export interface DeploymentsInput {
  /** Only this model's deployments. */
  model?: string;
  /** The registry as it was at a ref or date. */
  at?: string;
}

/**
 * What is deployed where: model → env → deployment.
 * @example (await deployments(ctx, { model: 'churn' })).churn.staging.version // '2.1.0'
 */
export async function deployments(ctx: Context, input: DeploymentsInput = {}): Promise<Record<string, Record<string, DeploymentView>>> {
  const snap = await ctx.snapshotAt(input.at);
  let all: Deployment[];
  if (input.model !== undefined) {
    const m = await requireModel(snap, input.model, true);
    all = await deploymentsOfModel(snap, m.name);
  } else all = await allDeployments(snap);
  const out: Record<string, Record<string, DeploymentView>> = {};
  const models = new Map<string, Deployment[]>();
  for (const d of all) models.set(d.model, [...(models.get(d.model) ?? []), d]);
  for (const name of [...models.keys()].sort()) out[name] = byEnv(models.get(name)!);
  return out;
}

/**
 * The environments `version` of `model` is deployed in, env → deployment.
 * @example await versionDeployments(ctx, { model: 'churn', version: '2.1.0' }) // { staging: { status: 'succeeded', ... } }
 */
export async function versionDeployments(ctx: Context, input: { model: string; version: string; at?: string }): Promise<Record<string, DeploymentView>> {
  const snap = await ctx.snapshotAt(input.at);
  const m = await requireModel(snap, input.model, true);
  return deploymentsOfVersion(await deploymentsOfModel(snap, m.name), input.version);
}
