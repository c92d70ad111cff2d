/**
 * The analysis files of a registry check (pure): each file `modelreg watch` records under
 * analysis/<model>/<version>/<time>.yaml validates against its schema and sits at the path its
 * content names. A file that fails gives no `analysis.failed` event (storage/analysis-events.ts),
 * so `check` is where a hand-written or damaged one shows up.
 */
import type { Analysis } from '../domain/schema-types.js';
import { issue, type Issue } from '../domain/issues.js';
import { modelKey } from '../domain/names.js';
import { validateText } from '../domain/validate.js';
import { locate } from '../domain/yaml-file.js';
import { ANALYSIS_DIR } from '../storage/analysis-events.js';
import { fileProblems, type CheckFile } from './check-files.js';
import type { KnownModels } from './check-deployments.js';

/** A file under analysis/, or the folder itself when it is a link (never followed). */
export function isAnalysisPath(path: string): boolean {
  return path === ANALYSIS_DIR || path.startsWith(`${ANALYSIS_DIR}/`);
}

/** One file under analysis/: its schema, and the model and version its path names. */
export function checkAnalysisFile(f: CheckFile, models: KnownModels, issues: Issue[]): void {
  if (f.kind === 'symlink') {
    issues.push(issue(f.path, 'symlink', `is a symbolic link; ${f.path === ANALYSIS_DIR ? 'the analysis folder must be a real folder' : 'analysis files must be regular files'} (modelreg never follows links)`));
    return;
  }
  if (f.path === ANALYSIS_DIR || /(^|\/)(README\.md|\.gitkeep)$/.test(f.path)) return;
  const parts = f.path.slice(ANALYSIS_DIR.length + 1).split('/');
  if (!f.path.endsWith('.yaml') || parts.length < 3 || parts.length > 4) {
    issues.push(issue(f.path, 'unexpected-file', `is not part of the analysis layout (${ANALYSIS_DIR}/<model>/<version>/<time>.yaml, as modelreg watch writes it)`, { severity: 'warning' }));
    return;
  }
  if (fileProblems(f, issues)) return;
  const v = validateText<Analysis>('analysis', f.text!, f.path);
  f.text = undefined;
  issues.push(...v.issues);
  const a = v.value;
  if (!a) return;
  const model = parts.slice(0, -2).join('/');
  const version = parts[parts.length - 2];
  if (modelKey(a.model) !== modelKey(model)) issues.push(issue(f.path, 'analysis-path', `model '${a.model}' does not match its folder '${model}'; the file belongs in ${ANALYSIS_DIR}/${a.model}/${a.version}/`, { ...locate(v.parsed, ['model']), field: 'model' }));
  else if (a.version !== version) issues.push(issue(f.path, 'analysis-path', `version '${a.version}' does not match its folder '${version}'; the file belongs in ${ANALYSIS_DIR}/${a.model}/${a.version}/`, { ...locate(v.parsed, ['version']), field: 'version' }));
  // An analysis is history: a model deleted or renamed since keeps its analyses, so this only warns.
  if (!models.get(modelKey(a.model))) issues.push(issue(f.path, 'analysis-model', `model '${a.model}' is not in the registry (deleted or renamed since this analysis?)`, { ...locate(v.parsed, ['model']), field: 'model', severity: 'warning' }));
}
