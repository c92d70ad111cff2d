/**
 * The workflow end to end on a real repository, with several people: two approvals from a
 * group, approval by the author not counting, an exclusive stage archiving the previous
 * holder in the same commit, rollback by revert, and answers at earlier points in time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry, openRegistry, isRegistryError, type Registry } from '../../src/index.js';
import { policyYaml } from '../policy/fixtures.js';
import { ADA, BOB, CAROL, MALLORY, cleanup, commitCount, fixedClock, git, gitFsck, gitStatus, tempDir, type Person } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = policyYaml({
  groups: { 'ml-leads': ['bob@example.com', 'carol@example.com', 'ada@example.com'] },
  rules: [
    { from: 'None', to: 'Staging', when: 'version.metrics.auc >= 0.8' },
    { from: 'Staging', to: 'Production', approvals: '{ min: 2, from: [ml-leads], allowAuthor: false }' },
    { from: '*', to: 'Archived' },
  ],
  rollback: '{ min: 0 }',
});

describe('the promotion workflow with approvals, archiving and rollback', () => {
  it('runs end to end, one commit per step, with answers at every point in time', async () => {
    const dir = join(await tempDir('mrflow-'), 'reg');
    const clock = fixedClock('2026-03-01T09:00:00Z');
    await initRegistry({ dir }, { identity: ADA, now: clock.now });
    await writeFile(join(dir, 'policies', 'default.yaml'), POLICY);
    git(dir, ['commit', '-qam', 'strict default policy']);
    const as = async (who: Person): Promise<Registry> => openRegistry({ dir, identity: who, now: clock.now });
    const ada = await as(ADA);
    const commits = () => commitCount(dir);

    // Two versions; the first moves to Staging (its guard holds), the second's guard fails.
    await ada.register({ model: 'churn', artifact: 's3://m/1', metrics: { auc: 0.85 } });
    await ada.register({ model: 'churn', artifact: 's3://m/2', metrics: { auc: 0.91 } });
    await ada.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
    const afterStaging = git(dir, ['rev-parse', 'HEAD']).stdout.trim();

    // Production without approvals: denied, nothing committed.
    let n = commits();
    await expect(ada.transition({ model: 'churn', version: '1.0.0', stage: 'Production' })).rejects.toMatchObject({ code: 'DENIED' });
    expect(commits()).toBe(n);

    // Ada approves her own promotion: recorded, but with allowAuthor: false it does not count for her.
    await ada.approve({ model: 'churn', version: '1.0.0', stage: 'Production' });
    const bob = await as(BOB);
    await bob.approve({ model: 'churn', version: '1.0.0', stage: 'Production', comment: 'metrics reviewed' });
    n = commits();
    const denied = await ada.transition({ model: 'churn', version: '1.0.0', stage: 'Production' }).catch((e) => e);
    expect(isRegistryError(denied, 'DENIED')).toBe(true);
    const approvalsCheck = (denied.data.decision as { checks: Array<{ name: string; ok: boolean; actual: string }> }).checks.find((c) => c.name === 'approvals')!;
    expect(approvalsCheck.ok).toBe(false);
    expect(approvalsCheck.actual).toContain('1');
    expect(commits()).toBe(n);

    // Approving twice is refused; a second lead's approval makes two that count.
    await expect(bob.approve({ model: 'churn', version: '1.0.0', stage: 'Production' })).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
    const carol = await as(CAROL);
    await carol.approve({ model: 'churn', version: '1.0.0', stage: 'Production' });
    clock.advance(3600_000);
    const promoted = await ada.transition({ model: 'churn', version: '1.0.0', stage: 'Production' });
    expect(promoted.allowed).toBe(true);
    expect(git(dir, ['log', '-1', '--format=%an <%ae>%n%B']).stdout).toContain('Modelreg-To: Production');
    expect((await ada.resolve({ uri: 'models:/churn/Production' })).version).toBe('1.0.0');
    const firstInProduction = git(dir, ['rev-parse', 'HEAD']).stdout.trim();

    // The second version: through Staging (its guard holds), approved by two leads, promoted;
    // the first is archived in the same commit.
    await ada.transition({ model: 'churn', version: '1.1.0', stage: 'Staging' });
    await bob.approve({ model: 'churn', version: '1.1.0', stage: 'Production' });
    await carol.approve({ model: 'churn', version: '1.1.0', stage: 'Production' });
    clock.advance(3600_000);
    const second = await (await as(MALLORY)).transition({ model: 'churn', version: '1.1.0', stage: 'Production' });
    expect(second.archived).toEqual(['1.0.0']);
    expect(git(dir, ['show', '--stat', '--format=', 'HEAD']).stdout).toMatch(/1\.0\.0\.yaml[\s\S]*1\.1\.0\.yaml/);
    expect((await ada.show({ model: 'churn', version: '1.0.0' })).stage).toBe('Archived');

    // Roll back: 1.0.0 is back in Production, 1.1.0 back in Staging, as a real revert.
    const rolled = await ada.rollback({ model: 'churn', reason: 'latency regression' });
    expect(rolled.restored).toBe('1.0.0');
    const message = git(dir, ['log', '-1', '--format=%B']).stdout;
    expect(message).toMatch(/^Revert "promote churn 1\.1\.0: Staging -> Production"\n\nThis reverts commit [0-9a-f]{40}\./);
    expect(message).toContain('Reason: latency regression');
    expect((await ada.resolve({ uri: 'models:/churn/Production' })).version).toBe('1.0.0');
    expect((await ada.show({ model: 'churn', version: '1.1.0' })).stage).toBe('Staging');

    // Point in time: by ref and by date.
    expect((await ada.resolve({ uri: 'models:/churn/Staging', at: afterStaging })).version).toBe('1.0.0');
    await expect(ada.resolve({ uri: 'models:/churn/Production', at: afterStaging })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ada.resolve({ uri: 'models:/churn/Production', at: firstInProduction })).version).toBe('1.0.0');
    expect((await ada.resolve({ uri: 'models:/churn/Production', at: 'HEAD~1' })).version).toBe('1.1.0');

    // History tells the story, newest first, with who did what.
    const { entries } = await ada.history({ model: 'churn' });
    expect(entries[0].reverts).toMatch(/^[0-9a-f]{40}$/);
    const lines = entries.flatMap((e) => e.events.map((x) => `${e.author} ${x.description}`));
    expect(lines).toContain('mallory@example.com churn 1.1.0: Staging → Production, archives 1.0.0');
    expect(lines).toContain('bob@example.com churn 1.0.0: approved for Production by bob@example.com');
    expect(lines).toContain('ada@example.com churn 1.0.0: Archived → Production, replaces 1.1.0');

    // The repository stays clean and valid throughout.
    expect(gitFsck(dir).code).toBe(0);
    expect(gitStatus(dir)).toBe('');
    expect((await ada.check()).ok).toBe(true);
  });
});
