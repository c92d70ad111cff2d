/**
 * `check --base` re-reads the source registry at the commit an `origin` block names: a pull
 * request whose provenance claim holds passes; a forged record or stage fails (origin-forged,
 * exit 1); a source that cannot be read is a warning, an error with --verify-origin.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, headCommit, runCli } from '../helpers/repo.js';
import { devRegistry, prodRegistry } from './fixtures.js';

let dev: string;
let imported: string;
let devCommit: string;

/** A prod registry on main and a checked-out branch `pr` whose one commit adds `file`. */
async function pullRequest(content: string): Promise<string> {
  const prod = await prodRegistry();
  git(prod, ['checkout', '-q', '-b', 'pr']);
  await commitFiles(prod, { 'registry/churn/model.yaml': MODEL, 'registry/churn/versions/1.2.0.yaml': content }, 'register churn 1.2.0');
  return prod;
}

let MODEL: string;

beforeAll(async () => {
  ({ dir: dev } = await devRegistry());
  devCommit = headCommit(dev);
  const prod = await prodRegistry();
  const r = await runCli(['import', '--from', dev, 'churn', '1.2.0', '--branch', 'pr'], { cwd: prod });
  expect(r.code).toBe(0);
  imported = git(prod, ['show', 'pr:registry/churn/versions/1.2.0.yaml']).stdout;
  MODEL = git(prod, ['show', 'pr:registry/churn/model.yaml']).stdout;
  expect(imported).toContain(devCommit);
});

describe('check --base verifies origin claims', () => {
  it('passes a pull request whose import is what the source had at that commit', async () => {
    const prod = await pullRequest(imported);
    const r = await runCli(['check', '--base', 'main'], { cwd: prod });
    expect(r.stdout).not.toMatch(/origin-/);
    expect(r.code).toBe(0);
  });

  it('fails a forged record: metrics that differ from the source', async () => {
    const prod = await pullRequest(imported.replace('auc: 0.91', 'auc: 0.99'));
    const r = await runCli(['check', '--base', 'main', '--format', 'json'], { cwd: prod });
    expect(r.code).toBe(1);
    const problems = JSON.parse(r.stdout).problems as Array<{ rule: string; message: string; file: string; line: number }>;
    const p = problems.find((x) => x.rule === 'origin-forged');
    expect(p?.message).toMatch(/its metrics field differs from the source's record/);
    expect(p?.file).toBe('registry/churn/versions/1.2.0.yaml');
  });

  it('fails a forged stage: the version was not in the claimed stage at that commit', async () => {
    const prod = await pullRequest(imported.replace(/(origin:[\s\S]*stage: )Staging/, '$1Production'));
    const r = await runCli(['check', '--base', 'main'], { cwd: prod });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/at that commit it was in Staging, not Production/);
  });

  it('fails a commit the source does not have', async () => {
    const prod = await pullRequest(imported.replace(devCommit, 'f'.repeat(40)));
    const r = await runCli(['check', '--base', 'main'], { cwd: prod });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the source has no commit ffffffffffff/);
  });

  it('an unreachable source is a named warning, and an error with --verify-origin', async () => {
    const prod = await pullRequest(imported.replace(`registry: ${dev}`, 'registry: /nonexistent/dev-registry'));
    const warn = await runCli(['check', '--base', 'main'], { cwd: prod });
    expect(warn.stdout).toMatch(/origin-unreachable/);
    expect(warn.code).toBe(0);
    const strict = await runCli(['check', '--base', 'main', '--verify-origin'], { cwd: prod });
    expect(strict.stdout).toMatch(/origin-unreachable/);
    expect(strict.code).toBe(1);
  });

  it('an origin block edited after the import is an immutable-field change', async () => {
    const prod = await prodRegistry();
    await commitFiles(prod, { 'registry/churn/model.yaml': MODEL, 'registry/churn/versions/1.2.0.yaml': imported }, 'import');
    git(prod, ['checkout', '-q', '-b', 'pr']);
    await commitFiles(prod, { 'registry/churn/versions/1.2.0.yaml': imported.replace(/(origin:[\s\S]*stage: )Staging/, '$1Production') }, 'edit origin');
    const r = await runCli(['check', '--base', 'main'], { cwd: prod });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/origin of churn 1.2.0 changed/);
  });
});
