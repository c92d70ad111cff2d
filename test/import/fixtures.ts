/**
 * Registries for the import tests, built from inline file trees: a dev registry holding
 * churn 1.2.0 (Staging) whose artifact is a real local file with its digest, and an empty
 * prod registry with the project's default policy (or another one).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_YAML, makeRepo, modelYaml, ROOT, tempDir } from '../helpers/repo.js';
import { policyYaml } from '../policy/fixtures.js';

export const DEFAULT_POLICY = () => readFile(join(ROOT, 'policies', 'default.yaml'), 'utf8');

/** The default policy, but entering Staging needs provenance: imported, and in Staging at the source. */
export const STAGING_GUARD_POLICY = policyYaml({ rules: [{ from: 'None', to: 'Staging', when: 'has(version.origin) && version.origin.stage == "Staging"' }, { from: '*', to: 'Archived' }] });

export function devVersionYaml(artifactUri: string, digest: string, size: number, version = '1.2.0', stage = 'Staging'): string {
  return `# yaml-language-server: $schema=../../../.modelreg/schemas/version.schema.json
model: churn
version: ${version}
stage: ${stage}
artifact:
  uri: ${artifactUri}
  digest: sha256:${digest}
  size: ${size}
  format: pickle
framework:
  name: sklearn
  version: 1.5.0
signature:
  inputs:
    - name: tenure
      type: long
    - name: plan
      type: string
  outputs:
    - type: tensor
      dtype: float64
      shape: [-1]
metrics:
  auc: 0.91
params:
  max_depth: 6
  criterion: gini
lineage:
  run:
    id: 8c0b6a2f1e4d4c7a9b3e5f6a7b8c9d0e
  code:
    repo: https://github.com/acme/churn
    commit: 0123456789abcdef0123456789abcdef01234567
  data:
    - name: churn-events
      version: 2024-01
      uri: s3://data/churn/2024-01
created:
  at: 2024-01-01T00:00:00Z
  by: ada@example.com
`;
}

export async function devRegistry(): Promise<{ dir: string; digest: string; artifactPath: string }> {
  const store = await tempDir('mr-import-artifacts-');
  const artifactPath = join(store, 'model.pkl');
  const bytes = Buffer.from('pretend this is a pickled sklearn model\n');
  await writeFile(artifactPath, bytes);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const dir = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'policies/default.yaml': await DEFAULT_POLICY(),
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.2.0.yaml': devVersionYaml(pathToFileURL(artifactPath).href, digest, bytes.length),
  });
  return { dir, digest: `sha256:${digest}`, artifactPath };
}

export async function prodRegistry(policy?: string): Promise<string> {
  return makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': policy ?? await DEFAULT_POLICY() });
}
