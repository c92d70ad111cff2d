/**
 * `import --from`: a version of a dev registry (a folder, or a Git URL over smart HTTP) becomes
 * a registration in a prod registry with its record copied and its provenance recorded; a
 * re-import is a no-op, a clash a conflict; `--stage` and `--copy-artifact` hold what they say;
 * a policy guard sees `version.origin`.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitCount, commitFiles, gitLog, gitStatus, headCommit, modelYaml, runCli, tempDir } from '../helpers/repo.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startGitServer } from '../helpers/git-server.js';

/** Native git must run asynchronously: the test server answers from this same process. */
const pushTo = (dir: string, url: string) => promisify(execFile)('git', ['push', '-q', url, 'main'], { cwd: dir, env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' } });
import { devRegistry, devVersionYaml, prodRegistry, STAGING_GUARD_POLICY } from './fixtures.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const version = async (dir: string, model: string, v: string) => parse(await readFile(join(dir, 'registry', model, 'versions', `${v}.yaml`), 'utf8'));

describe('import --from a registry folder', () => {
  let dev: string;
  let artifactDigest: string;
  beforeAll(async () => {
    ({ dir: dev, digest: artifactDigest } = await devRegistry());
  });

  it('copies the immutable record as a new registration (one commit, register trailers) and records origin', async () => {
    const prod = await prodRegistry();
    const before = commitCount(prod);
    const r = await runCli(['import', '--from', dev, 'churn', '1.2.0', '--stage', 'Staging'], { cwd: prod });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Imported churn 1.2.0 \(Staging\) of .* as churn 1.2.0 \(None\)/);
    expect(commitCount(prod)).toBe(before + 1);
    const [c] = gitLog(prod);
    expect(c.subject).toBe('register churn 1.2.0');
    expect(c.trailers).toMatchObject({ 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.2.0' });
    const here = await version(prod, 'churn', '1.2.0');
    const there = await version(dev, 'churn', '1.2.0');
    for (const f of ['artifact', 'framework', 'signature', 'metrics', 'params', 'lineage']) expect(here[f], f).toEqual(there[f]);
    expect(here.lineage.data[0].uri).toBe('s3://data/churn/2024-01');
    expect(here.stage).toBe('None');
    expect(here.origin).toEqual({ registry: dev, commit: headCommit(dev), model: 'churn', version: '1.2.0', stage: 'Staging' });
    expect(gitStatus(prod)).toBe('');
    expect((await runCli(['check'], { cwd: prod })).code).toBe(0);
  });

  it('a second import of the same source version is a no-op that says so', async () => {
    const prod = await prodRegistry();
    expect((await runCli(['import', '--from', dev, 'churn', '1.2.0'], { cwd: prod })).code).toBe(0);
    const n = commitCount(prod);
    const again = await runCli(['import', '--from', dev, 'churn', '1.2.0'], { cwd: prod });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already imported from churn 1.2.0 .*nothing to do/);
    expect(commitCount(prod)).toBe(n);
    const j = JSON.parse((await runCli(['--json', 'import', '--from', dev, 'churn', '1.2.0'], { cwd: prod })).stdout);
    expect(j.imported).toBe(false);
  });

  it('a different record under the same version is a conflict (exit 3), and nothing is written', async () => {
    const prod = await prodRegistry();
    expect((await runCli(['register', 'churn', '--artifact', 's3://elsewhere/churn', '--version', '1.2.0'], { cwd: prod })).code).toBe(0);
    const n = commitCount(prod);
    const r = await runCli(['import', '--from', dev, 'churn', '1.2.0'], { cwd: prod });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/already registered here with a different record.*--as/);
    expect(commitCount(prod)).toBe(n);
  });

  it('--as imports under another name; --stage that does not hold is refused (exit 1)', async () => {
    const prod = await prodRegistry();
    const wrong = await runCli(['import', '--from', dev, 'churn', '1.2.0', '--stage', 'Production'], { cwd: prod });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/is in Staging, not Production/);
    const r = await runCli(['import', '--from', dev, 'churn', '1.2.0', '--as', 'churn-prod'], { cwd: prod });
    expect(r.code).toBe(0);
    expect((await version(prod, 'churn-prod', '1.2.0')).origin.model).toBe('churn');
  });

  it('names what is missing: an unknown version (exit 4), a folder that is not there (exit 4), missing arguments (exit 2)', async () => {
    const prod = await prodRegistry();
    const r = await runCli(['import', '--from', dev, 'churn', '9.9.9'], { cwd: prod });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/churn has no version 9.9.9/);
    expect((await runCli(['import', '--from', join(dev, 'nope'), 'churn', '1.2.0'], { cwd: prod })).code).toBe(4);
    expect((await runCli(['import', 'churn', '1.2.0'], { cwd: prod })).code).toBe(2);
  });

  it('--ref pins an older commit of the source', async () => {
    const prod = await prodRegistry();
    const old = headCommit(dev);
    const r = await runCli(['--json', 'import', '--from', dev, '--ref', old, 'churn', '1.2.0'], { cwd: prod });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).origin.commit).toBe(old);
  });

  it('--copy-artifact copies a file:// artifact and verifies its digest', async () => {
    const prod = await prodRegistry();
    const dest = await tempDir('mr-import-store-');
    const r = await runCli(['--json', 'import', '--from', dev, 'churn', '1.2.0', '--copy-artifact', dest], { cwd: prod });
    expect(r.code).toBe(0);
    const here = await version(prod, 'churn', '1.2.0');
    expect(here.artifact.uri).toBe(pathToFileURL(join(dest, 'model.pkl')).href);
    expect(here.artifact.digest).toBe(artifactDigest);
    expect(createHash('sha256').update(await readFile(join(dest, 'model.pkl'))).digest('hex')).toBe(artifactDigest.slice(7));
    // A re-import (shallow or deep) of the same bytes is the same import.
    expect((await runCli(['--json', 'import', '--from', dev, 'churn', '1.2.0'], { cwd: prod })).stdout).toContain('"imported": false');
  });

  it('--copy-artifact copies an http(s) artifact and verifies its digest', async () => {
    const bytes = Buffer.from('model bytes served over http\n');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const http = createServer((req, res) => { if (req.url === '/models/churn.bin') { res.writeHead(200); res.end(bytes); } else { res.writeHead(404); res.end(); } });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const uri = `http://127.0.0.1:${(http.address() as AddressInfo).port}/models/churn.bin`;
      const src = await prodRegistry();
      await commitFiles(src, { 'registry/churn/model.yaml': modelYaml('churn'), 'registry/churn/versions/2.0.0.yaml': devVersionYaml(uri, digest, bytes.length, '2.0.0') }, 'register churn 2.0.0');
      const prod = await prodRegistry();
      const dest = await tempDir('mr-import-store-');
      const r = await runCli(['import', '--from', src, 'churn', '2.0.0', '--copy-artifact', pathToFileURL(dest).href], { cwd: prod });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await readFile(join(dest, 'churn.bin'))).toEqual(bytes);
      expect((await version(prod, 'churn', '2.0.0')).artifact).toMatchObject({ uri: pathToFileURL(join(dest, 'churn.bin')).href, digest: `sha256:${digest}` });
    } finally {
      await new Promise((r) => http.close(r));
    }
  });

  it('--copy-artifact refuses an artifact whose bytes do not match the recorded digest, and commits nothing', async () => {
    const { dir: tampered, artifactPath } = await devRegistry();
    await writeFile(artifactPath, (await readFile(artifactPath, 'utf8')).replace('sklearn', 'xgboost'));
    const prod = await prodRegistry();
    const n = commitCount(prod);
    const dest = await tempDir('mr-import-store-');
    const r = await runCli(['import', '--from', tampered, 'churn', '1.2.0', '--copy-artifact', dest], { cwd: prod });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/digest .* but the registry records/);
    expect(readdirSync(dest)).toEqual([]);
    expect(commitCount(prod)).toBe(n);
  });

  it('a policy guard over version.origin sees the provenance', async () => {
    const prod = await prodRegistry(STAGING_GUARD_POLICY);
    expect((await runCli(['import', '--from', dev, 'churn', '1.2.0'], { cwd: prod })).code).toBe(0);
    const ok = await runCli(['promote', 'churn', '1.2.0', '--to', 'Staging'], { cwd: prod });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect((await runCli(['register', 'local', '--artifact', 's3://x/local'], { cwd: prod })).code).toBe(0);
    const denied = await runCli(['promote', 'local', '1.0.0', '--to', 'Staging'], { cwd: prod });
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toMatch(/origin/);
  });
});

