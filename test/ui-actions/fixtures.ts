/**
 * The registry the UI action suites share: churn with 1.0.0 in Production and 1.1.0 in Staging
 * under a policy where Production needs two approvals from ml-leads (alice by email, bob by
 * GitHub login) that are not the author's, Staging needs `has(version.tags.team)`, and
 * rollbacks need nothing.
 */
import { openRegistry } from '../../src/index.js';
import { CONFIG_YAML, fixedClock, makeRepo, type Person } from '../helpers/repo.js';
import { policyYaml } from '../policy/fixtures.js';
import { DANA, git } from '../pr/helpers.js';

export const POLICY = policyYaml({
  groups: { 'ml-leads': ['alice@example.com', '"github:bob"'] },
  rules: [
    { from: 'None', to: 'Staging', when: 'has(version.tags.team)' },
    { from: 'Staging', to: 'Production', approvals: '{ min: 2, from: [ml-leads], allowAuthor: false }' },
    { from: '*', to: 'Archived' },
  ],
  rollback: '{ min: 0 }',
  tail: 'aliases:\n  champion: { requireStage: Production }\n  challenger: { approvals: { min: 1, from: [ml-leads] } }\n',
});

/** churn 1.0.0 (Production, through a merged proposal), 1.1.0 (Staging), 1.2.0 (None, no team tag). */
export async function registry(who: Person = DANA) {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY });
  const clock = fixedClock('2024-03-01T09:00:00Z');
  const reg = await openRegistry({ dir, identity: who, now: clock.now, env: {} });
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
    clock.advance(60_000);
    await reg.register({ model: 'churn', artifact: `s3://m/churn/${v}`, version: v, metrics: { auc: 0.8 + Number(v[2]) / 20 }, ...(v === '1.2.0' ? {} : { tags: { team: 'growth' } }) });
  }
  for (const v of ['1.0.0', '1.1.0']) { clock.advance(60_000); await reg.transition({ model: 'churn', version: v, stage: 'Staging' }); }
  clock.advance(60_000);
  await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Production', branch: 'modelreg/merged', allowPending: true });
  await git(dir, ['merge', '--ff-only', 'modelreg/merged']);
  await git(dir, ['branch', '-D', 'modelreg/merged']);
  return { dir, clock };
}
