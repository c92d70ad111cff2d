/**
 * A token's `groups` reach the policy: guards see them in `actor.groups`, together with the
 * policy's own `groups:` that list the actor (so a rule reads the same for a token, a CLI user
 * and CI when the group is in the policy).
 */
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { actorGroups } from '../../src/policy/identity.js';
import { ADA, CAROL, CONFIG_YAML, commitCount, gitLog, makeRepo } from '../helpers/repo.js';
import { policyYaml } from '../policy/fixtures.js';
import { TOKENS, call, expectError, serve, tokenFile } from './helpers.js';

const POLICY = policyYaml({
  groups: { releasers: ['carol@example.com'] },
  rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', when: `'"ml-leads" in actor.groups || "releasers" in actor.groups'` }, { from: '*', to: 'Archived' }],
});

async function staged() {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n', 'policies/default.yaml': POLICY });
  const reg = await openRegistry({ dir, identity: ADA, env: {} });
  for (const m of ['churn', 'iris']) {
    await reg.register({ model: m, artifact: `s3://models/${m}/1` });
    await reg.transition({ model: m, version: '1.0.0', stage: 'Staging' });
  }
  return dir;
}

describe('groups in the policy', () => {
  it('actorGroups: the policy groups that list the actor, and the groups vouched for, sorted and once', async () => {
    const policy = { doc: { groups: { leads: ['Alice@Example.com', 'github:carol'], other: ['x@y.z'] } } } as never;
    expect(actorGroups(policy, { email: 'alice@example.com', groups: ['oncall', 'leads'] })).toEqual(['leads', 'oncall']);
    expect(actorGroups(policy, { email: 'c@x.io', github: 'carol' })).toEqual(['leads']);
    expect(actorGroups(undefined, { email: 'c@x.io' })).toEqual([]);
  });

  it('a token\'s groups satisfy a guard over actor.groups (403 without them, nothing written); a policy group counts for a CLI user', async () => {
    const dir = await staged();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const n = commitCount(dir);
    // Bob's token has no groups, and the policy lists him in none.
    const denied = await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '1', stage: 'Production' }, { Authorization: `Bearer ${TOKENS.bob}` });
    expectError(denied, 403, 'PERMISSION_DENIED');
    expect(denied.body.message).toMatch(/actor\.groups/);
    expect(commitCount(dir)).toBe(n);
    // Ada's token says groups: [ml-leads].
    const ok = await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '1', stage: 'Production' }, { Authorization: `Bearer ${TOKENS.ada}` });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(gitLog(dir)[0]).toMatchObject({ authorEmail: ADA.email, trailers: expect.objectContaining({ 'Modelreg-To': 'Production' }) });
    // Carol is in the policy's releasers: the same guard holds for her through the library.
    const carol = await openRegistry({ dir, identity: CAROL, env: {} });
    await expect(carol.transition({ model: 'iris', version: '1.0.0', stage: 'Production' })).resolves.toMatchObject({ stage: 'Production', allowed: true });
  });
});
