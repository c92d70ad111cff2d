/**
 * Deployments: which version of a model serves in which environment. One file per environment
 * and model, `deployments/<env>/<model>.yaml`, holding the current deployment; its Git history
 * is the deployment history. Pure: the grammar of environment names, statuses and urls, where a
 * file lives, how it is written, and what a change of one means (an event).
 */
import { posix } from 'node:path';
import { RegistryError } from '../errors/index.js';
import type { Deployment } from './schema-types.js';
import type { RegistryEvent } from './events.js';
import { clip } from './names.js';
import type { ResolvedConfig } from './state.js';

export type { Deployment };

/** The folder at the repository root that holds the deployment files. */
export const DEPLOYMENTS_DIR = 'deployments';

export const DEPLOY_STATUSES = ['succeeded', 'failed', 'rolled-back'] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

/** Lower-case, as alias names: one spelling on every file system, and `deployments.staging` in a guard. */
const ENV = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Validates an environment name.
 * @example parseEnv('staging') // 'staging'
 * @example parseEnv('Prod') // throws BAD_INPUT
 */
export function parseEnv(input: string): string {
  if (typeof input !== 'string' || !ENV.test(input)) {
    throw new RegistryError('BAD_INPUT', `Invalid environment ${JSON.stringify(clip(String(input)))}: use lower-case letters, digits, '_' and '-', starting with a letter, at most 64 characters (e.g. staging, production, eu-west).`, { field: 'env', value: clip(String(input)) });
  }
  return input;
}

/**
 * Validates a deployment status.
 * @example parseStatus('rolled-back') // 'rolled-back'
 */
export function parseStatus(input: string): DeployStatus {
  if (!(DEPLOY_STATUSES as readonly string[]).includes(input)) {
    throw new RegistryError('BAD_INPUT', `Invalid --status ${JSON.stringify(clip(String(input)))}: use one of ${DEPLOY_STATUSES.join(', ')}.`, { field: 'status', value: clip(String(input)) });
  }
  return input as DeployStatus;
}

/**
 * Validates a deployment url: http or https, no credentials, no white space.
 * @example parseDeployUrl('https://churn.staging.example.com') // 'https://churn.staging.example.com'
 */
export function parseDeployUrl(input: string): string {
  const bad = (why: string): never => {
    throw new RegistryError('BAD_INPUT', `Invalid --url ${JSON.stringify(clip(String(input), 120))}: ${why}. Give the http(s) address where the deployment serves, e.g. https://churn.staging.example.com.`, { field: 'url', value: clip(String(input), 120) });
  };
  if (typeof input !== 'string' || input.length > 2048) return bad('it is longer than 2048 characters');
  if (/\s/.test(input)) return bad('it contains white space');
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    return bad('it is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad(`${u.protocol.replace(/:$/, '')} is not http or https`);
  if (u.username || u.password) return bad('it holds credentials; they would be committed to the repository');
  if (!/^https?:\/\/[^\s]+$/.test(input)) return bad('it is not a URL');
  return input;
}

/** The file of a model's deployment in an environment. */
export function deploymentFile(env: string, model: string): string {
  return `${DEPLOYMENTS_DIR}/${env}/${model}.yaml`;
}

/** The environment and model a path under deployments/ names, or undefined when it is not a deployment file's path. */
export function placeOfDeployment(path: string): { env: string; model: string } | undefined {
  const m = /^deployments\/([^/]+)\/(.+)\.yaml$/.exec(path);
  return m ? { env: m[1], model: m[2] } : undefined;
}

const ORDER = ['model', 'env', 'version', 'status', 'url', 'at', 'by'] as const;

/** The record in the order the tool writes it. */
export function orderedDeployment(d: Deployment): Deployment {
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (d[k] !== undefined) out[k] = d[k];
  return out as unknown as Deployment;
}

/** The `$schema` path from a deployment file to the registry's schema folder. */
export function deploymentSchemaRef(cfg: ResolvedConfig, file: string): string {
  return posix.relative(posix.dirname(file), `${cfg.schemas}/deployment.schema.json`);
}

/** What a guard and a reader see of one environment's deployment of a version. */
export interface DeploymentView {
  version: string;
  status: DeployStatus;
  url?: string;
  at: string;
  by: string;
}

export function viewOf(d: Deployment): DeploymentView {
  return { version: d.version, status: d.status, ...(d.url ? { url: d.url } : {}), at: d.at, by: d.by };
}

/**
 * The environments where `version` is the deployed one, env → deployment (what a guard's
 * `deployments` holds: `deployments.staging.status == "succeeded"`).
 * @example deploymentsOfVersion(all, '2.1.0') // { staging: { version: '2.1.0', status: 'succeeded', ... } }
 */
export function deploymentsOfVersion(all: readonly Deployment[], version: string): Record<string, DeploymentView> {
  const out: Record<string, DeploymentView> = {};
  for (const d of [...all].sort((a, b) => (a.env < b.env ? -1 : 1))) if (d.version === version) out[d.env] = viewOf(d);
  return out;
}

/** env → deployment of every environment, sorted by env (what `show` and `list --json` report). */
export function byEnv(all: readonly Deployment[]): Record<string, DeploymentView> {
  const out: Record<string, DeploymentView> = {};
  for (const d of [...all].sort((a, b) => (a.env < b.env ? -1 : 1))) out[d.env] = viewOf(d);
  return out;
}

/**
 * The event of one deployment file changing between two commits: a recording (the file is
 * new or holds anything new, even the same version again), or a removal.
 */
export function deploymentEvent(before: Deployment | undefined, after: Deployment | undefined): RegistryEvent | undefined {
  if (after) {
    return {
      type: 'deployment', model: after.model, env: after.env, version: after.version, status: after.status,
      ...(after.url ? { url: after.url } : {}), ...(before && before.version !== after.version ? { previous: before.version } : {}),
    };
  }
  if (before) return { type: 'deployment-removed', model: before.model, env: before.env, version: before.version };
  return undefined;
}
