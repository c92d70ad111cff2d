/**
 * The registry check over a set of files (pure): every file parses and validates against its
 * schema, and the cross-file invariants hold. Each rule is small and named; problems collect.
 * What a file must be to be read at all, modelreg.yaml and the policies are check-files.ts.
 */
import { issue, type Issue } from '../domain/issues.js';
import { validateText, type Validated } from '../domain/validate.js';
import { locate } from '../domain/yaml-file.js';
import { isValidModelName, modelKey } from '../domain/names.js';
import { isValidVersion } from '../domain/versions.js';
import type { ModelVersion, RegisteredModel, ResolvedConfig } from '../domain/state.js';
import type { PolicyLoader } from './policies.js';
import { isExclusive, type LoadedPolicy } from '../policy/index.js';
import { checkConfig, checkPolicies, fileProblems, type CheckFile, type UnchangedVersions } from './check-files.js';
import { checkDeploymentFile, isDeploymentPath } from './check-deployments.js';
import { checkAnalysisFile, isAnalysisPath } from './check-analysis.js';

export { checkConfig, checkPolicies, type CheckFile, type UnchangedVersions };

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

/** The check in progress: the registry so far, and the spelling of each model name seen (by key). */
interface Walk extends CheckedRegistry {
  spelled: Map<string, string>;
  /** model key → integer number → the version file that holds it */
  numbers: Map<string, Map<number, string>>;
}

const LINK = 'is a symbolic link; registry files must be regular files and folders real folders (modelreg never follows links)';

/** The registry or policies folder (or a folder above them) may not be a link. */
function rootsAreFolders(w: Walk, files: CheckFile[]): void {
  const { registry, policies } = w.config;
  for (const f of files) {
    if (f.kind === 'symlink' && (f.path === registry || f.path === policies || registry.startsWith(`${f.path}/`) || policies.startsWith(`${f.path}/`))) w.issues.push(issue(f.path, 'symlink', LINK));
  }
}

/** Where a file sits in the layout: a model's model.yaml, a version file, a file to skip, or undefined (not part of it). */
function placeOf(rel: string): { model: string; version?: string } | 'skip' | undefined {
  const v = /^(?:(.+)\/)?versions\/([^/]+)\.yaml$/.exec(rel);
  if (v) return { model: v[1] ?? '', version: v[2] };
  const m = /^(.+)\/model\.yaml$/.exec(rel);
  if (m) return { model: m[1] };
  return /(^|\/)(README\.md|\.gitkeep)$/.test(rel) ? 'skip' : undefined;
}

/** A valid model name, spelled the same way everywhere (names that differ only by case are one model). */
function nameIsSound(w: Walk, f: CheckFile, name: string): boolean {
  if (!isValidModelName(name)) {
    w.issues.push(issue(f.path, 'model-name', `folder '${name}' is not a valid model name (letters, digits, '.', '_', '-', optionally namespace/name)`));
    return false;
  }
  const seen = w.spelled.get(modelKey(name));
  if (seen && seen !== name) {
    w.issues.push(issue(f.path, 'case-collision', `model '${name}' differs only by case from '${seen}'; names that differ only by case are the same model`));
    return false;
  }
  w.spelled.set(modelKey(name), name);
  return true;
}

function checkModelFile(w: Walk, f: CheckFile, name: string): void {
  const v = validateText<RegisteredModel>('model', f.text!, f.path);
  w.issues.push(...v.issues);
  if (!v.value) return;
  if (v.value.name !== name) w.issues.push(issue(f.path, 'name-mismatch', `name '${v.value.name}' does not match its folder '${name}'`, { ...locate(v.parsed, ['name']), field: 'name' }));
  w.models.set(modelKey(name), { name, file: f.path, record: v.value, versions: w.models.get(modelKey(name))?.versions ?? new Map() });
}

