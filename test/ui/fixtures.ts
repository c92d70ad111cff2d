/**
 * The registries the UI tests browse: `churn` (four versions with metrics, promoted over a fixed
 * clock so the stage timeline has a known past), `iris`, and a hostile model whose free text is
 * script tags, event handlers and a javascript: artifact URI, committed by hand as anyone could in a pull request.
 */
import { existsSync } from 'node:fs';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, commitFiles, fixedClock, makeRepo } from '../helpers/repo.js';
import { OPEN_POLICY } from '../server/helpers.js';

/** Debian's Chromium, or $CHROMIUM_PATH. */
export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`No Chromium at ${p}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH.`);
  return p;
}

export const SIGNATURE = { inputs: [{ name: 'tenure', type: 'double' as const }, { name: 'plan', type: 'string' as const }], outputs: [{ name: 'churn', type: 'double' as const }] };

/**
 * churn 1.0.0, 1.1.0, 1.2.0, 2.0.0 (auc rising; 2.0.0 without f1, with a wider signature), 1.0.0 in Production from 2024-03-01T10:05Z
 * until 1.1.0 replaced it at 10:08Z; iris 1.0.0; then (at 11:00Z) the hostile model.
 */
export async function uiRegistry() {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '# Registry\n', 'policies/default.yaml': OPEN_POLICY });
  const clock = fixedClock('2024-03-01T10:00:00Z');
  const reg = await openRegistry({ dir, identity: ADA, now: clock.now, env: {} });
  const step = async <T>(at: string, run: () => Promise<T>) => { clock.set(at); return run(); };
  const tags = { team: 'growth' };
  await step('2024-03-01T10:01:00Z', () => reg.register({ model: 'churn', artifact: 's3://models/churn/1.0.0', version: '1.0.0', metrics: { auc: 0.81, f1: 0.7 }, params: { depth: 6 }, tags, signature: SIGNATURE, framework: { name: 'sklearn', version: '1.4.0' }, newModel: { description: 'Churn in 30 days', owners: ['ada@example.com'] } }));
  await step('2024-03-01T10:02:00Z', () => reg.register({ model: 'churn', artifact: 's3://models/churn/1.1.0', version: '1.1.0', metrics: { auc: 0.84, f1: 0.74 }, params: { depth: 8 }, tags, signature: SIGNATURE }));
  await step('2024-03-01T10:04:00Z', () => reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' }));
  await step('2024-03-01T10:05:00Z', () => reg.transition({ model: 'churn', version: '1.0.0', stage: 'Production' }));
  await step('2024-03-01T10:06:00Z', () => reg.transition({ model: 'churn', version: '1.1.0', stage: 'Staging' }));
  await step('2024-03-01T10:08:00Z', () => reg.transition({ model: 'churn', version: '1.1.0', stage: 'Production' }));
  await step('2024-03-01T10:09:00Z', () => reg.register({ model: 'churn', artifact: 's3://models/churn/1.2.0', version: '1.2.0', metrics: { auc: 0.86, f1: 0.75 }, params: { depth: 8 }, tags: { team: 'growth', note: 'wider' }, signature: SIGNATURE }));
  await step('2024-03-01T10:10:00Z', () => reg.register({ model: 'churn', artifact: 'https://models.example.com/churn/2.0.0', version: '2.0.0', metrics: { auc: 0.88 }, tags, signature: { ...SIGNATURE, inputs: [...SIGNATURE.inputs, { name: 'region', type: 'string' as const }] } }));
  await step('2024-03-01T10:11:00Z', () => reg.alias({ model: 'churn', alias: 'champion', version: '1.1.0' }));
  await step('2024-03-01T10:12:00Z', () => reg.register({ model: 'iris', artifact: 'gs://models/iris/1.0.0', metrics: { accuracy: 0.97 } }));
  await step('2024-03-01T10:13:00Z', () => reg.tag({ model: 'iris', set: { team: 'research' } }));
  await commitFiles(dir, {
    'registry/evil/model.yaml': `name: evil
description: "<script>alert('model')</script><img src=x onerror=alert('img')>"
owners:
  - "mallory@example.com"
tags:
  owner_note: "<svg onload=alert('tag')></svg><b onmouseover=alert(1)>k</b>"
created:
  at: 2024-03-01T11:00:00Z
  by: mallory@example.com
`,
    'registry/evil/versions/1.0.0.yaml': `model: evil
version: 1.0.0
stage: None
description: "\\"><script>alert('version')</script>"
artifact:
  uri: "javascript:alert('artifact')"
metrics:
  auc: 0.5
params:
  p: "\\" autofocus onfocus=alert('param') x=\\""
tags:
  t: "<iframe src=javascript:alert('iframe')></iframe>"
lineage:
  run:
    uri: " javascript:alert('run')"
  data:
    - name: "<a href=javascript:alert(6)>data</a>"
      uri: "JaVaScRiPt:alert('data')"
created:
  at: 2024-03-01T11:00:00Z
  by: mallory@example.com
`,
  }, 'evil: added by hand', { date: '@1709290800 +0000' });
  return { dir, reg };
}