describe('import --from a Git URL (smart HTTP)', () => {
  it('clones into .git/modelreg/sources once, fetches on later imports, and records the URL', async () => {
    const server = await startGitServer();
    try {
      const { dir: dev } = await devRegistry();
      const url = await server.createBare('dev');
      await pushTo(dev, url);
      const prod = await prodRegistry();
      const r = await runCli(['--json', 'import', '--from', url, 'churn', '1.2.0'], { cwd: prod });
      expect(r.stderr).toMatch(/cloning/);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).origin).toMatchObject({ registry: url, commit: headCommit(dev) });
      expect(readdirSync(join(prod, '.git', 'modelreg', 'sources'))).toHaveLength(1);
      // A new version in dev, pushed: the next import fetches it through the same cache.
      await commitFiles(dev, { 'registry/churn/versions/1.3.0.yaml': (await readFile(join(dev, 'registry/churn/versions/1.2.0.yaml'), 'utf8')).replace(/1\.2\.0/g, '1.3.0').replace('stage: Staging', 'stage: None') }, 'register churn 1.3.0');
      await pushTo(dev, url);
      const r2 = await runCli(['--json', 'import', '--from', url, 'churn', '1.3.0'], { cwd: prod });
      expect(r2.code).toBe(0);
      expect(r2.stderr).not.toMatch(/cloning/);
      expect(JSON.parse(r2.stdout).origin.commit).toBe(headCommit(dev));
      expect(gitStatus(prod)).toBe('');
      // Through a branch, and the pull request's check re-reads the claim over HTTP.
      const r3 = await runCli(['import', '--from', url, '--ref', 'main', 'churn', '1.2.0', '--as', 'churn-eu', '--branch', 'pr'], { cwd: prod });
      expect(r3.code).toBe(0);
      const ok = await runCli(['check', '--base', 'main', '--head', 'pr', '--verify-origin'], { cwd: prod });
      expect(ok.stdout).not.toMatch(/origin-/);
      expect(ok.code).toBe(0);
      await server.stop();
      const down = await runCli(['check', '--base', 'main', '--head', 'pr', '--verify-origin'], { cwd: prod });
      expect(down.stdout).toMatch(/origin-unreachable/);
      expect(down.code).toBe(1);
    } finally {
      await server.stop();
    }
  });
});

