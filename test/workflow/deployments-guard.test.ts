/**
 * A policy guard over deployments (issue 14): a version may enter Production only when it is
 * deployed and healthy in staging. Real repositories: `promote` is allowed once `deploy record`
 * says so and denied with a checklist line before; `check --base` applies the guard to a pull
 * request with the deployments as they are at base.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry, openRegistry, type Registry } from '../../src/index.js';
import { RegistryError } from '../../src/errors/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { policyYaml } from '../policy/fixtures.js';
import { ADA, cleanup, fixedClock, git, headCommit, runCli, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

const GUARD = 'deployments.staging.status == "succeeded"';
const POLICY = policyYaml({
  rules: [
    { from: 'None', to: 'Staging' },
    { from: 'Staging', to: 'Production', when: `'${GUARD}'` },
    { from: '*', to: 'Archived' },
  ],
  rollback: '{ min: 0 }',
});

let dir: string;
let reg: Registry;

beforeEach(async () => {
  dir = join(await tempDir('mrguard-'), 'reg');
  const clock = fixedClock('2026-03-01T09:00:00Z');
  await initRegistry({ dir }, { identity: ADA, now: clock.now });
  await writeFile(join(dir, 'policies/default.yaml'), POLICY);
  git(dir, ['commit', '-qam', 'policy: Production needs a healthy staging deployment']);
  reg = await openRegistry({ dir, identity: ADA, now: () => { clock.advance(60_000); return clock.now(); } });
  await reg.register({ model: 'churn', artifact: 's3://m/churn/1' });
  await reg.register({ model: 'churn', artifact: 's3://m/churn/2' });
  await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
});

async function denial(stage = 'Production', version = '1.0.0'): Promise<{ allowed: boolean; checks: Array<{ name: string; ok: boolean; expected: string; actual: string }> }> {
  try {
    await reg.transition({ model: 'churn', version, stage });
  } catch (e) {
    expect((e as RegistryError).code).toBe('DENIED');
    return (e as RegistryError).data.decision as never;
  }
  throw new Error('the transition was allowed');
}

describe('a guard over deployments', () => {
  it('compiles: deployments is a map of env -> version, status, url, at, by; an unknown field is an error when the policy loads', async () => {
    expect((await loadPolicy(POLICY, 'policies/default.yaml')).policy).toBeDefined();
    const bad = await loadPolicy(POLICY.replace('deployments.staging.status', 'deployments.staging.state'), 'policies/default.yaml');
    expect(bad.policy).toBeUndefined();
    expect(bad.issues.map((i) => i.message).join('\n')).toMatch(/has no field 'state'; its fields are version, status, url, at, by/);
  });

  it('denies the move while the version is not deployed in staging, with a checklist line saying where it is', async () => {
    const d = await denial();
    expect(d.allowed).toBe(false);
    expect(d.checks.find((c) => c.name === 'when')).toEqual(expect.objectContaining({ ok: false, expected: GUARD, actual: 'error: No such key: staging (this version is deployed in: no environment)' }));
    // Through the CLI: exit 1 and the checklist on stderr; nothing written.
    const head = headCommit(dir);
    const r = await runCli(['promote', 'churn', '1.0.0', '--to', 'Production'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(GUARD);
    expect(r.stderr).toContain('this version is deployed in: no environment');
    expect(headCommit(dir)).toBe(head);
  });

  it('denies while the staging deployment failed or holds another version; allows once it succeeded', async () => {
    await reg.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging', status: 'failed' });
    expect((await denial()).checks.find((c) => c.name === 'when')?.actual).toBe('false (this version is deployed in: staging (failed))');
    await reg.recordDeployment({ model: 'churn', version: '1.1.0', env: 'staging' });
    await reg.recordDeployment({ model: 'churn', version: '1.0.0', env: 'production' });
    expect((await denial()).checks.find((c) => c.name === 'when')?.actual).toBe('error: No such key: staging (this version is deployed in: production (succeeded))');
    await reg.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    const ok = await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Production' });
    expect(ok.allowed).toBe(true);
    expect(ok.decision.checks.find((c) => c.name === 'when')).toEqual(expect.objectContaining({ ok: true, actual: 'true' }));
    const explain = await runCli(['--json', 'policy', 'explain', 'churn', '1.0.0', 'Archived'], { cwd: dir });
    expect(explain.code).toBe(0);
  });

  it('check --base applies it to a pull request, with the deployments as they are at base', async () => {
    const base = headCommit(dir);
    const prFile = join(dir, 'registry/churn/versions/1.0.0.yaml');
    const promoteByHand = async () => {
      await writeFile(prFile, (await readFile(prFile, 'utf8')).replace(/^stage: Staging$/m, 'stage: Production'));
      git(dir, ['commit', '-qam', 'promote churn 1.0.0 to Production by hand']);
    };
    git(dir, ['switch', '-q', '-c', 'pr']);
    await promoteByHand();
    const denied = await runCli(['--json', 'check', '--base', base], { cwd: dir });
    expect(denied.code, denied.stdout).toBe(1);
    const decision = JSON.parse(denied.stdout).decisions.find((x: { event: string }) => x.event.includes('Staging → Production'));
    expect(decision).toMatchObject({ allowed: false });
    expect(decision.checks.find((c: { name: string }) => c.name === 'when').actual).toContain('this version is deployed in: no environment');

    // Recording the deployment in the same pull request does not count: base decides.
    git(dir, ['switch', '-q', 'main']);
    const pr2 = await openRegistry({ dir, identity: ADA });
    git(dir, ['switch', '-q', '-c', 'pr2']);
    await pr2.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    await promoteByHand();
    expect((await runCli(['check', '--base', base], { cwd: dir })).code).toBe(1);

    // Recorded on main first (the deployment job pushes it), the same pull request passes.
    git(dir, ['switch', '-q', 'main']);
    await pr2.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    const newBase = headCommit(dir);
    git(dir, ['switch', '-q', '-c', 'pr3']);
    await promoteByHand();
    const allowed = await runCli(['--json', 'check', '--base', newBase], { cwd: dir });
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(JSON.parse(allowed.stdout).decisions.find((x: { event: string }) => x.event.includes('Staging → Production')).allowed).toBe(true);
  });
});
