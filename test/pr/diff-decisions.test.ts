/**
 * `diff` and the policy decisions of `check --base`: each line shows what the policy says
 * about that change, found by the event the decision judged (not by matching words: a tag
 * change of a version in Staging once showed the checklist of its promotion, because
 * "Staging" contains "tag"). And a policy denial under --json prints the decision and the
 * error, with exit 1, from the one error handler.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DANA, MAINT, STRICT_POLICY, commitAll, editText, git, mr, mrOk, prBranch, registryWithPolicy, versionPath } from './helpers.js';

const POLICY = `${STRICT_POLICY}aliases:\n  champion: { requireStage: Production }\n`;
const V100 = versionPath('m', '1.0.0');
let base: string;

beforeAll(async () => {
  base = await registryWithPolicy(POLICY);
  await mrOk(base, ['register', 'm', '--artifact', 's3://models/m/1.0.0']);
  await mrOk(base, ['promote', 'm', '1.0.0', '--to', 'Staging']);
}, 60_000);

const branch = (name: string) => prBranch(base, name);

describe('diff shows the policy decision of each change', () => {
  it('a promotion shows what it needs; a tag change of the same version shows nothing of it', async () => {
    const dir = await branch('promote-and-tag');
    await editText(dir, V100, (s) => s.replace(/^stage: Staging$/m, 'stage: Production'));
    await commitAll(dir, 'promote m 1.0.0 by hand', DANA);
    await mrOk(dir, ['tag', 'set', 'm', '1.0.0', 'team=risk']);
    const r = await mrOk(dir, ['diff', 'main'], MAINT);
    expect(r.stdout.trim().split('\n')).toEqual([
      'm 1.0.0: Staging → Production; approvals: needs at least 2 approvals for Production from ml-leads, not the author, found 0',
      'm 1.0.0: tag team (none) → risk',
    ]);
    const json = JSON.parse((await mrOk(dir, ['--json', 'diff', 'main'], MAINT)).stdout);
    expect(json.ok).toBe(false);
    expect(json.lines.map((l: { needs?: string[] }) => l.needs)).toEqual([['approvals: needs at least 2 approvals for Production from ml-leads, not the author, found 0'], undefined]);
  });

  it('an alias move shows what the policy says about it', async () => {
    const dir = await branch('alias');
    await editText(dir, 'registry/m/model.yaml', (s) => s.replace(/^aliases: \{\}$/m, '').replace(/\n*$/, '\naliases:\n  champion: 1.0.0\n'));
    await commitAll(dir, 'champion -> 1.0.0 by hand', DANA);
    const r = await mrOk(dir, ['diff', 'main'], MAINT);
    expect(r.stdout.trim()).toBe('m@champion: (none) → 1.0.0; requireStage: needs stage Production, found Staging');
    const check = await mr(dir, ['check', '--base', 'main'], MAINT);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('✗ m@champion → 1.0.0: ');
  });
});

describe('a policy denial under --json', () => {
  it('promote: the decision and the error on stdout, the message on stderr, exit 1', async () => {
    const r = await mr(base, ['--json', 'promote', 'm', '1.0.0', '--to', 'Production'], DANA);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ allowed: false, model: 'm', version: '1.0.0', stage: 'Production', message: expect.stringMatching(/cannot move Staging -> Production/), error: { code: 'DENIED' } });
    expect(out.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'approvals', ok: false })]));
    expect(r.stderr).toMatch(/^modelreg: Denied by policy: /);
  });

  it('alias set: the same shape', async () => {
    const r = await mr(base, ['--json', 'alias', 'set', 'm', 'champion', '1.0.0'], DANA);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, checks: [expect.objectContaining({ name: 'requireStage', ok: false })], error: { code: 'DENIED' } });
  });

  it('a dry run that the policy would deny exits 1 in json as in text, and writes nothing', async () => {
    const before = (await git(base, ['rev-parse', 'HEAD'])).stdout;
    const json = await mr(base, ['--json', 'promote', 'm', '1.0.0', '--to', 'Production', '--dry-run'], DANA);
    const text = await mr(base, ['promote', 'm', '1.0.0', '--to', 'Production', '--dry-run'], DANA);
    expect([json.code, text.code]).toEqual([1, 1]);
    expect(JSON.parse(json.stdout)).toMatchObject({ allowed: false, dryRun: true });
    expect(text.stdout).toMatch(/^Denied: m 1\.0\.0 Staging -> Production \(dry run, nothing written\)/);
    const explain = await mr(base, ['--json', 'policy', 'explain', 'm', '1.0.0', 'Production'], DANA);
    expect(explain.code).toBe(1);
    expect((await git(base, ['rev-parse', 'HEAD'])).stdout).toBe(before);
  });
});
