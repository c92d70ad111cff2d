/**
 * The registry check over a set of files (pure): every file parses and validates against its
 * schema, and the cross-file invariants hold. Each rule is small and named; problems collect.
 */
import { issue, type Issue } from '../domain/issues.js';
import { validateText, type Validated } from '../domain/validate.js';
import { locate } from '../domain/yaml-file.js';
import { isValidModelName, modelKey } from '../domain/names.js';
import { isValidVersion } from '../domain/versions.js';
import { CONFIG_FILE, resolveConfig, type ModelVersion, type RegisteredModel, type RegistryConfig, type ResolvedConfig } from '../domain/state.js';
import { loadPolicy, isExclusive, type LoadedPolicy } from '../policy/index.js';
import { DEFAULT_POLICY } from './policies.js';

export interface CheckFile {
  path: string;
  text?: string;
  kind: 'file' | 'symlink' | 'other';
  size?: number;
  encodingError?: boolean;
  /** Reads the text when the check reaches the file (so a 100k-file check holds one text at a time). */
  load?: () => { text?: string; size?: number; encodingError?: boolean };
}

/** What the check keeps of a model: its record and each version's stage (not the version records). */
export interface CheckedModel {
  name: string;
  file: string;
  record: RegisteredModel;
  /** version → stage */
  versions: Map<string, string>;
}

export interface CheckedRegistry {
  config: ResolvedConfig;
  models: Map<string, CheckedModel>;
  policies: Map<string, LoadedPolicy>;
  issues: Issue[];
  files: number;
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
    const val = v.value?.[key] ?? (v.parsed.value as Record<string, unknown> | undefined)?.[key];
    if (typeof val === 'string' && !safeDir(val)) {
      issues.push(issue(CONFIG_FILE, 'path-escape', `${key}: '${val}' points outside the repository or into .git; use a folder inside the repository such as 'registry'`, { ...locate(v.parsed, [key]), field: key }));
      return resolveConfig(undefined);
    }
  }
  return resolveConfig(v.value);
}

function fileProblems(f: CheckFile, issues: Issue[]): boolean {
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

export function checkPolicies(files: CheckFile[], cfg: ResolvedConfig, issues: Issue[]): Map<string, LoadedPolicy> {
  const out = new Map<string, LoadedPolicy>();
  for (const f of files.filter((x) => x.path.startsWith(`${cfg.policies}/`))) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    if (fileProblems(f, issues)) continue;
    const { policy, issues: found } = loadPolicy(f.text!, f.path);
    issues.push(...found);
    const name = f.path.slice(cfg.policies.length + 1).replace(/\.ya?ml$/, '');
    if (policy) {
      if (policy.name !== name) issues.push(issue(f.path, 'policy-name', `name '${policy.name}' does not match the file name '${name}'; models name policies by file name`, { field: 'name' }));
      out.set(name, policy);
    }
  }
  if (!out.has('default')) {
    const { policy } = loadPolicy(DEFAULT_POLICY, `${cfg.policies}/default.yaml`);
    if (policy) out.set('default', policy);
  }
  return out;
}

