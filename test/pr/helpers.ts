/**
 * Helpers for the pull-request suites (test/pr): people, the policy under test, native Git run
 * asynchronously (the smart-HTTP test server answers from this same process, so a blocking
 * spawnSync of `git clone`/`git push` would deadlock), and the built CLI run as a given person.
 *
 * @example
 * const r = await mr(dir, ['check', '--base', 'main', '--format', 'json'], MALLORY);
 * expect(rules(r)).toContain('forged-approval');
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { homeDir, nextGitDate, runCli, tempDir, type CliResult, type Person } from '../helpers/repo.js';

export type { Person, CliResult };

export const DANA: Person = { name: 'Dana Scientist', email: 'dana@example.com' };
export const ALICE: Person = { name: 'Alice Lead', email: 'alice@example.com' };
export const BOB: Person = { name: 'Bob Lead', email: 'bob@example.com' };
export const MALLORY: Person = { name: 'Mallory Intruder', email: 'mallory@example.com' };
export const MAINT: Person = { name: 'Max Maintainer', email: 'maint@example.com' };

/**
 * The policies both suites put in policies/ at base: STRICT_POLICY (the default: Staging ->
 * Production needs two approvals from ml-leads, alice and bob, not the author's; rollbacks need
 * nothing) and LAX_POLICY (any move, no approvals).
 */
export { LAX_POLICY, STRICT_POLICY } from '../policy/fixtures.js';

export interface GitResult { code: number; stdout: string; stderr: string }

