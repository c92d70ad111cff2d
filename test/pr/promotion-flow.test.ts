/**
 * Promotion by pull request (issue 4), end to end against a real Git smart-HTTP server
 * (git http-backend) with several people, each in their own clone:
 *   DANA (data scientist) registers and proposes; ALICE and BOB (ml-leads) approve;
 *   MAINT merges; MALLORY is not trusted.
 * The base policy (policies/default.yaml on main): Staging -> Production needs 2 approvals from
 * ml-leads, the author of the move does not count.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { modelYaml, tempDir, versionYaml } from '../helpers/repo.js';
import {
  ALICE, BOB, DANA, MAINT, MALLORY, STRICT_POLICY,
  addApprovalsByHand, checkJson, commitAll, dump, errors, expectProblemShape, git, mr, mrOk, readText, rev, versionPath,
  writeText, type CliResult, type Person,
} from './helpers.js';

const BRANCH = 'modelreg/promote-m-1.0.0-production';
const V100 = versionPath('m', '1.0.0');

let server: GitServer;

beforeAll(async () => {
  server = await startGitServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Native git on the server's bare repository. */
async function onServer(name: string, args: string[], allowFail = false) {
  return git(tmpdir(), ['--git-dir', join(server.root, `${name}.git`), ...args], { allowFail });
}

/**
 * A bare repository on the server whose main holds `modelreg init`'s registry with the strict
 * policy, pushed by the maintainer with plain git. Resolves to its clone URL.
 */
async function seedRegistry(name: string, files: Record<string, string> = {}): Promise<string> {
  const url = await server.createBare(name);
  const parent = await tempDir('modelreg-seed-');
  const seed = join(parent, 'seed');
  await mrOk(parent, ['init', seed], MAINT);
  await writeText(seed, 'policies/default.yaml', STRICT_POLICY);
  await commitAll(seed, 'policy: two approvals from ml-leads for Production', MAINT);
  if (Object.keys(files).length) {
    for (const [path, text] of Object.entries(files)) await writeText(seed, path, text);
    await commitAll(seed, 'registry as it stands', MAINT);
  }
  await git(seed, ['remote', 'add', 'origin', url]);
  await git(seed, ['push', '-q', 'origin', 'main']);
  return url;
}

/** A person's own clone of the server repository (plain `git clone` over HTTP). */
async function cloneAs(url: string, who: Person): Promise<string> {
  const parent = await tempDir(`modelreg-${who.email.split('@')[0]}-`);
  const dir = join(parent, 'registry');
  await git(parent, ['clone', '-q', url, dir], { who });
  return dir;
}

/** Version of a "Registered m X.Y.Z" line. */
function registered(r: CliResult): string {
  const m = /Registered m (\d+\.\d+\.\d+)/.exec(r.stdout);
  expect(m, `no "Registered" line in: ${r.stdout}${r.stderr}`).not.toBeNull();
  return m![1];
}

