/**
 * Concurrent writers: four CLI processes each register five versions of one model with auto
 * bump, into one repository at the same time. The repository lock and the ref
 * compare-and-swap must serialise them: every registration succeeds with its own version, one
 * commit each, in a linear history, and the repository stays sound and clean.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ADA, BOB, CAROL, CONFIG_YAML, MALLORY, commitCount, git, gitFsck, gitLog, gitStatus, makeRepo, runCli, type CliResult } from '../helpers/repo.js';

describe('concurrent registrations', () => {
  it('4 processes x 5 auto-bumped registrations of one model: 20 versions, 20 commits, linear, clean', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '# Registry\n' });
    const start = commitCount(dir);
    const workers = [ADA, BOB, CAROL, MALLORY];
    const results: Array<{ who: string; i: number; r: CliResult }> = [];
    await Promise.all(workers.map(async (who) => {
      for (let i = 0; i < 5; i++) {
        const r = await runCli(['register', 'churn', '--artifact', `s3://models/churn/${who.name.split(' ')[0]}-${i}`, '--metric', `auc=0.${i + 1}`, '--json'], { cwd: dir, who });
        results.push({ who: who.email, i, r });
      }
    }));

    // All 20 succeed.
    const failed = results.filter((x) => x.r.code !== 0).map((x) => `${x.who}#${x.i}: exit ${x.r.code}: ${x.r.stderr}`);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(20);

    // 20 distinct versions: exactly 1.0.0 .. 1.19.0 (minor bumps from 1.0.0).
    const versions = results.map((x) => JSON.parse(x.r.stdout).version as string);
    expect(new Set(versions).size).toBe(20);
    expect([...versions].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))).toEqual(Array.from({ length: 20 }, (_, n) => `1.${n}.0`));
    const files = (await readdir(join(dir, 'registry/churn/versions'))).sort();
    expect(files).toEqual(Array.from({ length: 20 }, (_, n) => `1.${n}.0.yaml`).sort());

    // 20 new commits, one per registration, in a linear history.
    expect(commitCount(dir)).toBe(start + 20);
    expect(git(dir, ['rev-list', '--min-parents=2', 'HEAD']).stdout.trim()).toBe('');
    expect(Number(git(dir, ['rev-list', '--first-parent', '--count', 'HEAD']).stdout.trim())).toBe(start + 20);
    const log = gitLog(dir).slice(0, 20);
    const commits = new Set(results.map((x) => JSON.parse(x.r.stdout).commit as string));
    expect(new Set(log.map((e) => e.commit))).toEqual(commits);
    // Oldest first, the versions go up one minor at a time and each commit adds its own file.
    log.reverse().forEach((e, n) => {
      expect(e.subject).toBe(`register churn 1.${n}.0`);
      expect(e.trailers['Modelreg-Version']).toBe(`1.${n}.0`);
      const changed = git(dir, ['diff-tree', '--no-commit-id', '--name-status', '-r', e.commit]).stdout.trim().split('\n').sort();
      expect(changed).toEqual(n === 0 ? ['A\tregistry/churn/model.yaml', 'A\tregistry/churn/versions/1.0.0.yaml'] : [`A\tregistry/churn/versions/1.${n}.0.yaml`]);
    });
    // Each worker's commits are authored by that worker.
    for (const x of results) {
      const commit = JSON.parse(x.r.stdout).commit as string;
      expect(git(dir, ['log', '-1', '--format=%ae', commit]).stdout.trim()).toBe(x.who);
    }

    // Sound and clean: fsck, status, no lock left behind.
    const f = gitFsck(dir);
    expect(f.code, f.output).toBe(0);
    expect(f.output.split('\n').filter((l) => /^(error|warning|missing|broken|bad)/i.test(l))).toEqual([]);
    expect(gitStatus(dir)).toBe('');
    expect(existsSync(join(dir, '.git', 'modelreg.lock'))).toBe(false);
    expect(existsSync(join(dir, '.git', 'refs', 'heads', 'main.lock'))).toBe(false);
    expect(existsSync(join(dir, '.git', 'index.lock'))).toBe(false);

    const check = await runCli(['check'], { cwd: dir });
    expect(check.code).toBe(0);
  }, 120_000);

  it('concurrent library calls in one process are serialised too', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML });
    const start = commitCount(dir);
    const regs = await Promise.all([ADA, BOB, CAROL].map((identity) => openRegistry({ dir, identity, env: {} })));
    const results = await Promise.all(Array.from({ length: 9 }, (_, n) => regs[n % 3].register({ model: 'iris', artifact: `s3://iris/${n}`, bump: 'patch' })));
    expect(results.map((r) => r.version).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2])))
      .toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6', '1.0.7', '1.0.8']);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(commitCount(dir)).toBe(start + 9);
    expect(git(dir, ['rev-list', '--min-parents=2', 'HEAD']).stdout.trim()).toBe('');
    expect(gitFsck(dir).code).toBe(0);
    expect(gitStatus(dir)).toBe('');
  });
});
