/**
 * The write side of the Git layer against the `git` binary: loose objects are compressed at the
 * level Git's config asks for (core.looseCompression, else core.compression, else 1) and read
 * back by git; a level git refuses is refused before anything is written; and the index rewrite
 * keeps entries it has no file for, including a path too long for the index's 12-bit name length.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { looseCompression } from '../../src/storage/objects.js';
import { ADA, CONFIG_YAML, fixedClock, git, headCommit, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';

const FILES = { 'modelreg.yaml': CONFIG_YAML, 'registry/churn/model.yaml': modelYaml('churn'), 'registry/churn/versions/1.0.0.yaml': versionYaml('churn', '1.0.0') };

/**
 * What a loose object's zlib stream says of the level it was made at: `stored` for level 0
 * (its first block is uncompressed), else the header's FLEVEL: 0 for level 1, 1 for 2-5,
 * 2 for 6, 3 for 7-9 (zlib's deflate.c).
 */
function levelClass(bytes: Buffer): string {
  if (((bytes[2] >> 1) & 3) === 0) return 'stored';
  return `flevel ${bytes[1] >> 6}`;
}

const classOf = (level: number) => (level === 0 ? 'stored' : `flevel ${level === 1 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3}`);

function looseFile(dir: string, oid: string): Buffer {
  return readFileSync(join(dir, '.git/objects', oid.slice(0, 2), oid.slice(2)));
}

/** One modelreg write (a tag), then the new commit, tree and blob as the files modelreg wrote. */
async function tagAndRead(dir: string, env: NodeJS.ProcessEnv = {}): Promise<Buffer[]> {
  const reg = await openRegistry({ dir, identity: ADA, env, now: fixedClock('2024-03-01T09:00:00Z').now });
  const out = await reg.tag({ model: 'churn', version: '1.0.0', set: { team: 'growth' } });
  const blob = git(dir, ['rev-parse', `${out.commit}:registry/churn/versions/1.0.0.yaml`]).stdout.trim();
  const tree = git(dir, ['rev-parse', `${out.commit}:registry/churn/versions`]).stdout.trim();
  return [out.commit!, tree, blob].map((oid) => looseFile(dir, oid));
}

function expectGitAccepts(dir: string): void {
  const fsck = git(dir, ['fsck', '--full', '--strict', '--no-progress'], { allowFail: true });
  expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  expect(git(dir, ['cat-file', '-p', 'HEAD:registry/churn/versions/1.0.0.yaml']).stdout).toMatch(/team: growth/);
  expect(git(dir, ['status', '--porcelain', '--untracked-files=all']).stdout).toBe('');
}