/** A version file: named by its version, of its folder's model, in a stage of the model's policy, its number not deleted. */
function checkVersionFile(w: Walk, f: CheckFile, model: string, fileVersion: string): void {
  if (!isValidVersion(fileVersion)) {
    w.issues.push(issue(f.path, 'version-file-name', `'${fileVersion}.yaml' is not named by a semantic version (e.g. 1.2.0.yaml)`));
    return;
  }
  const v = validateText<ModelVersion>('version', f.text!, f.path);
  f.text = undefined;
  w.issues.push(...v.issues);
  if (!v.value) return;
  versionFits(w, f, model, fileVersion, v.value, (field) => locate(v.parsed, [field]));
  if (v.value.number !== undefined && w.models.has(modelKey(model))) numberIsUnique(w, f, model, v.value, v);
}

type Where = (field: string) => { line?: number; column?: number };

function versionFits(w: Walk, f: Pick<CheckFile, 'path'>, model: string, fileVersion: string, rec: Pick<ModelVersion, 'version' | 'model' | 'stage'>, at: Where): void {
  if (rec.version !== fileVersion) w.issues.push(issue(f.path, 'version-mismatch', `version '${rec.version}' does not match the file name '${fileVersion}.yaml'`, { ...at('version'), field: 'version' }));
  if (rec.model !== model) w.issues.push(issue(f.path, 'model-mismatch', `model '${rec.model}' does not match its folder '${model}'`, { ...at('model'), field: 'model' }));
  const ms = w.models.get(modelKey(model));
  if (!ms) {
    w.issues.push(issue(f.path, 'missing-model', `${w.config.registry}/${model}/model.yaml is missing; every model folder needs one`));
    return;
  }
  const policy = w.policies.get(ms.record.policy ?? 'default');
  if (policy && !policy.stages.includes(rec.stage)) {
    w.issues.push(issue(f.path, 'unknown-stage', `stage '${rec.stage}' is not a stage of policy '${policy.name}' (${policy.stages.join(', ')})`, { ...at('stage'), field: 'stage' }));
  }
  if (ms.record.deletedVersions?.includes(rec.version)) w.issues.push(issue(f.path, 'version-reused', `version ${rec.version} was deleted and may not be reused`, { field: 'version' }));
  ms.versions.set(rec.version, rec.stage);
}

/** Two versions of one model with the same integer number: MLflow clients would see one version for both. */
function numberIsUnique(w: Walk, f: CheckFile, model: string, rec: ModelVersion, v: Validated<ModelVersion>): void {
  const taken = w.numbers.get(modelKey(model)) ?? new Map<number, string>();
  w.numbers.set(modelKey(model), taken);
  const other = taken.get(rec.number!);
  if (other === undefined) {
    taken.set(rec.number!, f.path);
    return;
  }
  w.issues.push(issue(f.path, 'number-duplicate', `number ${rec.number} of ${model} ${rec.version} is also the number of ${other}; each version of a model has its own number (models:/${model}/${rec.number} must name one version): remove the number line from the version registered later and run modelreg renumber, which gives it the next free one`, { ...locate(v.parsed, ['number']), field: 'number' }));
}

/** One file under the registry folder, read and released. */
function checkRegistryFile(w: Walk, f: CheckFile): void {
  const rel = f.path.slice(w.config.registry.length + 1);
  if (f.kind === 'symlink') {
    w.issues.push(issue(f.path, 'symlink', LINK));
    return;
  }
  const place = placeOf(rel);
  if (place === 'skip') return;
  if (!place) {
    w.issues.push(issue(f.path, 'unexpected-file', `is not part of the registry layout (${w.config.registry}/<model>/model.yaml, ${w.config.registry}/<model>/versions/<semver>.yaml)`, { severity: 'warning' }));
    return;
  }
  if (!nameIsSound(w, f, place.model) || fileProblems(f, w.issues)) return;
  if (place.version === undefined) checkModelFile(w, f, place.model);
  else checkVersionFile(w, f, place.model, place.version);
  f.text = undefined;
}

type ModelRule = (w: Walk, m: CheckedModel, policy: LoadedPolicy | undefined) => void;

const policyExists: ModelRule = (w, m, policy) => {
  const name = m.record.policy ?? 'default';
  if (!policy) w.issues.push(issue(m.file, 'unknown-policy', `policy '${name}' does not exist (${w.config.policies}/${name}.yaml)`, { field: 'policy' }));
};

