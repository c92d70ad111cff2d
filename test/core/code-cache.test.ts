/**
 * bin/modelreg.js runs the CLI bundle through V8's code cache. These tests run a private copy of
 * the installed package (bin/, dist/, schemas/, policies/), so they can break its cache without
 * disturbing the other tests, and check that a missing, corrupt, stale or unwritable cache never
 * changes what a command does: only whether it starts from the cache.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, baseEnv, homeDir, tempDir, makeRepo, CONFIG_YAML, modelYaml, versionYaml } from '../helpers/repo.js';

let install: string;
let repo: string;
let cacheFile: string;
let fullCache: string;
let bundle: string;

async function freshInstall(): Promise<string> {
  const dir = await tempDir('mrcache-');
  for (const part of ['bin', 'dist', 'schemas', 'policies', 'package.json']) await cp(join(ROOT, part), join(dir, part), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function modelreg(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(install, 'bin', 'modelreg.js'), ...args], {
    encoding: 'utf8',
    env: { ...baseEnv(await homeDir()), GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', MODELREG_CODE_CACHE: 'report', ...env },
  });
  const report = /^modelreg: code cache (\w+)\n/m.exec(r.stderr)?.[1];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^modelreg: code cache \w+\n/m, ''), report };
}

const resolveArgs = () => ['-C', repo, 'resolve', 'models:/churn/Production', '--json'];

beforeAll(async () => {
  install = await freshInstall();
  bundle = join(install, 'dist', 'cli', 'modelreg.cjs');
  cacheFile = `${bundle}.read.codecache`;
  fullCache = `${bundle}.full.codecache`;
  repo = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0', 'Production'),
  });
});

describe('the CLI code cache', () => {
  it('is written by the build and used by a command: the small one by reads', async () => {
    for (const group of ['read', 'full']) expect(existsSync(join(ROOT, 'dist', 'cli', `modelreg.cjs.${group}.codecache`))).toBe(true);
    const r = await modelreg(resolveArgs());
    expect(r.report).toBe('used');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production' });
    // A write command with the read cache broken still uses the full one, and the other way round.
    const saved = await readFile(cacheFile);
    await writeFile(cacheFile, 'junk');
    try {
      expect((await modelreg(['-C', repo, 'check'])).report).toBe('used');
      await writeFile(fullCache, 'junk');
      expect((await modelreg(['-C', repo, 'check'])).report).toBe('stale');
      expect((await modelreg(['-C', repo, 'check'])).report).toBe('used');
    } finally {
      await writeFile(cacheFile, saved);
    }
    expect((await modelreg(['--registry', repo, '--json', 'show', 'churn'])).report).toBe('used');
  });

  it('ignores a corrupt cache, answers the same, and writes a good one afterwards', async () => {
    const good = await modelreg(resolveArgs(), { MODELREG_CODE_CACHE: 'off' });
    expect(good.report).toBeUndefined();
    const header = (await readFile(cacheFile)).subarray(0, 16);
    // Bytes after a valid header: V8 must refuse them; a truncated file has no header at all.
    for (const junk of [Buffer.concat([header, Buffer.alloc(4096, 0x5a)]), header.subarray(0, 10), Buffer.alloc(0)]) {
      await writeFile(cacheFile, junk);
      const r = await modelreg(resolveArgs());
      expect(r.report).toBe(junk.length > 16 ? 'rejected' : 'stale');
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: good.code, stdout: good.stdout, stderr: good.stderr });
      expect((await modelreg(resolveArgs())).report).toBe('used');
    }
  });

  it('does not use a cache made for another bundle, even one of the same length', async () => {
    const source = await readFile(bundle, 'utf8');
    const before = 'A model registry that lives in a Git repository.';
    const after = 'A MODEL REGISTRY that lives in a Git repository.';
    expect(source).toContain(before);
    await writeFile(bundle, source.replace(before, after));
    try {
      const r = await modelreg(['--help']);
      expect(r.report).toBe('stale');
      expect(r.stdout).toContain(after);
      expect((await modelreg(['--help'])).report).toBe('used');
    } finally {
      await writeFile(bundle, source);
    }
    const r = await modelreg(['--help']);
    expect(r.report).toBe('stale');
    expect(r.stdout).toContain(before);
  });

  it('runs without a cache it cannot write, and MODELREG_CODE_CACHE=off writes none', async () => {
    await rm(cacheFile, { force: true });
    const off = await modelreg(resolveArgs(), { MODELREG_CODE_CACHE: 'off' });
    expect(off.code).toBe(0);
    expect(existsSync(cacheFile)).toBe(false);
    // A folder where the cache file would go: reading and renaming onto it both fail.
    await mkdir(cacheFile);
    try {
      const r = await modelreg(resolveArgs());
      expect(r.report).toBe('missing');
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: off.code, stdout: off.stdout, stderr: off.stderr });
      const dir = join(install, 'dist', 'cli');
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await rm(cacheFile, { recursive: true, force: true });
    }
    expect((await modelreg(resolveArgs())).report).toBe('missing');
    expect((await modelreg(resolveArgs())).report).toBe('used');
  });

  it('with --debug, loads the plain bundle and maps stack traces to the modules it was built from', async () => {
    const r = await modelreg(['-C', repo, 'show', 'nosuch', '--debug']);
    expect(r.code).toBe(4);
    expect(r.report).toBeUndefined();
    expect(r.stderr).toMatch(/\bat .+dist[\\/]ops[\\/]read\.js:\d+:\d+/);
  });
});
