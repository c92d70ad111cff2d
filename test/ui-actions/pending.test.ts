/**
 * Pending promotions (the Promotions page's data): `modelreg/*` branches and, with a forge token,
 * open pull requests from a local HTTP server in GitHub's documented shapes — each with the
 * checklist `check --base` computes, which the test compares with the CLI's own `check --base`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { Context } from '../../src/ops/context.js';
import { pendingPromotions } from '../../src/ops/pending.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_YAML, fixedClock, makeRepo, tempDir } from '../helpers/repo.js';
import { policyYaml } from '../policy/fixtures.js';
import { pullRequest, review, user } from '../forge/fixtures.js';
import { ALICE, DANA, git, mr, rev } from '../pr/helpers.js';

/** Production needs two approvals from ml-leads (alice by email, bob by GitHub login), not the author's. */
const POLICY = policyYaml({
  groups: { 'ml-leads': ['alice@example.com', '"github:bob"'] },
  rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', approvals: '{ min: 2, from: [ml-leads], allowAuthor: false }' }, { from: '*', to: 'Archived' }],
  rollback: '{ min: 0 }',
});

const BRANCH = 'modelreg/promote-churn-1.1.0-production';

/** churn 1.0.0 in Production, 1.1.0 in Staging; Dana proposes 1.1.0 for Production on a branch and Alice approves there. */
async function proposed() {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY });
  const clock = fixedClock('2024-03-01T09:00:00Z');
  const as = async (who: typeof DANA) => openRegistry({ dir, identity: who, now: clock.now, env: {} });
  const dana = await as(DANA);
  for (const v of ['1.0.0', '1.1.0']) { clock.advance(60_000); await dana.register({ model: 'churn', artifact: `s3://m/churn/${v}`, version: v, metrics: { auc: v === '1.0.0' ? 0.8 : 0.9 } }); }
  for (const v of ['1.0.0', '1.1.0']) { clock.advance(60_000); await dana.transition({ model: 'churn', version: v, stage: 'Staging' }); }
  // 1.0.0 reaches Production through a merged proposal: its branch is then no longer pending.
  clock.advance(60_000);
  await dana.transition({ model: 'churn', version: '1.0.0', stage: 'Production', branch: 'modelreg/merged', allowPending: true });
  await git(dir, ['merge', '--ff-only', 'modelreg/merged']);
  clock.advance(60_000);
  const r = await dana.transition({ model: 'churn', version: '1.1.0', stage: 'Production', branch: true, allowPending: true });
  expect(r.branch).toBe(BRANCH);
  clock.advance(60_000);
  await (await as(ALICE)).approve({ model: 'churn', version: '1.1.0', stage: 'Production', branch: BRANCH, comment: 'metrics reviewed' });
  return { dir };
}

/** Dana records on the branch the approval bob gave as a pull request review (as the GitLab check's fixtures do). */
async function recordForgeApproval(dir: string): Promise<void> {
  const wt = await tempDir('mrui-wt-');
  await git(dir, ['worktree', 'add', '-q', wt, BRANCH]);
  const file = join(wt, 'registry/churn/versions/1.1.0.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/\napprovals:\n/, "\napprovals:\n  - by: github:bob\n    stage: Production\n    at: '2024-03-01T11:00:00Z'\n"));
  await git(wt, ['commit', '-qam', 'record bob\'s review'], { who: DANA });
  await git(dir, ['worktree', 'remove', '--force', wt]);
}

let forge: Server;
let api: string;
beforeAll(async () => {
  forge = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname === '/repos/o/r/pulls' && url.searchParams.get('state') === 'open' && url.searchParams.get('base') === 'main') {
      const pr = pullRequest(7, { owner: 'o', ref: BRANCH });
      return send(200, [{ ...pr, title: 'promote churn 1.1.0: Staging -> Production', user: user('dana', 31) }]);
    }
    if (url.pathname === '/repos/o/r/pulls/7/reviews') return send(200, [review('bob', 'APPROVED', 1)]);
    send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  });
  await new Promise<void>((ok) => forge.listen(0, '127.0.0.1', ok));
  api = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((ok) => forge.close(ok)));