const aliasesPointAtVersions: ModelRule = (w, m) => {
  for (const [alias, version] of Object.entries(m.record.aliases ?? {})) {
    if (!m.versions.has(version)) w.issues.push(issue(m.file, 'alias-target', `alias @${alias} points at ${version}, which is not a version of ${m.name}`, { field: `aliases.${alias}` }));
  }
};

const exclusiveStagesHeldOnce: ModelRule = (w, m, policy) => {
  if (!policy) return;
  const exclusive = new Set(policy.doc.stages.filter((s) => isExclusive(policy, s.name)).map((s) => s.name));
  if (!exclusive.size) return;
  const holders = new Map<string, string[]>();
  // One pass over a model's versions (10,000 in a big one, most of them from the stage cache).
  for (const [version, stage] of m.versions) {
    if (!exclusive.has(stage)) continue;
    const vs = holders.get(stage);
    if (vs) vs.push(version); else holders.set(stage, [version]);
  }
  for (const [stage, vs] of holders) {
    vs.sort((a, b) => (`${a}.yaml` < `${b}.yaml` ? -1 : 1)); // in the order of their files
    if (vs.length > 1) w.issues.push(issue(m.file, 'exclusive-stage', `stage ${stage} is exclusive, but ${vs.length} versions of ${m.name} are in it (${vs.join(', ')}); archive all but one`, { field: 'stage' }));
  }
};

/** The cross-file rules, run on each model once every file is read. */
const MODEL_RULES: ModelRule[] = [policyExists, aliasesPointAtVersions, exclusiveStagesHeldOnce];

/**
 * Version files not read (unchanged since base): what the cross-file rules need of them — a
 * model file, a stage of its policy, a number not deleted — from their names and stages.
 * Returns how many files they are.
 */
function unchangedFits(w: Walk, u: UnchangedVersions): number {
  const dir = `${w.config.registry}/${u.model}/versions/`;
  if (!isValidModelName(u.model)) return u.stages.size; // reported for the folder's other files
  const ms = w.models.get(modelKey(u.model));
  if (u.settled && ms) {
    // Settled: unknown-stage, version-reused and the name rules gave at base what they would give
    // now (same file, same policies, same model.yaml); the model file is there, so no missing-model.
    // The unchanged versions are most of a big model: the few read from files join their map
    // (no version is in both: settledVersions leaves the changed files out).
    const unchanged = u.stages.size;
    if (ms.versions.size <= unchanged) {
      for (const [version, stage] of ms.versions) u.stages.set(version, stage);
      ms.versions = u.stages;
    } else {
      for (const [version, stage] of u.stages) ms.versions.set(version, stage);
    }
    return unchanged;
  }
  for (const [version, stage] of u.stages) versionFits(w, { path: `${dir}${version}.yaml` }, u.model, version, { version, model: u.model, stage }, () => ({}));
  return u.stages.size;
}

/** Checks every file and invariant; returns the parsed state alongside the issues. */
export async function checkFiles(files: CheckFile[], unchanged: UnchangedVersions[] = [], loadPolicy?: PolicyLoader): Promise<CheckedRegistry> {
  const issues: Issue[] = [];
  const config = checkConfig(files, issues);
  const w: Walk = { config, policies: await checkPolicies(files, config, issues, loadPolicy), models: new Map(), issues, files: files.length, spelled: new Map(), numbers: new Map() };
  rootsAreFolders(w, files);
  // Sorted, each model.yaml comes before its versions/, so every file is checked in one pass
  // and its text released at once (a 100k-version registry does not hold all texts at once).
  const prefix = `${config.registry}/`;
  for (const f of files.filter((x) => x.path.startsWith(prefix)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) checkRegistryFile(w, f);
  let count = files.length;
  for (const u of unchanged) count += unchangedFits(w, u);
  for (const m of w.models.values()) for (const rule of MODEL_RULES) rule(w, m, w.policies.get(m.record.policy ?? 'default'));
  // Deployment files name models and versions: checked once the registry's files are read.
  for (const f of files.filter((x) => isDeploymentPath(x.path))) checkDeploymentFile(f, w.models, issues);
  for (const f of files.filter((x) => isAnalysisPath(x.path))) checkAnalysisFile(f, w.models, issues);
  return { config, models: w.models, policies: w.policies, issues, files: count };
}
