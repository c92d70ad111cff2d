// Part of the build: fills dist/cli/modelreg.cjs.<group>.codecache with the functions the
// everyday commands run (bin/modelreg.js picks the cache by the command's group: point, list,
// history, write, check, full). Each command below runs in a throwaway registry with
// MODELREG_CODE_CACHE=update: it loads its group's cache the previous command of the group wrote
// and writes it back with what it compiled itself, so each cache holds its group's union. A
// failing command fails the build: it means the bundle is broken.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The groups of bin/modelreg.js's GROUPS, each warmed by at least one command of the session. */
export const CACHE_GROUPS = ['point', 'list', 'history', 'write', 'check', 'full'];

const SIGNATURE = { inputs: [{ name: 'x', type: 'double', required: true }], outputs: [{ name: 'y', type: 'double', required: true }] };

export function warmCodeCache(root) {
  const bin = join(root, 'bin', 'modelreg.js');
  const caches = [
    ...CACHE_GROUPS.map((group) => join(root, 'dist', 'cli', `modelreg.cjs.${group}.codecache`)),
    // serve, watch, import and export run the other bundle; --help compiles what every start
    // runs, and a user's first commands add the rest (bin/modelreg.js).
    join(root, 'dist', 'cli', 'modelreg-all.cjs.full.codecache'),
  ];
  const tmp = mkdtempSync(join(tmpdir(), 'modelreg-build-'));
  const repo = join(tmp, 'registry');
  const env = { ...process.env };
  // The caches are made for the default setting: NODE_OPTIONS is part of what a cache is for.
  for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k.startsWith('MODELREG_') || k === 'NODE_OPTIONS') delete env[k];
  Object.assign(env, {
    HOME: tmp,
    XDG_CONFIG_HOME: join(tmp, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'modelreg build',
    GIT_AUTHOR_EMAIL: 'build@modelreg.invalid',
    MODELREG_CODE_CACHE: 'update',
  });
  writeFileSync(join(tmp, 'signature.json'), JSON.stringify(SIGNATURE));
  writeFileSync(join(tmp, 'model.bin'), 'weights');
  const register = (v) => ['-C', repo, 'register', 'demo', '--version', v, '--artifact', `s3://build/demo/${v}`, '--file', join(tmp, 'model.bin'),
    '--signature', join(tmp, 'signature.json'), '--metric', 'accuracy=0.9', '--param', 'depth=3', '--tag', 'dataset=d1', '--framework', 'sklearn@1.5'];
  const session = [
    ['--help'],
    ['init', repo],
    register('1.0.0'),
    register('1.1.0'),
    ['-C', repo, 'list'],
    ['-C', repo, 'show', 'demo'],
    ['-C', repo, 'show', 'demo', '1.0.0'],
    ['-C', repo, 'resolve', 'models:/demo/latest'],
    ['-C', repo, 'transition', 'demo', '1.0.0', 'Staging'],
    ['-C', repo, 'tag', 'set', 'demo', '1.0.0', 'team=build'],
    ['-C', repo, 'alias', 'set', 'demo', 'candidate', '1.1.0'],
    ['-C', repo, 'resolve', 'models:/demo/Staging', '--json'],
    ['-C', repo, 'history', 'demo'],
    ['-C', repo, 'check'],
    ['-C', repo, 'check', '--base', 'HEAD~1'],
    ['serve', '--help'],
  ];
  try {
    for (const args of session) {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`build: \`modelreg ${args.join(' ')}\` exited with ${r.status ?? r.signal} while warming the code cache:\n${r.stderr}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const cache of caches) if (!existsSync(cache)) throw new Error(`build: ${cache} was not written`);
  return caches.map((cache) => statSync(cache).size);
}
