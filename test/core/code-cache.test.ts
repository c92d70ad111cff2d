/**
 * bin/modelreg.js runs the CLI bundle through V8's code cache. These tests run a private copy of
 * the installed package (bin/, dist/, schemas/, policies/), so they can break its cache without
 * disturbing the other tests, and check that a missing, corrupt, stale or unwritable cache never
 * changes what a command does: only whether it starts from the cache.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, baseEnv, homeDir, tempDir, makeRepo, CONFIG_YAML, modelYaml, versionYaml } from '../helpers/repo.js';

const HEADER = 28;

let install: string;
let repo: string;
let cacheFile: string;
let fullCache: string;
let bundle: string;
let userCache: string;

async function freshInstall(): Promise<string> {
  const dir = await tempDir('mrcache-');
  for (const part of ['bin', 'dist', 'schemas', 'policies', 'package.json']) await cp(join(ROOT, part), join(dir, part), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function modelreg(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(install, 'bin', 'modelreg.js'), ...args], {
    encoding: 'utf8',
    env: { ...baseEnv(await homeDir()), XDG_CACHE_HOME: userCache, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', MODELREG_CODE_CACHE: 'report', ...env },
  });
  const line = /^modelreg: code cache (\w+)(?: \((.+)\))?\n/m.exec(r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^modelreg: code cache .*\n/m, ''), report: line?.[1], from: line?.[2] };
}

const resolveArgs = () => ['-C', repo, 'resolve', 'models:/churn/Production', '--json'];
const outcome = (r: { code: number | null; stdout: string; stderr: string }) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** The generation byte of a cache file (255: written by the build). */
async function generation(file: string): Promise<number> {
  return (await readFile(file))[24];
}

beforeAll(async () => {
  install = await freshInstall();
  userCache = await tempDir('mrcache-user-');
  bundle = join(install, 'dist', 'cli', 'modelreg.cjs');
  cacheFile = `${bundle}.point.codecache`;
  fullCache = `${bundle}.check.codecache`;
  repo = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0', 'Production'),
  });
});

// Every test starts from the caches the build wrote and an empty user cache folder.
beforeEach(async () => {
  spawnSync('chattr', ['-i', join(install, 'dist', 'cli')]);
  for (const group of ['point', 'list', 'history', 'write', 'check', 'full']) {
    const file = `${bundle}.${group}.codecache`;
    await rm(file, { recursive: true, force: true });
    await cp(join(ROOT, 'dist', 'cli', `modelreg.cjs.${group}.codecache`), file);
  }
  await rm(userCache, { recursive: true, force: true });
  await mkdir(userCache);
});