/** Checks every file and invariant; returns the parsed state alongside the issues. */
export function checkFiles(files: CheckFile[]): CheckedRegistry {
  const issues: Issue[] = [];
  const cfg = checkConfig(files, issues);
  const policies = checkPolicies(files, cfg, issues);
  const models = new Map<string, CheckedModel>();
  const byKey = new Map<string, string>();
  const prefix = `${cfg.registry}/`;
  for (const f of files) {
    if (f.kind === 'symlink' && (f.path === cfg.registry || f.path === cfg.policies || cfg.registry.startsWith(`${f.path}/`) || cfg.policies.startsWith(`${f.path}/`))) {
      issues.push(issue(f.path, 'symlink', 'is a symbolic link; registry files must be regular files and folders real folders (modelreg never follows links)'));
    }
  }
  // Sorted, each model.yaml comes before its versions/, so every file is checked in one pass
  // and its text released at once (a 100k-version registry does not hold all texts at once).
  for (const f of files.filter((x) => x.path.startsWith(prefix)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const rel = f.path.slice(prefix.length);
    if (f.kind === 'symlink') {
      issues.push(issue(f.path, 'symlink', 'is a symbolic link; registry files must be regular files and folders real folders (modelreg never follows links)'));
      continue;
    }
    const m = /^(?:(.+)\/)?versions\/([^/]+)\.yaml$/.exec(rel);
    const mm = /^(.+)\/model\.yaml$/.exec(rel);
    if (!m && !mm && /(^|\/)(README\.md|\.gitkeep)$/.test(rel)) continue;
    if (!m && !mm) {
      issues.push(issue(f.path, 'unexpected-file', `is not part of the registry layout (${cfg.registry}/<model>/model.yaml, ${cfg.registry}/<model>/versions/<semver>.yaml)`, { severity: 'warning' }));
      continue;
    }
    const name = (m ? m[1] : mm![1]) ?? '';
    if (!isValidModelName(name)) {
      issues.push(issue(f.path, 'model-name', `folder '${name}' is not a valid model name (letters, digits, '.', '_', '-', optionally namespace/name)`));
      continue;
    }
    const key = modelKey(name);
    const seen = byKey.get(key);
    if (seen && seen !== name) {
      issues.push(issue(f.path, 'case-collision', `model '${name}' differs only by case from '${seen}'; names that differ only by case are the same model`));
      continue;
    }
    byKey.set(key, name);
    if (fileProblems(f, issues)) continue;
    if (mm) {
      const v = validateText<RegisteredModel>('model', f.text!, f.path);
      issues.push(...v.issues);
      if (v.value) {
        if (v.value.name !== name) issues.push(issue(f.path, 'name-mismatch', `name '${v.value.name}' does not match its folder '${name}'`, { ...locate(v.parsed, ['name']), field: 'name' }));
        const existing = models.get(key);
        models.set(key, { name, file: f.path, record: v.value, versions: existing?.versions ?? new Map() });
      }
    } else {
      const file = m![2];
      if (!isValidVersion(file)) {
        issues.push(issue(f.path, 'version-file-name', `'${file}.yaml' is not named by a semantic version (e.g. 1.2.0.yaml)`));
        continue;
      }
      const v = validateText<ModelVersion>('version', f.text!, f.path);
      f.text = undefined;
      issues.push(...v.issues);
      if (v.value) checkVersion(f, name, v);
    }
    f.text = undefined;
  }
  function checkVersion(f: CheckFile, model: string, v: Validated<ModelVersion>): void {
    const rec = v.value!;
    const file = /([^/]+)\.yaml$/.exec(f.path)![1];
    if (rec.version !== file) issues.push(issue(f.path, 'version-mismatch', `version '${rec.version}' does not match the file name '${file}.yaml'`, { ...locate(v.parsed, ['version']), field: 'version' }));
    if (rec.model !== model) issues.push(issue(f.path, 'model-mismatch', `model '${rec.model}' does not match its folder '${model}'`, { ...locate(v.parsed, ['model']), field: 'model' }));
    const ms = models.get(modelKey(model));
    if (!ms) {
      issues.push(issue(f.path, 'missing-model', `${cfg.registry}/${model}/model.yaml is missing; every model folder needs one`));
      return;
    }
    const policy = policies.get(ms.record.policy ?? 'default');
    if (policy && !policy.stages.includes(rec.stage)) {
      issues.push(issue(f.path, 'unknown-stage', `stage '${rec.stage}' is not a stage of policy '${policy.name}' (${policy.stages.join(', ')})`, { ...locate(v.parsed, ['stage']), field: 'stage' }));
    }
    if (ms.record.deletedVersions?.includes(rec.version)) issues.push(issue(f.path, 'version-reused', `version ${rec.version} was deleted and may not be reused`, { field: 'version' }));
    ms.versions.set(rec.version, rec.stage);
  }
  for (const ms of models.values()) {
    const pname = ms.record.policy ?? 'default';
    const policy = policies.get(pname);
    if (!policy) issues.push(issue(ms.file, 'unknown-policy', `policy '${pname}' does not exist (${cfg.policies}/${pname}.yaml)`, { field: 'policy' }));
    for (const [alias, version] of Object.entries(ms.record.aliases ?? {})) {
      if (!ms.versions.has(version)) issues.push(issue(ms.file, 'alias-target', `alias @${alias} points at ${version}, which is not a version of ${ms.name}`, { field: `aliases.${alias}` }));
    }
    if (policy) {
      const holders = new Map<string, string[]>();
      for (const [version, stage] of ms.versions) if (isExclusive(policy, stage)) holders.set(stage, [...(holders.get(stage) ?? []), version]);
      for (const [stage, vs] of holders) {
        if (vs.length > 1) issues.push(issue(ms.file, 'exclusive-stage', `stage ${stage} is exclusive, but ${vs.length} versions of ${ms.name} are in it (${vs.join(', ')}); archive all but one`, { field: 'stage' }));
      }
    }
  }
  return { config: cfg, models, policies, issues, files: files.length };
}