/** Native git, asynchronously, as `who` (author and committer), with no user or system config. */
export async function git(cwd: string, args: string[], opts: { who?: Person; allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<GitResult> {
  const who = opts.who ?? MAINT;
  const date = nextGitDate();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: await homeDir(), LANG: 'C', LC_ALL: 'C', TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email,
    GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date,
    ...opts.env,
  };
  const r = await new Promise<GitResult>((resolve) => {
    execFile('git', args, { cwd, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
  if (r.code !== 0 && !opts.allowFail) throw new Error(`git ${args.join(' ')} (in ${cwd}) failed (${r.code}): ${r.stderr}`);
  return r;
}

/** `git rev-parse REV` (trimmed). */
export async function rev(cwd: string, revision = 'HEAD'): Promise<string> {
  return (await git(cwd, ['rev-parse', revision])).stdout.trim();
}

/** Runs the built CLI in `cwd` as `who` (author and committer both). */
export async function mr(cwd: string, args: string[], who: Person = DANA, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { cwd, who, env: { GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email, ...env } });
}

/** Runs the CLI and expects exit 0, with the output in the failure message otherwise. */
export async function mrOk(cwd: string, args: string[], who: Person = DANA, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await mr(cwd, args, who, env);
  expect(r.code, `modelreg ${args.join(' ')} as ${who.email}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

export interface CheckJson {
  ok: boolean;
  base?: string;
  head?: string;
  events: Array<{ type: string; description: string; [k: string]: unknown }>;
  decisions?: Array<{ event: string; allowed: boolean; checks: Array<{ name: string; ok: boolean; expected: string; actual: string }>; message: string }>;
  problems: Array<{ file: string; line: number; column: number; rule: string; message: string; severity: string; field?: string }>;
}

/** `modelreg check ARGS --format json`: the exit code and the parsed report. */
export async function checkJson(cwd: string, args: string[], who: Person = MAINT): Promise<{ code: number; report: CheckJson; raw: CliResult }> {
  const raw = await mr(cwd, ['check', ...args, '--format', 'json'], who);
  let report: CheckJson;
  try {
    report = JSON.parse(raw.stdout) as CheckJson;
  } catch {
    throw new Error(`check did not print JSON (exit ${raw.code})\nstdout: ${raw.stdout}\nstderr: ${raw.stderr}`);
  }
  return { code: raw.code, report, raw };
}

/** The problems of a report that are errors. */
export function errors(report: CheckJson) {
  return report.problems.filter((p) => p.severity === 'error');
}

/** A readable dump of a report's problems for assertion messages. */
export function dump(report: CheckJson): string {
  return report.problems.map((p) => `${p.severity} ${p.file}:${p.line}:${p.column} [${p.rule}] ${p.message}`).join('\n') || '(no problems)';
}

/** Asserts the shape every problem in `--format json` has. */
export function expectProblemShape(report: CheckJson): void {
  for (const p of report.problems) {
    expect(p).toEqual(expect.objectContaining({
      file: expect.any(String), line: expect.any(Number), column: expect.any(Number),
      rule: expect.any(String), message: expect.any(String), severity: expect.stringMatching(/^(error|warning)$/),
    }));
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.column).toBeGreaterThanOrEqual(1);
  }
}

export async function readText(dir: string, path: string): Promise<string> {
  return readFile(join(dir, path), 'utf8');
}

export async function writeText(dir: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

/** Rewrites one file with a function of its text; fails when the function changes nothing. */
export async function editText(dir: string, path: string, fn: (s: string) => string): Promise<void> {
  const before = await readText(dir, path);
  const after = fn(before);
  expect(after, `edit of ${path} changed nothing`).not.toBe(before);
  await writeText(dir, path, after);
}

/** The text of an approvals list entry as `modelreg approve` writes it (appended to a version file). */
export function approvalEntries(records: Array<{ by: string; stage: string; at: string }>, hasList: boolean): string {
  const items = records.map((r) => `  - by: ${r.by}\n    stage: ${r.stage}\n    at: ${r.at}\n`).join('');
  return hasList ? items : `approvals:\n${items}`;
}

/** Adds approval records to a version file by hand (no tool), keeping an existing list. */
export async function addApprovalsByHand(dir: string, path: string, records: Array<{ by: string; stage: string; at: string }>): Promise<void> {
  const text = await readText(dir, path);
  if (/^approvals:\s*$/m.test(text)) {
    // Insert after the last entry of the existing block list.
    const lines = text.replace(/\n$/, '').split('\n');
    const start = lines.findIndex((l) => /^approvals:\s*$/.test(l));
    let end = start + 1;
    while (end < lines.length && /^(\s+|- )/.test(lines[end])) end++;
    lines.splice(end, 0, ...approvalEntries(records, true).replace(/\n$/, '').split('\n'));
    await writeText(dir, path, `${lines.join('\n')}\n`);
  } else {
    await writeText(dir, path, `${text.replace(/\n?$/, '\n')}${approvalEntries(records, false)}`);
  }
}

/** Sets `stage:` of a version file by hand. */
export async function setStageByHand(dir: string, path: string, stage: string): Promise<void> {
  await editText(dir, path, (s) => s.replace(/^stage: .*$/m, `stage: ${stage}`));
}

/** A new registry (`modelreg init` by the maintainer) whose default policy is `policy`, committed. */
export async function registryWithPolicy(policy: string): Promise<string> {
  const parent = await tempDir('modelreg-base-');
  const base = join(parent, 'registry');
  await mrOk(parent, ['init', base], MAINT);
  await writeText(base, 'policies/default.yaml', policy);
  await commitAll(base, 'policies: the policy under test', MAINT);
  return base;
}

/** A fresh clone of the repository at `base` with a new branch `name` checked out: a pull request. */
export async function prBranch(base: string, name: string): Promise<string> {
  const parent = await tempDir('modelreg-pr-');
  const dir = join(parent, 'pr');
  await git(parent, ['clone', '-q', base, dir]);
  await git(dir, ['checkout', '-q', '-b', name]);
  return dir;
}

/** `git add -A && git commit` as `who`; returns the new commit id. */
export async function commitAll(dir: string, message: string, who: Person): Promise<string> {
  await git(dir, ['add', '-A'], { who });
  await git(dir, ['commit', '-q', '-m', message], { who });
  return rev(dir);
}

export const versionPath = (model: string, version: string) => `registry/${model}/versions/${version}.yaml`;