describe('the CLI code cache', () => {
  it('is written by the build and used by a command: the small one by reads', async () => {
    for (const group of ['point', 'list', 'history', 'write', 'check', 'full']) {
      const file = join(ROOT, 'dist', 'cli', `modelreg.cjs.${group}.codecache`);
      expect(existsSync(file)).toBe(true);
      expect(await generation(file)).toBe(255);
    }
    const r = await modelreg(resolveArgs());
    expect(r.report).toBe('used');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production' });
    // check with the point cache (resolve, show) broken still uses its own (check), and the other way round.
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

  it('runs serve, watch, import and export from modelreg-all.cjs, every other command from modelreg.cjs, which leaves their code out', async () => {
    const small = await readFile(bundle, 'latin1');
    const all = await readFile(join(install, 'dist', 'cli', 'modelreg-all.cjs'), 'latin1');
    // Texts of the MLflow REST server, the web UI's headers and watch's rollback commits.
    for (const text of ['ENDPOINT_NOT_FOUND', 'Content-Security-Policy', 'Modelreg-Analysis']) {
      expect(all).toContain(text);
      expect(small).not.toContain(text);
    }
    expect(small.length).toBeLessThan(all.length * 0.95);
    // watch runs for real (not the stub): it reads the policy and finds no monitor to watch.
    const watch = await modelreg(['-C', repo, 'watch', 'models:/churn/Production']);
    expect(watch.report).toBe('used');
    expect(watch.code).toBe(2);
    expect(watch.stderr).toMatch(/has no monitor: section/);
    // Without modelreg-all.cjs, those commands say the build is incomplete; the others still run.
    const moved = join(install, 'modelreg-all.cjs.away');
    await cp(join(install, 'dist', 'cli', 'modelreg-all.cjs'), moved);
    await rm(join(install, 'dist', 'cli', 'modelreg-all.cjs'));
    try {
      for (const args of [['-C', repo, 'watch', 'models:/churn/Production'], ['serve', '--help'], ['import', '--help'], ['export', '--help']]) {
        const r = await modelreg(args);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/modelreg is not built: .*modelreg-all\.cjs is missing\. Run `npm run build`/);
      }
      const read = await modelreg(resolveArgs());
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toMatchObject({ model: 'churn', version: '1.0.0' });
    } finally {
      await cp(moved, join(install, 'dist', 'cli', 'modelreg-all.cjs'));
    }
  });

  it('never hands damaged data to V8 (it would crash), answers the same, and writes a good cache afterwards', async () => {
    const good = await modelreg(resolveArgs(), { MODELREG_CODE_CACHE: 'off' });
    expect(good.report).toBeUndefined();
    const real = await readFile(cacheFile);
    // Bytes flipped in the middle of V8's data, under an intact header.
    const damaged = Buffer.from(real);
    for (let i = HEADER + 4096; i < HEADER + 4096 + 128; i++) damaged[i] ^= 0xff;
    // Junk that carries a correct checksum: V8 itself must refuse it.
    const junk = Buffer.alloc(4096, 0x5a);
    const checksummed = Buffer.concat([real.subarray(0, HEADER), junk]);
    checksummed.writeUInt32LE(crc32(junk), 20);
    const cases: Array<[Buffer, string]> = [[damaged, 'corrupt'], [checksummed, 'rejected'], [real.subarray(0, 10), 'stale'], [Buffer.alloc(0), 'stale']];
    for (const [bytes, state] of cases) {
      await rm(userCache, { recursive: true, force: true });
      await writeFile(cacheFile, bytes);
      const r = await modelreg(resolveArgs());
      expect(r.report).toBe(state);
      expect(outcome(r)).toEqual(outcome(good));
      // The next command uses the cache this one wrote: in dist/ (a damaged or stale one is gone),
      // or, beside a final one V8 refused, in the user's folder.
      const next = await modelreg(resolveArgs());
      expect(next.report).toBe('used');
      if (state === 'rejected') expect(next.from?.startsWith(join(userCache, 'modelreg'))).toBe(true);
      else expect(next.from).toBeUndefined();
      expect(outcome(next)).toEqual(outcome(good));
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

  it('does not use a cache of another Node, and under other V8 flags keeps its own beside the build\'s', async () => {
    const built = await readFile(cacheFile);
    // Another Node version's cache where the build's was: stale, and replaced (it is not final).
    const other = Buffer.from(built);
    other.writeUInt32LE(crc32('v19.0.0 linux x64  '), 16);
    other[24] = 1;
    await writeFile(cacheFile, other);
    expect((await modelreg(resolveArgs())).report).toBe('stale');
    expect((await modelreg(resolveArgs())).report).toBe('used');
    // Flags in NODE_OPTIONS (as CI jobs set them): the build's cache is not for them. The
    // command keeps its own in the user folder and leaves the build's in place.
    await writeFile(cacheFile, built);
    const flags = { NODE_OPTIONS: '--max-old-space-size=4096' };
    const first = await modelreg(resolveArgs(), flags);
    expect(first.report).toBe('rejected');
    const second = await modelreg(resolveArgs(), flags);
    expect(second.report).toBe('used');
    expect(second.from).toMatch(new RegExp(`^${userCache}/modelreg/modelreg-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}\\.point\\.codecache$`));
    expect(outcome(second)).toEqual(outcome(first));
    expect((await readFile(cacheFile)).equals(built)).toBe(true);
    const plain = await modelreg(resolveArgs());
    expect(plain.report).toBe('used');
    expect(plain.from).toBeUndefined();
  });

  it('without a home folder, runs without a user cache and writes nothing outside dist/', async () => {
    const dir = join(install, 'dist', 'cli');
    await rm(cacheFile, { force: true });
    const cwd = await tempDir('mrcache-cwd-');
    const chattr = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    expect(chattr.status, `chattr +i ${dir}: ${chattr.stderr}`).toBe(0);
    try {
      for (const env of [{ HOME: '', XDG_CACHE_HOME: '' }, { HOME: '', XDG_CACHE_HOME: 'relative/cache' }]) {
        const r = spawnSync(process.execPath, [join(install, 'bin', 'modelreg.js'), ...resolveArgs()], {
          cwd, encoding: 'utf8', env: { ...baseEnv(''), ...env, MODELREG_CODE_CACHE: 'report' },
        });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toBe('modelreg: code cache missing\n');
        expect(JSON.parse(r.stdout)).toMatchObject({ version: '1.0.0' });
      }
      expect(await readdir(cwd)).toEqual([]);
      expect(await readdir(userCache)).toEqual([]);
    } finally {
      spawnSync('chattr', ['-i', dir]);
    }
  });

  it('without a writable dist/, keeps its cache in the user\'s cache folder and grows it over the next commands', async () => {
    const dir = join(install, 'dist', 'cli');
    await rm(cacheFile, { force: true });
    const off = await modelreg(resolveArgs(), { MODELREG_CODE_CACHE: 'off' });
    expect(off.code).toBe(0);
    expect(existsSync(cacheFile)).toBe(false);
    // Immutable (chattr +i): even root may not create files in it.
    const chattr = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    expect(chattr.status, `chattr +i ${dir}: ${chattr.stderr}`).toBe(0);
    try {
      const first = await modelreg(resolveArgs());
      expect(first.report).toBe('missing');
      expect(outcome(first)).toEqual(outcome(off));
      const names = (await readdir(join(userCache, 'modelreg'))).filter((f) => f.endsWith('.point.codecache'));
      expect(names).toHaveLength(1);
      const mine = join(userCache, 'modelreg', names[0]);
      expect(await generation(mine)).toBe(1);
      const sizes = [(await readFile(mine)).length];
      // Each later command that uses it adds what it compiled, seven times, then leaves it be.
      for (let g = 2; g <= 9; g++) {
        const r = await modelreg(g % 2 ? ['-C', repo, 'show', 'churn'] : resolveArgs());
        expect(r.report).toBe('used');
        expect(r.from).toBe(mine);
        expect(await generation(mine)).toBe(Math.min(g, 8));
        sizes.push((await readFile(mine)).length);
      }
      // It grew: show's functions were added to resolve's (the same group: point). Not necessarily at the first step: V8
      // may flush the bytecode of functions it has not run for a while (more so under load), so
      // one rewrite can come out a few bytes smaller than the one before.
      expect(Math.max(...sizes.slice(1))).toBeGreaterThan(sizes[0]);
      expect(outcome(await modelreg(resolveArgs()))).toEqual(outcome(off));
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect((await readdir(join(userCache, 'modelreg'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      spawnSync('chattr', ['-i', dir]);
    }
    // Writable again: the next command that finds no usable cache in dist/ writes one there.
    await rm(join(userCache, 'modelreg'), { recursive: true, force: true });
    expect((await modelreg(resolveArgs())).report).toBe('missing');
    expect(existsSync(cacheFile)).toBe(true);
    expect((await modelreg(resolveArgs())).report).toBe('used');
  });

  it('runs on when writing its cache fails, and MODELREG_CODE_CACHE=off writes none', async () => {
    await rm(cacheFile, { force: true });
    const off = await modelreg(resolveArgs(), { MODELREG_CODE_CACHE: 'off' });
    expect(existsSync(cacheFile)).toBe(false);
    // A folder where the cache file would go: reading and renaming onto it both fail.
    await mkdir(cacheFile);
    try {
      const r = await modelreg(resolveArgs());
      expect(r.report).toBe('missing');
      expect(outcome(r)).toEqual(outcome(off));
      expect((await readdir(join(install, 'dist', 'cli'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
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