describe('pending promotions', () => {
  it('lists each unmerged modelreg/* branch with the checklist check --base computes', async () => {
    const { dir } = await proposed();
    const ctx = await Context.open({ dir, env: {} });
    const { target, tip, promotions } = await pendingPromotions(ctx);
    expect(target).toBe('main');
    expect(tip).toBe(await rev(dir, 'main'));
    expect(promotions.map((p) => p.branch)).toEqual([BRANCH]);
    const [p] = promotions;
    expect(p).toMatchObject({ head: await rev(dir, BRANCH), base: tip, behind: false, subject: 'approve churn 1.1.0 for Production', author: { email: ALICE.email } });
    expect(p.lines.map((l) => l.text)).toEqual([
      'churn 1.0.0: Production → Archived',
      'churn 1.1.0: approved for Production by alice@example.com',
      expect.stringMatching(/^churn 1\.1\.0: Staging → Production, archives 1\.0\.0; approvals: needs at least 2 .* found 1 \(alice@example\.com\)$/),
    ]);
    // The same decisions as the CLI's own check --base of that branch.
    const cli = await mr(dir, ['check', '--base', 'main', '--head', BRANCH, '--format', 'json']);
    expect(cli.code).toBe(1);
    const json = JSON.parse(cli.stdout);
    const shape = (ds: Array<{ allowed: boolean; checks: unknown[] }>) => ds.map((d) => ({ allowed: d.allowed, checks: d.checks }));
    expect(shape(p.check!.decisions)).toEqual(shape(json.decisions));
    expect(p.check!.ok).toBe(json.ok);
  });

  it('marks a branch the registry branch moved past, and compares it with where it left', async () => {
    const { dir } = await proposed();
    const forkPoint = await rev(dir, 'main');
    await (await openRegistry({ dir, identity: DANA, env: {} })).tag({ model: 'churn', set: { team: 'growth' } });
    const ctx = await Context.open({ dir, env: {} });
    const [p] = (await pendingPromotions(ctx)).promotions;
    expect(p).toMatchObject({ branch: BRANCH, behind: true, base: forkPoint });
    expect(p.lines.some((l) => /team|growth/.test(l.text))).toBe(false); // main's later tag is not part of the proposal
  });

  it('with a forge token, attaches the open pull request and counts its approving reviews', async () => {
    const { dir } = await proposed();
    await recordForgeApproval(dir);
    await git(dir, ['remote', 'add', 'origin', 'https://github.com/o/r.git']);
    // Without the forge, the record Dana wrote for bob is forged.
    const without = (await pendingPromotions(await Context.open({ dir, env: {} }))).promotions[0];
    expect(without.check!.problems.map((x) => x.rule)).toContain('forged-approval');
    const ctx = await Context.open({ dir, env: { GITHUB_TOKEN: 'ghp_t3stT0ken9f8e7d6c5b4a', GITHUB_API_URL: api } });
    const r = await pendingPromotions(ctx, { forge: true });
    expect(r.forge).toEqual({ name: 'github' });
    expect(r.promotions).toHaveLength(1);
    const [p] = r.promotions;
    expect(p.pullRequest).toMatchObject({ number: 7, url: 'https://github.com/o/r/pull/7', author: 'dana', head: BRANCH, approvers: ['bob'] });
    // alice's approval commit and bob's review make the two ml-leads approvals.
    const move = p.check!.decisions.find((d) => d.event.type === 'transition' && d.version === '1.1.0')!;
    expect(move.allowed).toBe(true);
    expect(p.lines.find((l) => l.text.startsWith('churn 1.1.0: Staging'))?.text).toMatch(/allowed by policy$/);
  });

  it('without a token says why no pull requests are listed, and still lists the branches', async () => {
    const { dir } = await proposed();
    await git(dir, ['remote', 'add', 'origin', 'https://github.com/o/r.git']);
    const r = await pendingPromotions(await Context.open({ dir, env: {} }), { forge: true });
    expect(r.forge?.error).toMatch(/GITHUB_TOKEN/);
    expect(r.promotions.map((p) => p.branch)).toEqual([BRANCH]);
  });
});

describe('pending promotions, kept by commit ids', () => {
  it('the same commits give the kept description; a new commit on the branch is checked again', async () => {
    const { dir } = await proposed();
    const memo = new Map();
    const ctx = await Context.open({ dir, env: {} });
    const first = (await pendingPromotions(ctx, { memo })).promotions[0];
    expect((await pendingPromotions(ctx, { memo })).promotions[0]).toBe(first);
    await (await openRegistry({ dir, identity: DANA, env: {} })).tag({ model: 'churn', version: '1.1.0', set: { reviewed: 'yes' }, branch: BRANCH });
    const next = (await pendingPromotions(await Context.open({ dir, env: {} }), { memo })).promotions[0];
    expect(next).not.toBe(first);
    expect(next.lines.map((l) => l.text)).toContain('churn 1.1.0: tag reviewed (none) → yes');
  });
});
