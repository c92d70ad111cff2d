/**
 * The files of a registry check: what a file must be to be read at all (a regular UTF-8 file
 * of at most 1 MiB, not a link), modelreg.yaml, and the policies. Pure; problems collect.
 */
import { issue, type Issue } from '../domain/issues.js';
import { validateText } from '../domain/validate.js';
import { locate } from '../domain/yaml-file.js';
import { CONFIG_FILE, resolveConfig, type RegistryConfig, type ResolvedConfig } from '../domain/state.js';
import { loadPolicy, type LoadedPolicy } from '../policy/index.js';
import type { SourceFile } from '../storage/files.js';
import { DEFAULT_POLICY, type PolicyLoader } from './policies.js';

/** A file as the check reads it (text loaded when the check reaches it). */
export type CheckFile = SourceFile;

/**
 * The version files of one model folder that a `check --base` change left as they were at base,
 * which are not read (base passed its own check): their names and stages (from the stage cache),
 * for the cross-file rules.
 */
export interface UnchangedVersions {
  /** The model folder's name under the registry folder. */
  model: string;
  /** version (the file's name without `.yaml`) → stage */
  stages: Map<string, string>;
  /**
   * modelreg.yaml, the policies, the schemas and the model's model.yaml are as they were at base:
   * each per-file rule gives the result it gave at base, so only the names and stages are taken
   * (ops/check.ts, `settledVersions`, says why rule by rule).
   */
  settled?: boolean;
}

const MAX_BYTES = 1024 * 1024;

function safeDir(p: string): boolean {
  return !p.split('/').some((s) => s === '..' || s === '.' || s === '') && !p.startsWith('/') && !p.includes('\\') && p !== '.git' && !p.startsWith('.git/');
}

export function checkConfig(files: CheckFile[], issues: Issue[]): ResolvedConfig {
  const f = files.find((x) => x.path === CONFIG_FILE);
  if (!f) return resolveConfig(undefined);
  if (fileProblems(f, issues)) return resolveConfig(undefined);
  const v = validateText<RegistryConfig>('config', f.text ?? '', CONFIG_FILE);
  issues.push(...v.issues);
  for (const key of ['registry', 'policies', 'schemas'] as const) {
    // A file that validated needs no second parse: `parsed` would load the general YAML parser
    // (about 7 ms of a `check --base`) to find a key the file does not have.
    const val = v.value ? v.value[key] : (v.parsed.value as Record<string, unknown> | undefined)?.[key];
    if (typeof val === 'string' && !safeDir(val)) {
      issues.push(issue(CONFIG_FILE, 'path-escape', `${key}: '${val}' points outside the repository or into .git; use a folder inside the repository such as 'registry'`, { ...locate(v.parsed, [key]), field: key }));
      return resolveConfig(undefined);
    }
  }
  return resolveConfig(v.value);
}

/** A file that is not a small, regular UTF-8 file: reported, and true (the file is not read further). */
export function fileProblems(f: CheckFile, issues: Issue[]): boolean {
  if (f.load && f.text === undefined && f.kind === 'file') Object.assign(f, f.load());
  f.load = undefined;
  if (f.kind === 'symlink') {
    issues.push(issue(f.path, 'symlink', 'is a symbolic link; registry files must be regular files (modelreg never follows links)'));
    return true;
  }
  if (f.kind !== 'file' || f.text === undefined) {
    issues.push(issue(f.path, 'not-a-file', 'is not a regular file'));
    return true;
  }
  if (f.encodingError) {
    issues.push(issue(f.path, 'encoding', 'is not valid UTF-8; registry files must be UTF-8 text'));
    return true;
  }
  if ((f.size ?? f.text.length) > MAX_BYTES) {
    issues.push(issue(f.path, 'file-too-large', `is ${f.size} bytes; registry files may be at most ${MAX_BYTES} bytes`));
    return true;
  }
  return false;
}

/** The policies under `cfg.policies`, each loaded by `load` (its text by default; `check --base`: ops/policies.ts policyLoaderAt). */
export async function checkPolicies(files: CheckFile[], cfg: ResolvedConfig, issues: Issue[], load: PolicyLoader = loadPolicy): Promise<Map<string, LoadedPolicy>> {
  const out = new Map<string, LoadedPolicy>();
  for (const f of files.filter((x) => x.path.startsWith(`${cfg.policies}/`))) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    if (fileProblems(f, issues)) continue;
    const { policy, issues: found } = await load(f.text!, f.path);
    issues.push(...found);
    const name = f.path.slice(cfg.policies.length + 1).replace(/\.ya?ml$/, '');
    if (policy) {
      if (policy.name !== name) issues.push(issue(f.path, 'policy-name', `name '${policy.name}' does not match the file name '${name}'; models name policies by file name`, { field: 'name' }));
      out.set(name, policy);
    }
  }
  if (!out.has('default')) {
    const { policy } = await loadPolicy(DEFAULT_POLICY, `${cfg.policies}/default.yaml`);
    if (policy) out.set('default', policy);
  }
  return out;
}

