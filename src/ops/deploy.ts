/**
 * `deploy record`: which version serves in which environment, written by the deployment job
 * that did it. One file per environment and model (domain/deployments.ts), one commit through
 * the write path every change takes; the commit is the `deployment.recorded` event. The read
 * side is ops/deployments.ts, kept apart so `show` does not load the write path.
 */
import {
  deploymentFile, deploymentSchemaRef, orderedDeployment, parseDeployUrl, parseEnv, parseStatus,
  type Deployment, type DeploymentView, type DeployStatus,
} from '../domain/deployments.js';
import { parseModelName } from '../domain/names.js';
import { renderYaml } from '../domain/render.js';
import { parseVersion } from '../domain/versions.js';
import { deploymentsOfModel } from '../storage/deployments.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { Context } from './context.js';
import { requireModel, requireVersion } from './errors.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';

export type { Deployment, DeploymentView, DeployStatus };

export interface DeployRecordInput extends WriteOptions {
  model: string;
  version: string;
  /** The environment: lower-case letters, digits, '_' and '-' (staging, production, eu-west). */
  env: string;
  /** Where it serves (http or https); the url recorded before for this environment when absent. */
  url?: string;
  /** How it went; `succeeded` when absent. */
  status?: DeployStatus;
}

export interface DeployRecordResult {
  model: string;
  version: string;
  env: string;
  status: DeployStatus;
  url?: string;
  /** The file written, relative to the repository root. */
  file: string;
  /** What the environment held before, when anything. */
  previous?: DeploymentView;
}

/** The environment's current record, or undefined; a file that does not parse is replaced, not read. */
async function currentRecord(snap: Snapshot, file: string): Promise<Deployment | undefined> {
  try {
    return (await snap.record<Deployment>('deployment', file))?.value;
  } catch {
    return undefined;
  }
}

/**
 * Records that `version` of `model` now serves in `env` (or failed to, or was rolled back):
 * `deployments/<env>/<model>.yaml`, one commit, event `deployment.recorded`. An unknown model or
 * version is NOT_FOUND; a bad environment name, status or url is BAD_INPUT; nothing is written then.
 * @example await recordDeployment(ctx, { model: 'churn', version: '2.1.0', env: 'staging', url: 'https://churn.staging.example.com' })
 */
export async function recordDeployment(ctx: Context, input: DeployRecordInput): Promise<DeployRecordResult & WriteOutcome> {
  parseModelName(input.model);
  parseVersion(input.version);
  const env = parseEnv(input.env);
  const status = parseStatus(input.status ?? 'succeeded');
  if (input.url !== undefined) parseDeployUrl(input.url);
  const id = await ctx.identity();
  return runWrite(ctx, input, async (snap) => {
    const m = await requireModel(snap, input.model, true);
    const version = requireVersion(m, input.version).record.version;
    const cfg = await snap.config();
    const file = deploymentFile(env, m.name);
    const before = await currentRecord(snap, file);
    const url = input.url ?? before?.url;
    const record = orderedDeployment({ model: m.name, env, version, status, ...(url ? { url } : {}), at: ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z'), by: id.email });
    const previous = before ? { version: before.version, status: before.status, ...(before.url ? { url: before.url } : {}), at: before.at, by: before.by } : undefined;
    return {
      changes: [{ path: file, content: renderYaml(record, deploymentSchemaRef(cfg, file)) }],
      message: {
        subject: `deploy ${m.name} ${version} to ${env}: ${status}${previous && previous.version !== version ? ` (was ${previous.version})` : ''}`,
        trailers: [['Modelreg-Action', 'deploy'], ['Modelreg-Model', m.name], ['Modelreg-Version', version], ['Modelreg-Env', env], ['Modelreg-Status', status]],
      },
      result: { model: m.name, version, env, status, ...(url ? { url } : {}), file, ...(previous ? { previous } : {}) },
      branchName: `modelreg/deploy-${m.name.replace('/', '-')}-${version}-${env}`,
    };
  });
}