describe('loose objects at the compression level of Git config', () => {
  it('without config: level 1 (best speed), as git writes them', async () => {
    const dir = await makeRepo(FILES);
    for (const bytes of await tagAndRead(dir)) expect(levelClass(bytes)).toBe('flevel 0');
    expectGitAccepts(dir);
  });

  it('core.compression 9 applies to loose objects; core.looseCompression wins over it', async () => {
    const dir = await makeRepo(FILES);
    git(dir, ['config', 'core.compression', '9']);
    for (const bytes of await tagAndRead(dir)) expect(levelClass(bytes)).toBe('flevel 3');
    expectGitAccepts(dir);
    git(dir, ['config', 'core.looseCompression', '0']);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    const out = await reg.tag({ model: 'churn', version: '1.0.0', set: { team: 'risk' } });
    expect(levelClass(looseFile(dir, out.commit!))).toBe('stored');
    // A stored object holds its text as it is: the commit message is readable in the file.
    expect(looseFile(dir, out.commit!).includes('tag churn 1.0.0')).toBe(true);
    const fsck = git(dir, ['fsck', '--full', '--strict', '--no-progress'], { allowFail: true });
    expect(fsck.code, fsck.stderr).toBe(0);
    expect(git(dir, ['log', '-1', '--format=%s']).stdout.trim()).toBe('tag churn 1.0.0: team=risk');
  });

  it('-1 is zlib\'s default (6); `git -c` style variables in the context environment count', async () => {
    const dir = await makeRepo(FILES);
    const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.looseCompression', GIT_CONFIG_VALUE_0: '-1' };
    for (const bytes of await tagAndRead(dir, env)) expect(levelClass(bytes)).toBe('flevel 2');
    expectGitAccepts(dir);
  });

  it('a level git refuses is BAD_INPUT naming the key, and nothing is committed', async () => {
    const dir = await makeRepo(FILES);
    const before = headCommit(dir);
    git(dir, ['config', 'core.looseCompression', '12']);
    expect(git(dir, ['hash-object', '-w', 'modelreg.yaml'], { allowFail: true }).stderr).toMatch(/bad zlib compression level/);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    const err = await reg.tag({ model: 'churn', version: '1.0.0', set: { team: 'growth' } }).catch((e) => e);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/core\.loosecompression = 12/);
    git(dir, ['config', '--unset', 'core.looseCompression']);
    expect(headCommit(dir)).toBe(before);
    expect(git(dir, ['status', '--porcelain']).stdout).toBe('');
  });

  it('reads a level as git does: the same values accepted and refused, at the same level', async () => {
    const dir = await makeRepo();
    for (const value of ['0', '1', '5', '6', '9', '-1', '07', '0x9', '+3', ' 2', '10', '-2', '1k', 'abc', '', 'true', '08']) {
      writeFileSync(join(dir, 'probe.txt'), `probe ${JSON.stringify(value)}\n`);
      const r = git(dir, ['-c', `core.compression=${value}`, 'hash-object', '-w', 'probe.txt'], { allowFail: true });
      let mine: number | string;
      try { mine = looseCompression(new Map([['core.compression', value]])); } catch (e) { mine = (e as { code: string }).code; }
      if (r.code !== 0) expect(mine, `git refused ${JSON.stringify(value)}`).toBe('BAD_INPUT');
      else expect(classOf(mine as number), `git took ${JSON.stringify(value)}`).toBe(levelClass(looseFile(dir, r.stdout.trim())));
    }
  });
});

describe('the index after a write', () => {
  it('keeps an entry whose path is longer than 4,094 bytes (no file for it), as git wrote it', async () => {
    const dir = await makeRepo(FILES);
    const blob = git(dir, ['hash-object', '-w', 'modelreg.yaml']).stdout.trim();
    const long = `docs/${'a'.repeat(200)}/`.repeat(21) + 'end.md';
    expect(long.length).toBeGreaterThan(0xfff);
    git(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${long}`]);
    git(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},zz-after-the-long-one.md`]);
    const before = git(dir, ['ls-files', '-s']).stdout;
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    await reg.tag({ model: 'churn', version: '1.0.0', set: { team: 'growth' } });
    const after = git(dir, ['ls-files', '-s']).stdout;
    const changed = 'registry/churn/versions/1.0.0.yaml';
    const drop = (text: string) => text.split('\n').filter((l) => !l.endsWith(changed)).join('\n');
    expect(drop(after)).toBe(drop(before));
    expect(after).toContain(`${git(dir, ['rev-parse', `HEAD:${changed}`]).stdout.trim()} 0\t${changed}`);
    expect(git(dir, ['diff', '--cached', '--name-only', 'HEAD']).stdout.split('\n').filter(Boolean).sort()).toEqual([long, 'zz-after-the-long-one.md']);
  });

  it('an index cut short in its entries is an IO error that says how to rebuild it, and nothing is committed', async () => {
    const dir = await makeRepo(FILES);
    const index = join(dir, '.git/index');
    const bytes = readFileSync(index);
    writeFileSync(index, bytes.subarray(0, 12 + 100)); // the header and part of the first of three entries
    const before = headCommit(dir);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    const err = await reg.tag({ model: 'churn', version: '1.0.0', set: { team: 'growth' } }).catch((e) => e);
    expect(err.code).toBe('IO');
    expect(err.message).toMatch(/git reset/);
    expect(headCommit(dir)).toBe(before);
  });
});
