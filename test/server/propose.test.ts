/**
 * --propose: a transition that lacks only approvals is committed on a branch for review
 * instead of the served branch, and the version answers PENDING_REGISTRATION with the branch
 * in status_message until the change is served (merged); without --propose it is a 403.
 */
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, git, gitLog, headCommit, makeRepo } from '../helpers/repo.js';
import { TOKENS, call, expectError, get, serve, tokenFile } from './helpers.js';
import { policyYaml } from '../policy/fixtures.js';

const POLICY = policyYaml({ rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', approvals: '{ min: 1 }' }, { from: '*', to: 'Archived' }] });

async function staged() {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n', 'policies/default.yaml': POLICY });
  const reg = await openRegistry({ dir, identity: ADA, env: {} });
  await reg.register({ model: 'churn', artifact: 's3://models/churn/1' });
  await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
  return dir;
}

const auth = { Authorization: `Bearer ${TOKENS.bob}` };
const promote = { name: 'churn', version: '1', stage: 'Production' };

describe('--propose', () => {
  it('a transition needing approvals goes on a branch; the version is PENDING_REGISTRATION until the branch is merged', async () => {
    const dir = await staged();
    const s = await serve(dir, { tokensFile: await tokenFile(), propose: true, pollMs: 20 });
    const main = headCommit(dir);
    const r = await call(s, 'POST', 'model-versions/transition-stage', promote, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.model_version).toMatchObject({ version: '1', current_stage: 'Staging', status: 'PENDING_REGISTRATION' });
    const branch = /branch (\S+?)[;)]/.exec(r.body.model_version.status_message)![1];
    expect(headCommit(dir)).toBe(main);
    const proposal = gitLog(dir, branch)[0];
    expect(proposal.parents).toEqual([main]);
    expect(proposal.trailers).toMatchObject({ 'Modelreg-Action': 'transition', 'Modelreg-To': 'Production' });
    expect(proposal.authorEmail).toBe('bob@example.com');
    expect((await get(s, 'model-versions/get', { name: 'churn', version: '1' })).body.model_version.status).toBe('PENDING_REGISTRATION');
    // The review happened; the branch is merged (fast-forward here) and the server serves it.
    git(dir, ['merge', '-q', '--ff-only', branch]);
    const tip = headCommit(dir);
    for (let i = 0; i < 500 && s.commit() !== tip; i++) await new Promise((res) => setTimeout(res, 10));
    const after = (await get(s, 'model-versions/get', { name: 'churn', version: '1' })).body.model_version;
    expect(after).toMatchObject({ current_stage: 'Production', status: 'READY' });
    expect(after.status_message).toBeUndefined();
  });

  it('proposals are read from the modelreg/* branches: a restarted server and a second server answer the same; deleting the branch ends it', async () => {
    const dir = await staged();
    const tokens = await tokenFile();
    const first = await serve(dir, { tokensFile: tokens, propose: true, pollMs: 20 });
    const r = await call(first, 'POST', 'model-versions/transition-stage', promote, auth);
    const branch = /branch (\S+?)[;)]/.exec(r.body.model_version.status_message)![1];
    await first.close();
    const again = await serve(dir, { tokensFile: tokens, propose: true, pollMs: 20 });
    const other = await serve(dir, { tokensFile: tokens, propose: true, pollMs: 20 });
    for (const s of [again, other]) {
      const v = (await get(s, 'model-versions/get', { name: 'churn', version: '1' })).body.model_version;
      expect(v).toMatchObject({ current_stage: 'Staging', status: 'PENDING_REGISTRATION' });
      expect(v.status_message).toBe(r.body.model_version.status_message);
    }
    // The ETag changes with the proposals, so a poller sees the change without a commit.
    const tag = (await get(again, 'model-versions/get', { name: 'churn', version: '1' })).headers.get('etag');
    git(dir, ['branch', '-D', branch]);
    let v: any;
    for (let i = 0; i < 300; i++) {
      v = (await get(again, 'model-versions/get', { name: 'churn', version: '1' })).body.model_version;
      if (v.status === 'READY') break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(v).toMatchObject({ current_stage: 'Staging', status: 'READY' });
    expect((await get(again, 'model-versions/get', { name: 'churn', version: '1' })).headers.get('etag')).not.toBe(tag);
  });

  it('without --propose the same transition is 403 PERMISSION_DENIED, and no branch is made', async () => {
    const dir = await staged();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const branches = git(dir, ['branch', '--list']).stdout;
    expectError(await call(s, 'POST', 'model-versions/transition-stage', promote, auth), 403, 'PERMISSION_DENIED');
    expect(git(dir, ['branch', '--list']).stdout).toBe(branches);
  });

  it('with --propose, a transition no rule allows is still a 403, not a proposal', async () => {
    const dir = await staged();
    const s = await serve(dir, { tokensFile: await tokenFile(), propose: true });
    const branches = git(dir, ['branch', '--list']).stdout;
    expectError(await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '1', stage: 'None' }, auth), 403, 'PERMISSION_DENIED');
    expect(git(dir, ['branch', '--list']).stdout).toBe(branches);
  });
});
