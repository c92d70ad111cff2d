/**
 * `import mlmodel`: MLmodel files as MLflow 2.x writes them (mlflow.sklearn.save_model,
 * mlflow.pyfunc.save_model with a python_model, mlflow.transformers.save_model) become
 * registrations; the folder digest matches the documented scheme computed by coreutils.
 */
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseMLmodel } from '../../src/domain/mlmodel.js';
import { RegistryError } from '../../src/errors/index.js';
import { ROOT, runCli, tempDir, writeTree } from '../helpers/repo.js';
import { prodRegistry } from './fixtures.js';

const SKLEARN = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.2
mlflow_version: 2.9.2
model_size_bytes: 1811
model_uuid: 5b8b5e8a9c0f4a4c8e2f1d3b7a6c9e01
run_id: 3f9d2c1b0a8e4f6d9c7b5a3e1f0d2c4b
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name":
    "petal length (cm)", "required": true}, {"type": "double", "name": "petal width (cm)",
    "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-01-15 10:21:33.412856'
`;

const PYFUNC = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 3.0.0
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
mlflow_version: 2.10.0
model_size_bytes: 2392
model_uuid: 0cf510c002824837a1a4320dc9ed82e6
run_id: 81daa482a59b4aa08c9fcae82f37a1c4
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28,
    28]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 10]}}]'
  params: '[{"name": "threshold", "type": "double", "default": 0.5, "shape": null}]'
utc_time_created: '2024-02-01 08:00:00.000000'
`;

const TRANSFORMERS = `artifact_path: text_generator
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.transformers
    python_version: 3.10.12
  transformers:
    code: null
    components:
    - tokenizer
    framework: pt
    instance_type: TextGenerationPipeline
    model_binary: model
    pipeline_model_type: GPT2LMHeadModel
    source_model_name: gpt2
    task: text-generation
    tokenizer_type: GPT2TokenizerFast
    torch_dtype: torch.float32
    transformers_version: 4.41.2
mlflow_version: 2.14.3
model_size_bytes: 510396521
model_uuid: 4d6b931052284ea1813681c1a175a821
run_id: 7ddf8da935fb4d789eee87a92c45ae1e
signature:
  inputs: '[{"type": "string", "required": true}]'
  outputs: '[{"type": "string", "required": true}]'
  params: '[{"name": "max_new_tokens", "type": "long", "default": 100, "shape": null},
    {"name": "temperature", "type": "float", "default": 0.7, "shape": null}, {"name":
    "suppress_tokens", "type": "long", "default": [101, 102], "shape": [-1]}]'
utc_time_created: '2024-07-31 06:30:13.532114'
`;

/** A model folder as mlflow.<flavor>.save_model leaves it. */
async function modelFolder(mlmodel: string, files: Record<string, string>): Promise<string> {
  const dir = join(await tempDir('mr-mlmodel-'), 'model');
  await writeTree(dir, { MLmodel: mlmodel, 'conda.yaml': 'name: mlflow-env\ndependencies:\n  - python=3.10.12\n', 'python_env.yaml': 'python: 3.10.12\n', 'requirements.txt': 'mlflow==2.9.2\n', ...files });
  return dir;
}

/** The command docs/import.md gives for the folder digest (its example runs here, in the folder's parent). */
const DOC_COMMAND = /### The folder digest[\s\S]*?```sh\n([^`]*)```/.exec(readFileSync(join(ROOT, 'docs', 'import.md'), 'utf8'))![1].trim();

/** The documented digest, computed by coreutils with the documented command. */
function oracleDigest(dir: string): string {
  expect(DOC_COMMAND.startsWith('cd model && ')).toBe(true);
  const out = execFileSync('sh', ['-c', DOC_COMMAND], { cwd: dirname(dir), encoding: 'utf8' });
  return `sha256:${out.split(' ')[0]}`;
}

describe('parseMLmodel', () => {
  it('sklearn: framework from the flavor, column inputs, a tensor output, run and tags', () => {
    const f = parseMLmodel(SKLEARN);
    expect(f.framework).toEqual({ name: 'sklearn', version: '1.3.2' });
    expect(f.signature?.inputs?.[0]).toEqual({ type: 'double', name: 'sepal length (cm)', required: true });
    expect(f.signature?.inputs).toHaveLength(4);
    expect(f.signature?.outputs).toEqual([{ type: 'tensor', dtype: 'int64', shape: [-1] }]);
    expect(f.signature?.params).toBeUndefined();
    expect(f.runId).toBe('3f9d2c1b0a8e4f6d9c7b5a3e1f0d2c4b');
    expect(f.runUri).toBe('runs:/3f9d2c1b0a8e4f6d9c7b5a3e1f0d2c4b/model');
    expect(f.tags).toEqual({
      'mlflow.model_uuid': '5b8b5e8a9c0f4a4c8e2f1d3b7a6c9e01', 'mlflow.utc_time_created': '2024-01-15 10:21:33.412856',
      'mlflow.model_size_bytes': '1811', 'mlflow.mlflow_version': '2.9.2', 'mlflow.artifact_path': 'model',
    });
  });

  it('pyfunc: only python_function, so the framework is python_function at the MLflow version; params kept', () => {
    const f = parseMLmodel(PYFUNC);
    expect(f.framework).toEqual({ name: 'python_function', version: '2.10.0' });
    expect(f.signature?.inputs).toEqual([{ type: 'tensor', dtype: 'float32', shape: [-1, 28, 28] }]);
    expect(f.signature?.params).toEqual([{ name: 'threshold', type: 'double', default: 0.5, shape: null }]);
  });

  it('transformers: transformers_version, string columns without names, params with list defaults', () => {
    const f = parseMLmodel(TRANSFORMERS);
    expect(f.framework).toEqual({ name: 'transformers', version: '4.41.2' });
    expect(f.signature?.inputs).toEqual([{ type: 'string', required: true }]);
    expect(f.signature?.params?.[2]).toEqual({ name: 'suppress_tokens', type: 'long', default: [101, 102], shape: [-1] });
    expect(f.runUri).toBe('runs:/7ddf8da935fb4d789eee87a92c45ae1e/text_generator');
  });

  it('names the field of a malformed file', () => {
    const codeOf = (text: string) => { try { parseMLmodel(text, 'm/MLmodel'); } catch (e) { return [(e as RegistryError).code, (e as Error).message]; } return []; };
    expect(codeOf('run_id: x\n')).toEqual(['BAD_INPUT', expect.stringMatching(/m\/MLmodel: flavors is missing/)]);
    expect(codeOf(SKLEARN.replace(`outputs: '[{"type": "tensor"`, `outputs: '[{"type": "tensorr"`))).toEqual(['BAD_INPUT', expect.stringMatching(/signature.outputs\[0\] has a column of unknown type "tensorr"/)]);
    expect(codeOf('flavors: {sklearn: {}}\nsignature:\n  inputs: "[not json"\n')).toEqual(['BAD_INPUT', expect.stringMatching(/signature.inputs is not valid JSON/)]);
  });
});

describe('import mlmodel', () => {
  it('registers an sklearn model folder with framework, signature, lineage, tags and the folder digest', async () => {
    const prod = await prodRegistry();
    const dir = await modelFolder(SKLEARN, { 'model.pkl': 'pickled bytes of a RandomForestClassifier' });
    const r = await runCli(['--json', 'import', 'mlmodel', dir, 'iris', '--artifact', 's3://models/iris/1', '--metric', 'accuracy=0.97'], { cwd: prod });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = parse(await readFile(join(prod, 'registry/iris/versions/1.0.0.yaml'), 'utf8'));
    expect(v.artifact).toEqual({ uri: 's3://models/iris/1', digest: oracleDigest(dir), size: expect.any(Number), format: 'mlflow' });
    expect(JSON.parse(r.stdout).files).toBe(5);
    expect(v.framework).toEqual({ name: 'sklearn', version: '1.3.2' });
    expect(v.signature.outputs).toEqual([{ type: 'tensor', dtype: 'int64', shape: [-1] }]);
    expect(v.lineage.run).toEqual({ id: '3f9d2c1b0a8e4f6d9c7b5a3e1f0d2c4b', uri: 'runs:/3f9d2c1b0a8e4f6d9c7b5a3e1f0d2c4b/model' });
    expect(v.tags['mlflow.model_uuid']).toBe('5b8b5e8a9c0f4a4c8e2f1d3b7a6c9e01');
    expect(v.metrics).toEqual({ accuracy: 0.97 });
    expect((await runCli(['check'], { cwd: prod })).code).toBe(0);
  });

  it('takes the MLmodel file itself, and a transformers folder with subfolders', async () => {
    const prod = await prodRegistry();
    const dir = await modelFolder(TRANSFORMERS, { 'model/config.json': '{"n_layer": 12}', 'model/model.safetensors': 'weights', 'components/tokenizer/tokenizer.json': '{}' });
    const r = await runCli(['import', 'mlmodel', join(dir, 'MLmodel'), 'gpt2-gen', '--artifact', 's3://models/gpt2/1'], { cwd: prod });
    expect(r.code).toBe(0);
    const v = parse(await readFile(join(prod, 'registry/gpt2-gen/versions/1.0.0.yaml'), 'utf8'));
    expect(v.artifact.digest).toBe(oracleDigest(dir));
    expect(v.framework).toEqual({ name: 'transformers', version: '4.41.2' });
    expect(v.signature.params).toHaveLength(3);
  });

  it('a pyfunc model: the digest changes when any file changes', async () => {
    const prod = await prodRegistry();
    const dir = await modelFolder(PYFUNC, { 'python_model.pkl': 'v1' });
    expect((await runCli(['import', 'mlmodel', dir, 'digits', '--artifact', 's3://m/1'], { cwd: prod })).code).toBe(0);
    await writeTree(dir, { 'python_model.pkl': 'v2' });
    expect((await runCli(['import', 'mlmodel', dir, 'digits', '--artifact', 's3://m/2', '--bump', 'major'], { cwd: prod })).code).toBe(0);
    const a = parse(await readFile(join(prod, 'registry/digits/versions/1.0.0.yaml'), 'utf8'));
    const b = parse(await readFile(join(prod, 'registry/digits/versions/2.0.0.yaml'), 'utf8'));
    expect(a.artifact.digest).not.toBe(b.artifact.digest);
    expect(b.artifact.digest).toBe(oracleDigest(dir));
    expect(b.framework).toEqual({ name: 'python_function', version: '2.10.0' });
  });

  it('refuses bad input with exit 2 and writes nothing: no folder, no MLmodel, a symbolic link', async () => {
    const prod = await prodRegistry();
    expect((await runCli(['import', 'mlmodel', '/nonexistent/model', 'x', '--artifact', 's3://x'], { cwd: prod })).code).toBe(2);
    const empty = await tempDir('mr-mlmodel-empty-');
    const r = await runCli(['import', 'mlmodel', empty, 'x', '--artifact', 's3://x'], { cwd: prod });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no MLmodel file/);
    const dir = await modelFolder(SKLEARN, { 'model.pkl': 'x' });
    await symlink('/etc/hostname', join(dir, 'link.pkl'));
    const l = await runCli(['import', 'mlmodel', dir, 'x', '--artifact', 's3://x'], { cwd: prod });
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/link.pkl is a symbolic link/);
  });
});
