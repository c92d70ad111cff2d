/**
 * The deployment files of a registry check (pure): each validates against its schema, sits at
 * the path its content names (`deployments/<env>/<model>.yaml`), and names a model and version
 * of the registry. Run after the registry's files, whose models it checks against.
 */
import { DEPLOYMENTS_DIR, placeOfDeployment, type Deployment } from '../domain/deployments.js';
import { issue, type Issue } from '../domain/issues.js';
import { modelKey } from '../domain/names.js';
import { validateText } from '../domain/validate.js';
import { locate } from '../domain/yaml-file.js';
import { fileProblems, type CheckFile } from './check-files.js';

/** What the deployment rules need of the registry: each model's versions and deleted versions, by model key. */
export interface KnownModels {
  get(key: string): { name: string; versions: Map<string, string>; record: { deletedVersions?: string[] } } | undefined;
}

/** A file under deployments/, or the folder itself when it is a link (never followed). */
export function isDeploymentPath(path: string): boolean {
  return path === DEPLOYMENTS_DIR || path.startsWith(`${DEPLOYMENTS_DIR}/`);
}

/** One file under deployments/: its schema, its path, its model and version. */
export function checkDeploymentFile(f: CheckFile, models: KnownModels, issues: Issue[]): void {
  if (f.path === DEPLOYMENTS_DIR) {
    if (f.kind === 'symlink') issues.push(issue(f.path, 'symlink', 'is a symbolic link; the deployments folder must be a real folder (modelreg never follows links)'));
    return;
  }
  if (/(^|\/)(README\.md|\.gitkeep)$/.test(f.path)) return;
  const place = placeOfDeployment(f.path);
  if (!place || place.model.split('/').length > 2) {
    issues.push(issue(f.path, 'unexpected-file', `is not part of the deployments layout (${DEPLOYMENTS_DIR}/<env>/<model>.yaml)`, { severity: 'warning' }));
    return;
  }
  if (f.kind === 'symlink' || fileProblems(f, issues)) {
    if (f.kind === 'symlink') issues.push(issue(f.path, 'symlink', 'is a symbolic link; registry files must be regular files (modelreg never follows links)'));
    return;
  }
  const v = validateText<Deployment>('deployment', f.text!, f.path);
  f.text = undefined;
  issues.push(...v.issues);
  const d = v.value;
  if (!d) return;
  if (d.env !== place.env) issues.push(issue(f.path, 'deployment-path', `env '${d.env}' does not match its folder '${place.env}'; the file belongs in ${DEPLOYMENTS_DIR}/${d.env}/`, { ...locate(v.parsed, ['env']), field: 'env' }));
  if (modelKey(d.model) !== modelKey(place.model)) issues.push(issue(f.path, 'deployment-path', `model '${d.model}' does not match the file name '${place.model}.yaml'`, { ...locate(v.parsed, ['model']), field: 'model' }));
  const m = models.get(modelKey(d.model));
  if (!m) {
    issues.push(issue(f.path, 'deployment-model', `model '${d.model}' is not in the registry; record deployments of registered models (modelreg deploy record)`, { ...locate(v.parsed, ['model']), field: 'model' }));
    return;
  }
  if (m.versions.has(d.version)) return;
  const deleted = m.record.deletedVersions?.includes(d.version);
  issues.push(issue(f.path, 'deployment-version', deleted
    ? `${m.name} ${d.version} was deleted but is still recorded as deployed in ${d.env}; record what serves there now (modelreg deploy record)`
    : `${m.name} has no version ${d.version}`, { ...locate(v.parsed, ['version']), field: 'version', severity: deleted ? 'warning' : 'error' }));
}
