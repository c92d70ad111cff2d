/**
 * `modelreg serve` as a user runs it: the listening line on stderr (--port 0 names the port),
 * SIGINT/SIGTERM stop it with exit 0 and no lock left; and a server killed with SIGKILL in the
 * middle of a write (MODELREG_FAULT_AT, as the CLI's crash suite does) leaves the old or the
 * new commit, a clean `git fsck`, and a repository the next write works on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADA, CLI, CONFIG_YAML, baseEnv, git, gitFsck, gitStatus, headCommit, homeDir, makeRepo, runCli } from '../helpers/repo.js';

interface Served { url: string; child: ChildProcess; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

async function startServe(dir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Served> {
  const env = { ...baseEnv(await homeDir()), GIT_AUTHOR_NAME: ADA.name, GIT_AUTHOR_EMAIL: ADA.email, ...extraEnv };
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    void exit.then(() => reject(new Error(`serve exited before listening: ${err}`)));
  });
  return { url, child, stderr: () => err, exit };
}

async function seededRepo(): Promise<string> {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n' });
  const r = await runCli(['register', 'churn', '--artifact', 's3://models/churn/1'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

const locks = (dir: string) => readdirSync(join(dir, '.git')).filter((n) => n.endsWith('.lock'));

describe('modelreg serve (the built CLI)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('prints where it listens and what it serves; %s stops it with exit 0 and no lock left', async (signal) => {
    const dir = await seededRepo();
    const s = await startServe(dir, ['--local-identity']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.stderr()).toContain(`main at ${headCommit(dir).slice(0, 12)}`);
    expect(s.stderr()).toContain(dir);
    const r = await fetch(`${s.url}/api/2.0/mlflow/registered-models/get-latest-versions?name=churn`);
    expect((await r.json()).model_versions[0]).toMatchObject({ name: 'churn', version: '1' });
    const write = await fetch(`${s.url}/api/2.0/mlflow/registered-models/set-tag`, { method: 'POST', body: JSON.stringify({ name: 'churn', key: 'k', value: 'v' }) });
    expect(write.status).toBe(200);
    s.child.kill(signal);
    expect(await s.exit).toEqual({ code: 0, signal: null });
    expect(locks(dir)).toEqual([]);
    expect(gitStatus(dir)).toBe('');
  });

  it('a port in use is a clear error (exit 2)', async () => {
    const dir = await seededRepo();
    const s = await startServe(dir, []);
    const port = new URL(s.url).port;
    const r = await runCli(['serve', '--port', port], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/EADDRINUSE.*--port/);
    s.child.kill('SIGTERM');
    await s.exit;
  });

  const POINTS = ['lock-acquired', 'objects-written', 'ref-locked', 'ref-updated', 'worktree-partial', 'index-locked'] as const;
  const AFTER: Record<(typeof POINTS)[number], 'old' | 'new' | 'either'> = {
    'lock-acquired': 'old', 'objects-written': 'old', 'ref-locked': 'old', 'ref-updated': 'new', 'worktree-partial': 'new', 'index-locked': 'either',
  };

  it.each(POINTS)('killed (SIGKILL) mid-write at %s: the old or the new commit, fsck clean, the next write works', async (point) => {
    const dir = await seededRepo();
    const before = headCommit(dir);
    const s = await startServe(dir, ['--local-identity'], { MODELREG_FAULT_AT: point });
    await fetch(`${s.url}/api/2.0/mlflow/model-versions/create`, { method: 'POST', body: JSON.stringify({ name: 'churn', source: 's3://models/churn/2' }) }).catch(() => undefined);
    expect((await s.exit).signal).toBe('SIGKILL');
    const after = headCommit(dir);
    if (AFTER[point] === 'old') expect(after).toBe(before);
    else if (AFTER[point] === 'new') expect(git(dir, ['rev-parse', `${after}~1`]).stdout.trim()).toBe(before);
    else expect([before, git(dir, ['rev-parse', `${after}~1`]).stdout.trim()]).toContain(before);
    expect(gitFsck(dir).code).toBe(0);
    const next = await runCli(['register', 'churn', '--artifact', 's3://models/churn/3'], { cwd: dir });
    expect(next.code, next.stderr).toBe(0);
    if (gitStatus(dir) !== '') expect((await runCli(['doctor'], { cwd: dir })).code).toBeLessThanOrEqual(1);
    expect(gitStatus(dir)).toBe('');
    expect(existsSync(join(dir, '.git', 'modelreg.lock'))).toBe(false);
  });
});