describe('a promotion by pull request, from proposal to merge', () => {
  let url: string;
  let dana: string;
  let alice: string;
  let bob: string;
  let mainBefore: string;

  beforeAll(async () => {
    url = await seedRegistry('flow');
    dana = await cloneAs(url, DANA);
  });

  it('init writes a CI workflow that checks pull requests against their base and the merge result', async () => {
    const wf = await readText(dana, '.github/workflows/modelreg.yml');
    expect(wf).toMatch(/pull_request:/);
    expect(wf).toContain('check --base "origin/${{ github.base_ref }}" --format github');
    expect(wf).toMatch(/merge_group:/);
  });

  it('dana registers two versions and promotes one to Staging, each pushed with --push', async () => {
    const r1 = await mrOk(dana, ['register', 'm', '--artifact', 's3://models/m/1.0.0', '--metric', 'auc=0.91', '--push']);
    expect(registered(r1)).toBe('1.0.0');
    expect(r1.stdout).toContain('pushed');
    const r2 = await mrOk(dana, ['register', 'm', '--artifact', 's3://models/m/1.1.0', '--metric', 'auc=0.93', '--push']);
    expect(registered(r2)).toBe('1.1.0');
    const p = await mrOk(dana, ['promote', 'm', '1.0.0', '--to', 'Staging', '--push']);
    expect(p.stdout).toMatch(/m 1\.0\.0: None -> Staging in [0-9a-f]{12} on main, pushed/);
    const log = (await onServer('flow', ['log', '--format=%ae %s', '-3', 'main'])).stdout.trim().split('\n');
    expect(log).toEqual(['dana@example.com promote m 1.0.0: None -> Staging', 'dana@example.com register m 1.1.0', 'dana@example.com register m 1.0.0']);
    expect((await onServer('flow', ['rev-parse', 'main'])).stdout.trim()).toBe(await rev(dana, 'main'));
    mainBefore = await rev(dana, 'main');
  });

  it(`dana proposes the promotion with --branch --push: ${BRANCH} is on the server, main is untouched`, async () => {
    const r = await mrOk(dana, ['promote', 'm', '1.0.0', '--to', 'Production', '--branch', '--push']);
    expect(r.stdout).toContain(`m 1.0.0: Staging -> Production in`);
    expect(r.stdout).toContain(`on ${BRANCH}, pushed`);
    // Approvals are still missing: the command says so and still commits on the branch.
    expect(r.stdout).toMatch(/✗ approvals: needs at least 2 approvals for Production from ml-leads, not the author; found 0/);
    const tip = (await onServer('flow', ['rev-parse', `refs/heads/${BRANCH}`])).stdout.trim();
    expect(tip).toMatch(/^[0-9a-f]{40}$/);
    expect((await onServer('flow', ['rev-parse', `${BRANCH}~1`])).stdout.trim()).toBe(mainBefore);
    expect((await onServer('flow', ['rev-parse', 'main'])).stdout.trim()).toBe(mainBefore);
    expect((await onServer('flow', ['show', `${BRANCH}:${V100}`])).stdout).toMatch(/^stage: Production$/m);
    expect((await onServer('flow', ['log', '-1', '--format=%ae%n%B', BRANCH])).stdout).toMatch(/^dana@example\.com\npromote m 1\.0\.0: Staging -> Production\n[\s\S]*Modelreg-To: Production/);
    // Dana's checkout stays on main, as it was.
    expect((await git(dana, ['symbolic-ref', 'HEAD'])).stdout.trim()).toBe('refs/heads/main');
    expect(await readText(dana, V100)).toMatch(/^stage: Staging$/m);
  });

  it('check --base origin/main on the branch fails and lists the missing approvals (text)', async () => {
    await git(dana, ['checkout', '-q', BRANCH], { who: DANA });
    const r = await mr(dana, ['check', '--base', 'origin/main']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('m 1.0.0: Staging → Production');
    expect(r.stdout).toContain('✗ approvals: needs at least 2 approvals for Production from ml-leads, not the author; found 0');
    expect(r.stdout).toMatch(/registry\/m\/versions\/1\.0\.0\.yaml:4:1: .*\[policy-transition\]/);
    expect(r.stdout).toMatch(/✗ .*1 error/);
  });

  it('check --base origin/main --format json: {ok:false, problems:[{file,line,column,rule,message,severity}], events:[…]}', async () => {
    const { code, report } = await checkJson(dana, ['--base', 'origin/main'], DANA);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expectProblemShape(report);
    expect(report.problems).toEqual([expect.objectContaining({
      file: V100, line: 4, column: 1, rule: 'policy-transition', severity: 'error',
      message: expect.stringMatching(/m 1\.0\.0: Staging → Production.*approvals needs at least 2 approvals for Production from ml-leads, not the author, found 0/),
    })]);
    expect(report.events).toEqual([expect.objectContaining({ type: 'transition', model: 'm', version: '1.0.0', from: 'Staging', to: 'Production', description: 'm 1.0.0: Staging → Production' })]);
    expect(report.base).toBe(mainBefore);
    expect(report.head).toBe(await rev(dana));
  });

  it('check --format github: ::error annotations on stdout and a markdown summary appended to $GITHUB_STEP_SUMMARY', async () => {
    const summary = join(await tempDir('modelreg-summary-'), 'summary.md');
    await writeFile(summary, 'output of an earlier step\n');
    const r = await mr(dana, ['check', '--base', 'origin/main', '--format', 'github'], DANA, { GITHUB_STEP_SUMMARY: summary });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^::error file=registry\/m\/versions\/1\.0\.0\.yaml,line=4,col=1,title=modelreg policy-transition::.*approvals.*found 0$/m);
    const md = await readFile(summary, 'utf8');
    expect(md.startsWith('output of an earlier step\n')).toBe(true);
    expect(md).toContain('## modelreg check: ❌ failed');
    expect(md).toContain('- m 1.0.0: Staging → Production');
    expect(md).toMatch(/\| approvals \| at least 2 approvals for Production from ml-leads, not the author \| 0 \| ❌ \|/);
    expect(md).toMatch(/\| registry\/m\/versions\/1\.0\.0\.yaml \| 4 \| policy-transition \|/);
  });

  it('mallory pushes a copy of the branch with approvals forged for alice and bob: check fails with forged-approval', async () => {
    const mallory = await cloneAs(url, MALLORY);
    await git(mallory, ['checkout', '-q', '-b', 'mallory/fast-track', `origin/${BRANCH}`], { who: MALLORY });
    await addApprovalsByHand(mallory, V100, [
      { by: ALICE.email, stage: 'Production', at: '2024-03-01T09:00:00Z' },
      { by: BOB.email, stage: 'Production', at: '2024-03-01T09:05:00Z' },
    ]);
    await commitAll(mallory, 'record approvals given in the meeting', MALLORY);
    await git(mallory, ['push', '-q', 'origin', 'mallory/fast-track'], { who: MALLORY });
    const { code, report } = await checkJson(mallory, ['--base', 'origin/main'], MALLORY);
    expect(code, dump(report)).toBe(1);
    const forged = errors(report).filter((p) => p.rule === 'forged-approval');
    expect(forged.map((p) => p.message).sort()).toEqual([
      expect.stringMatching(/^approval by alice@example\.com for Production was added by mallory@example\.com in [0-9a-f]{12}, not by alice@example\.com/),
      expect.stringMatching(/^approval by bob@example\.com for Production was added by mallory@example\.com in [0-9a-f]{12}, not by bob@example\.com/),
    ]);
    expect(forged.every((p) => p.file === V100 && p.field === 'approvals')).toBe(true);
    expect(errors(report).find((p) => p.rule === 'policy-transition')?.message).toMatch(/found 0/);
    // The real branch is untouched.
    expect((await onServer('flow', ['log', '-1', '--format=%ae', BRANCH])).stdout.trim()).toBe(DANA.email);
  });

  it('alice and bob each check out the branch in their own clone and `modelreg approve … --stage Production --push`', async () => {
    alice = await cloneAs(url, ALICE);
    bob = await cloneAs(url, BOB);
    await git(alice, ['checkout', '-q', BRANCH], { who: ALICE });
    await git(bob, ['checkout', '-q', BRANCH], { who: BOB });
    const results: Array<[Person, CliResult]> = [];
    for (const [who, dir] of [[ALICE, alice], [BOB, bob]] as const) {
      const r = await mr(dir, ['approve', 'm', '1.0.0', '--stage', 'Production', '--comment', 'looks good', '--push'], who);
      results.push([who, r]);
      if (r.code !== 0) {
        // Workaround so the rest of the flow still runs: the approver commits the same record
        // by hand (still authored by the approver, so the check counts it). The test fails below.
        await git(dir, ['pull', '-q', '--ff-only', 'origin', BRANCH], { who });
        await addApprovalsByHand(dir, V100, [{ by: who.email, stage: 'Production', at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }]);
        await commitAll(dir, `approve m 1.0.0 for Production`, who);
        await git(dir, ['push', '-q', 'origin', BRANCH], { who });
      }
    }
    const log = (await onServer('flow', ['log', '--format=%ae %s', '-3', BRANCH])).stdout.trim().split('\n');
    expect(log.slice(0, 2)).toEqual(['bob@example.com approve m 1.0.0 for Production', 'alice@example.com approve m 1.0.0 for Production']);
    const onBranch = (await onServer('flow', ['show', `${BRANCH}:${V100}`])).stdout;
    expect(onBranch).toMatch(/by: alice@example\.com\n\s+stage: Production/);
    expect(onBranch).toMatch(/by: bob@example\.com\n\s+stage: Production/);
    for (const [who, r] of results) {
      expect(r.code, `modelreg approve m 1.0.0 --stage Production --push as ${who.email} on ${BRANCH}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`${who.email} approved m 1.0.0 for Production`);
      expect(r.stdout).toContain('pushed');
    }
  });

  it('with both approvals, check --base origin/main on the branch passes', async () => {
    await git(dana, ['pull', '-q', '--ff-only', 'origin', BRANCH], { who: DANA });
    const text = await mr(dana, ['check', '--base', 'origin/main']);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toContain('✓ approvals: needs at least 2 approvals for Production from ml-leads, not the author; found 2 (alice@example.com, bob@example.com)');
    const { code, report } = await checkJson(dana, ['--base', 'origin/main'], DANA);
    expect(code, dump(report)).toBe(0);
    expect(report.ok).toBe(true);
    expect(errors(report)).toEqual([]);
    expect(report.events.map((e) => e.description)).toEqual(expect.arrayContaining([
      'm 1.0.0: Staging → Production',
      'm 1.0.0: approved for Production by alice@example.com',
      'm 1.0.0: approved for Production by bob@example.com',
    ]));
  });

  it("check --base origin/main passes on the pull request's merge result too (what CI checks out: refs/pull/N/merge)", async () => {
    const parent = await tempDir('modelreg-ci-');
    const ci = join(parent, 'ci');
    await git(parent, ['clone', '-q', url, ci]);
    await git(ci, ['checkout', '-q', '-b', 'pull-1-merge', 'origin/main']);
    await git(ci, ['merge', '-q', '--no-ff', '-m', `Merge ${BRANCH} into main`, `origin/${BRANCH}`], { who: { name: 'GitHub', email: 'noreply@github.com' } });
    const { code, report } = await checkJson(ci, ['--base', 'origin/main']);
    expect(code, `the merge result of an approved pull request should pass:\n${dump(report)}`).toBe(0);
  });

  it('the maintainer merges the branch into main (git merge --no-ff) and pushes; check on main passes', async () => {
    const maint = await cloneAs(url, MAINT);
    await git(maint, ['merge', '-q', '--no-ff', '-m', `Merge pull request #1 from ${BRANCH}`, `origin/${BRANCH}`], { who: MAINT });
    await git(maint, ['push', '-q', 'origin', 'main'], { who: MAINT });
    expect((await onServer('flow', ['rev-parse', 'main'])).stdout.trim()).toBe(await rev(maint));
    const check = await mr(maint, ['check'], MAINT);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/✓ .*1 model, 2 versions: 0 errors/);

    const resolved = await mrOk(maint, ['resolve', 'models:/m/Production'], MAINT);
    expect(resolved.stdout).toMatch(/^m 1\.0\.0 \(Production\)\ns3:\/\/models\/m\/1\.0\.0/);
    const asJson = JSON.parse((await mrOk(maint, ['resolve', 'models:/m/Production', '--json'], MAINT)).stdout);
    expect(asJson).toMatchObject({ model: 'm', version: '1.0.0', stage: 'Production', artifact: { uri: 's3://models/m/1.0.0' } });

    const d = await mrOk(maint, ['diff', 'main~1', 'main'], MAINT);
    expect(d.stdout.split('\n')).toEqual(expect.arrayContaining([expect.stringMatching(/^m 1\.0\.0: Staging → Production/)]));
    expect(d.stdout).toContain('m 1.0.0: approved for Production by alice@example.com');
  });

  it('diff main~1 main of the merge does not claim that the approved promotion lacks approvals', async () => {
    const maint = await cloneAs(url, MAINT);
    const d = await mrOk(maint, ['diff', 'main~1', 'main'], MAINT);
    const line = d.stdout.split('\n').find((l) => l.startsWith('m 1.0.0: Staging → Production'));
    expect(line, d.stdout).toBeDefined();
    expect(line).not.toMatch(/found 0/);
    expect(line).toMatch(/allowed by policy/);
  });

  it('dana syncs her main (modelreg sync) and resolves the new Production version', async () => {
    await git(dana, ['checkout', '-q', 'main'], { who: DANA });
    const s = await mrOk(dana, ['sync']);
    expect(s.stdout).toMatch(/^main: [0-9a-f]{12} -> [0-9a-f]{12}$/m);
    expect(await rev(dana, 'main')).toBe((await onServer('flow', ['rev-parse', 'main'])).stdout.trim());
    expect(await readText(dana, V100)).toMatch(/^stage: Production$/m);
    const r = await mrOk(dana, ['resolve', 'models:/m/Production', '--json']);
    expect(JSON.parse(r.stdout).version).toBe('1.0.0');
    expect((await onServer('flow', ['fsck', '--strict', '--no-progress'])).code).toBe(0);
  });
});

describe('two pull requests promoting different versions into the exclusive Production stage', () => {
  it('merge without a Git conflict, leave two versions in Production, and check on the result fails with exclusive-stage', async () => {
    // main as it stands (the base is trusted): 1.0.0 in Production, 1.1.0 and 1.2.0 in Staging.
    const url = await seedRegistry('exclusive', {
      'registry/m/model.yaml': modelYaml('m', '', DANA),
      [versionPath('m', '1.0.0')]: versionYaml('m', '1.0.0', 'Production', '', DANA),
      [versionPath('m', '1.1.0')]: versionYaml('m', '1.1.0', 'Staging', '', DANA),
      [versionPath('m', '1.2.0')]: versionYaml('m', '1.2.0', 'Staging', '', DANA),
    });
    const dana = await cloneAs(url, DANA);
    const base = (await onServer('exclusive', ['rev-parse', 'main'])).stdout.trim();
    expect(await rev(dana, 'main')).toBe(base);

    // Two pull requests, each promoting another version; each archives 1.0.0 with the same line.
    const a = await mrOk(dana, ['promote', 'm', '1.1.0', '--to', 'Production', '--branch', '--push']);
    expect(a.stdout).toContain('archived 1.0.0');
    const b = await mrOk(dana, ['promote', 'm', '1.2.0', '--to', 'Production', '--branch', '--push']);
    expect(b.stdout).toContain('archived 1.0.0');
    for (const [br, v] of [['modelreg/promote-m-1.1.0-production', '1.1.0'], ['modelreg/promote-m-1.2.0-production', '1.2.0']]) {
      expect((await onServer('exclusive', ['rev-parse', `${br}~1`])).stdout.trim()).toBe(base);
      expect((await onServer('exclusive', ['diff', '--name-only', base, br])).stdout.trim().split('\n').sort()).toEqual([versionPath('m', '1.0.0'), versionPath('m', v)]);
    }
    // Each pull request alone does not break exclusivity.
    const alone = await checkJson(dana, ['--base', 'origin/main', '--head', 'origin/modelreg/promote-m-1.1.0-production'], DANA);
    expect(alone.report.problems.map((p) => p.rule)).not.toContain('exclusive-stage');

    const maint = await cloneAs(url, MAINT);
    for (const br of ['modelreg/promote-m-1.1.0-production', 'modelreg/promote-m-1.2.0-production']) {
      const m = await git(maint, ['merge', '--no-ff', '-m', `Merge ${br}`, `origin/${br}`], { who: MAINT, allowFail: true });
      expect(m.code, `git merge ${br}: ${m.stdout}${m.stderr}`).toBe(0);
    }
    expect((await git(maint, ['diff', '--name-only', '--diff-filter=U'])).stdout.trim()).toBe('');
    await git(maint, ['push', '-q', 'origin', 'main'], { who: MAINT });

    expect(await readText(maint, versionPath('m', '1.0.0'))).toMatch(/^stage: Archived$/m);
    expect(await readText(maint, versionPath('m', '1.1.0'))).toMatch(/^stage: Production$/m);
    expect(await readText(maint, versionPath('m', '1.2.0'))).toMatch(/^stage: Production$/m);

    const merged = await checkJson(maint, []);
    expect(merged.code, dump(merged.report)).toBe(1);
    expectProblemShape(merged.report);
    expect(errors(merged.report)).toEqual(expect.arrayContaining([expect.objectContaining({
      rule: 'exclusive-stage', file: 'registry/m/model.yaml',
      message: expect.stringMatching(/stage Production is exclusive, but 2 versions of m are in it \(1\.(1\.0, 1\.2\.0|2\.0, 1\.1\.0)\)/),
    })]));
    const text = await mr(maint, ['check'], MAINT);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('[exclusive-stage]');
    // The merge result checked against the base (what a merge queue runs) fails the same way.
    const queued = await checkJson(maint, ['--base', base]);
    expect(queued.code).toBe(1);
    expect(errors(queued.report).map((p) => p.rule)).toContain('exclusive-stage');
  }, 120_000);
});

describe('--push races', () => {
  it('clones registering at the same moment with --push all end up on the server, with distinct versions', async () => {
    const url = await seedRegistry('race');
    const first = await cloneAs(url, DANA);
    await mrOk(first, ['register', 'm', '--artifact', 's3://race/seed', '--push']);
    const people = [DANA, ALICE, BOB];
    const dirs = await Promise.all(people.map((p) => cloneAs(url, p)));
    const results = await Promise.all(people.map((p, i) => mr(dirs[i], ['register', 'm', '--artifact', `s3://race/${p.email}`, '--push'], p)));
    results.forEach((r, i) => expect(r.code, `${people[i].email}: ${r.stdout}${r.stderr}`).toBe(0));
    const versions = results.map(registered);
    expect(new Set(versions).size).toBe(people.length);
    expect([...versions].sort()).toEqual(['1.1.0', '1.2.0', '1.3.0']);
    const files = (await onServer('race', ['ls-tree', '-r', '--name-only', 'main', 'registry/m/versions'])).stdout.trim().split('\n');
    expect(files.sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0'].map((v) => versionPath('m', v)));
    // Nothing lost or swapped: each reported version holds that person's artifact, registered by them.
    for (let i = 0; i < people.length; i++) {
      const file = (await onServer('race', ['show', `main:${versionPath('m', versions[i])}`])).stdout;
      expect(file).toContain(`uri: s3://race/${people[i].email}`);
      expect(file).toContain(`by: ${people[i].email}`);
    }
    expect((await onServer('race', ['rev-list', '--count', 'main', '--grep=^register m'])).stdout.trim()).toBe('4');
    expect((await onServer('race', ['rev-list', '--merges', 'main'])).stdout.trim()).toBe('');
    expect((await onServer('race', ['fsck', '--strict', '--no-progress'])).code).toBe(0);
  }, 120_000);
});

describe('register --version', () => {
  it('registers exactly the version given (not swallowed by the global -V/--version)', async () => {
    const parent = await tempDir('modelreg-version-');
    const dir = join(parent, 'r');
    await mrOk(parent, ['init', dir], MAINT);
    const r = await mr(dir, ['register', 'm', '--artifact', 's3://models/m/2.0.0', '--version', '2.0.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Registered m 2.0.0');
    expect(await readText(dir, versionPath('m', '2.0.0'))).toMatch(/^version: 2\.0\.0$/m);
  });
});
