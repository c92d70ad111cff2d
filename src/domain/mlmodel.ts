/**
 * MLflow's `MLmodel` file (pure): flavors → framework, signature → the version's signature,
 * run_id → lineage, the rest → tags. MLflow writes `signature.inputs`, `outputs` and `params`
 * as JSON strings inside the YAML; column specs are `{type, name?, required?}`, tensor specs
 * `{type: "tensor", "tensor-spec": {dtype, shape}, name?}`, param specs `{name, type, default, shape}`.
 */
import { parse } from 'yaml';
import { RegistryError } from '../errors/index.js';
import type { ModelVersion } from './state.js';

type Signature = NonNullable<ModelVersion['signature']>;
type Column = NonNullable<Signature['inputs']>[number];
type Param = NonNullable<Signature['params']>[number];

export interface MLmodelFacts {
  framework?: { name: string; version?: string };
  signature?: Signature;
  runId?: string;
  /** `runs:/<run_id>/<artifact_path>` when both are known. */
  runUri?: string;
  tags: Record<string, string>;
}

const COLUMN_TYPES = new Set(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime', 'array', 'object', 'map']);
const PARAM_TYPES = new Set(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime']);

function bad(file: string, field: string, what: string): RegistryError {
  return new RegistryError('BAD_INPUT', `${file}: ${field} ${what}. Is this an MLmodel file as MLflow writes it (mlflow.<flavor>.save_model)?`, { file, field });
}

function specList(file: string, field: string, raw: unknown): unknown[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  let v = raw;
  if (typeof raw === 'string') {
    try { v = JSON.parse(raw); } catch { throw bad(file, field, 'is not valid JSON'); }
  }
  if (!Array.isArray(v)) throw bad(file, field, 'is not a list of specs');
  return v;
}

function column(file: string, field: string, s: unknown): Column {
  const o = (s ?? {}) as Record<string, unknown>;
  const name = typeof o.name === 'string' ? { name: o.name } : {};
  const required = typeof o.required === 'boolean' ? { required: o.required } : {};
  if (o.type === 'tensor') {
    const t = (o['tensor-spec'] ?? {}) as { dtype?: unknown; shape?: unknown };
    if (typeof t.dtype !== 'string' || !Array.isArray(t.shape)) throw bad(file, field, 'has a tensor spec without tensor-spec.dtype and shape');
    return { type: 'tensor', ...name, dtype: t.dtype, shape: t.shape as number[] };
  }
  if (typeof o.type !== 'string' || !COLUMN_TYPES.has(o.type)) throw bad(file, field, `has a column of unknown type ${JSON.stringify(o.type)}`);
  return { type: o.type as Column['type'], ...name, ...required };
}

function param(file: string, field: string, s: unknown): Param {
  const o = (s ?? {}) as Record<string, unknown>;
  if (typeof o.name !== 'string' || typeof o.type !== 'string' || !PARAM_TYPES.has(o.type)) throw bad(file, field, 'has a param spec without a name and a known type');
  return { name: o.name, type: o.type as Param['type'], ...('default' in o ? { default: o.default } : {}), ...('shape' in o ? { shape: (o.shape ?? null) as number[] | null } : {}) };
}

function signatureOf(file: string, raw: unknown): Signature | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const inputs = specList(file, 'signature.inputs', r.inputs)?.map((s, i) => column(file, `signature.inputs[${i}]`, s));
  const outputs = specList(file, 'signature.outputs', r.outputs)?.map((s, i) => column(file, `signature.outputs[${i}]`, s));
  const params = specList(file, 'signature.params', r.params)?.map((s, i) => param(file, `signature.params[${i}]`, s));
  const out: Signature = { ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}), ...(params ? { params } : {}) };
  return Object.keys(out).length ? out : undefined;
}

/**
 * The framework: the first flavor other than python_function, its version from its
 * `<flavor>_version` key (sklearn_version, transformers_version, xgb_version, …). A model with
 * only python_function (a custom `mlflow.pyfunc` model) is `python_function` at the MLflow version.
 */
function frameworkOf(flavors: Record<string, unknown>, mlflowVersion: unknown): MLmodelFacts['framework'] {
  const names = Object.keys(flavors);
  const name = names.find((n) => n !== 'python_function') ?? names[0];
  if (!name) return undefined;
  const f = (flavors[name] ?? {}) as Record<string, unknown>;
  const key = name === 'python_function' ? undefined : Object.keys(f).find((k) => k.endsWith('_version') && k !== 'python_version');
  const raw = key !== undefined ? f[key] : name === 'python_function' ? mlflowVersion : undefined;
  const version = raw !== null && raw !== undefined ? String(raw) : undefined;
  return { name, ...(version ? { version } : {}) };
}

/**
 * Reads the facts modelreg records from an MLmodel file's text.
 * @example parseMLmodel('flavors:\n  sklearn: {sklearn_version: 1.5.0}\nrun_id: abc\n', 'model/MLmodel').framework // { name: 'sklearn', version: '1.5.0' }
 */
export function parseMLmodel(text: string, file = 'MLmodel'): MLmodelFacts {
  let doc: unknown;
  try { doc = parse(text); } catch (e) { throw bad(file, '(file)', `is not YAML (${(e as Error).message.split('\n')[0]})`); }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad(file, '(file)', 'is not a mapping');
  const d = doc as Record<string, unknown>;
  if (!d.flavors || typeof d.flavors !== 'object') throw bad(file, 'flavors', 'is missing');
  const tags: Record<string, string> = {};
  for (const k of ['model_uuid', 'utc_time_created', 'model_size_bytes', 'mlflow_version', 'artifact_path']) {
    if (d[k] !== undefined && d[k] !== null) tags[`mlflow.${k}`] = String(d[k]);
  }
  const runId = typeof d.run_id === 'string' && d.run_id ? d.run_id : undefined;
  const path = typeof d.artifact_path === 'string' ? d.artifact_path : undefined;
  const signature = signatureOf(file, d.signature);
  return {
    framework: frameworkOf(d.flavors as Record<string, unknown>, d.mlflow_version),
    ...(signature ? { signature } : {}),
    ...(runId ? { runId } : {}),
    ...(runId && path ? { runUri: `runs:/${runId}/${path}` } : {}),
    tags,
  };
}
