/** The registry's state as plain data: what a snapshot at a commit reads, what a diff compares. */
import type { ModelVersion, RegisteredModel, RegistryConfig } from './schema-types.js';

export type { ModelVersion, RegisteredModel, RegistryConfig, Policy } from './schema-types.js';

export interface VersionState {
  record: ModelVersion;
  /** Path of the file, relative to the repository root. */
  file: string;
  /** Blob id of the file at the snapshot's commit. */
  blob?: string;
}

export interface ModelState {
  /** The model's name as its folder spells it. */
  name: string;
  /** Folder of the model, relative to the repository root. */
  dir: string;
  file: string;
  record: RegisteredModel;
  blob?: string;
  versions: Map<string, VersionState>;
}

export interface ResolvedConfig {
  registry: string;
  policies: string;
  schemas: string;
  branch?: string;
  remote: string;
  firstVersion: string;
}

export const CONFIG_FILE = 'modelreg.yaml';

export function resolveConfig(c: RegistryConfig | undefined): ResolvedConfig {
  return {
    registry: c?.registry ?? 'registry',
    policies: c?.policies ?? 'policies',
    schemas: c?.schemas ?? '.modelreg/schemas',
    ...(c?.branch ? { branch: c.branch } : {}),
    remote: c?.remote ?? 'origin',
    firstVersion: c?.firstVersion ?? '1.0.0',
  };
}

/** A repository-relative folder that cannot escape the repository or reach into .git. */
export function isInsideRepo(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.includes('\\') && !p.includes('\0') && !p.split('/').some((s) => s === '..' || s === '.' || s === '') && p !== '.git' && !p.startsWith('.git/');
}

export function modelFile(cfg: ResolvedConfig, name: string): string {
  return `${cfg.registry}/${name}/model.yaml`;
}
export function versionFile(cfg: ResolvedConfig, name: string, version: string): string {
  return `${cfg.registry}/${name}/versions/${version}.yaml`;
}
export function policyFile(cfg: ResolvedConfig, name: string): string {
  return `${cfg.policies}/${name}.yaml`;
}
