/**
 * Differential tests of the hand-written Git layer against the `git` binary. For repositories
 * git itself generates (loose objects; packs with offset and ref deltas; after `gc
 * --aggressive`; with bitmaps; packed refs; index v2, v3 and v4; a linked worktree; alternates
 * made by `clone --shared` and `--reference`, relative and nested), every object the reader
 * returns equals `git cat-file --batch`'s (type, size, bytes), every tree parses to `git
 * ls-tree`'s entries, every commit to its tree and parents, and the index to `git ls-files -s`.
 * Then a modelreg write (a registration) in each repository must leave an index that
 * `git status`, `git diff --cached` and `git fsck --full --strict` accept unchanged, and the
 * reader must agree with git on the objects it wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ObjectDatabase, objectDirectories } from '../../src/storage/odb.js';
import { ObjectStore } from '../../src/storage/objects.js';
import { readIndexOids } from '../../src/storage/index-file.js';
import { ADA, CONFIG_YAML, baseEnv, commitFiles, fixedClock, git, homeDir, makeRepo, modelYaml, tempDir, versionYaml } from '../helpers/repo.js';

/** `git -C dir ARGS` with bytes out (cat-file output is binary). */
function gitBytes(dir: string, args: string[], input?: string): Buffer {
  const r = spawnSync('git', args, { cwd: dir, input, maxBuffer: 256 << 20, env: { ...baseEnv('/nonexistent'), GIT_CONFIG_GLOBAL: '/dev/null' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface GitObject { oid: string; type: string; content: Buffer }

/** Every object of the repository and its alternates, as `git cat-file --batch-all-objects --batch` gives them. */
function allObjects(dir: string): GitObject[] {
  const out = gitBytes(dir, ['cat-file', '--batch-all-objects', '--batch']);
  const objects: GitObject[] = [];
  let i = 0;
  while (i < out.length) {
    const nl = out.indexOf(0x0a, i);
    const [oid, type, size] = out.toString('latin1', i, nl).split(' ');
    const start = nl + 1;
    objects.push({ oid, type, content: out.subarray(start, start + Number(size)) });
    i = start + Number(size) + 1;
  }
  return objects;
}

/** `git ls-tree -z` entries of a tree: mode, type, oid, path. */
function lsTree(dir: string, oid: string): Array<{ mode: string; type: string; oid: string; path: string }> {
  return gitBytes(dir, ['ls-tree', '-z', oid]).toString('utf8').split('\0').filter(Boolean).map((line) => {
    const tab = line.indexOf('\t');
    const [mode, type, id] = line.slice(0, tab).split(' ');
    return { mode, type, oid: id, path: line.slice(tab + 1) };
  });
}

/** The reader and git agree on every object, tree, commit and index entry of `dir`. */
async function expectReaderMatchesGit(dir: string): Promise<number> {
  const gitdir = git(dir, ['rev-parse', '--absolute-git-dir']).stdout.trim();
  const store = new ObjectStore(gitdir, new ObjectDatabase(gitdir));
  const objects = allObjects(dir);
  expect(objects.length).toBeGreaterThan(10);
  for (const o of objects) {
    const mine = store.readObject(o.oid);
    expect(mine.type, o.oid).toBe(o.type);
    expect(mine.content.length, o.oid).toBe(o.content.length);
    expect(mine.content.equals(o.content), `bytes of ${o.type} ${o.oid}`).toBe(true);
    expect(store.has(o.oid)).toBe(true);
    if (o.type === 'tree') {
      const entries = store.readTreeSync(o.oid).map((e) => ({ mode: e.mode, type: e.type, oid: e.oid, path: e.path }));
      expect(entries, `tree ${o.oid}`).toEqual(lsTree(dir, o.oid));
    }
  }
  const log = git(dir, ['log', '--all', '--format=%H %T %P']).stdout.trim().split('\n');
  for (const line of log) {
    const [commit, tree, ...parents] = line.split(' ').filter(Boolean);
    const c = await store.readCommit(commit);
    expect({ tree: c.tree, parents: c.parents }).toEqual({ tree, parents });
  }
  const staged = git(dir, ['ls-files', '-s', '-z']).stdout.split('\0').filter(Boolean).map((l) => {
    const [, oid] = l.split(/\s/);
    return [l.slice(l.indexOf('\t') + 1), oid] as const;
  });
  const mine = await readIndexOids(gitdir, staged.map(([p]) => p));
  expect(mine && Object.fromEntries(mine)).toEqual(Object.fromEntries(staged));
  return objects.length;
}

/** A modelreg write in `dir`, then git's judgement of the result. */
async function registerAndCheck(dir: string, version: string): Promise<void> {
  const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2024-03-01T09:00:00Z').now, env: {} });
  const r = await reg.register({ model: 'churn', artifact: `s3://models/churn/${version}`, version });
  expect(r.version).toBe(version);
  expect(git(dir, ['status', '--porcelain', '--untracked-files=all']).stdout).toBe('');
  expect(git(dir, ['diff', '--cached', '--quiet'], { allowFail: true }).code).toBe(0);
  const fsck = git(dir, ['fsck', '--full', '--strict', '--no-progress'], { allowFail: true });
  expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  expect(git(dir, ['show', `HEAD:registry/churn/versions/${version}.yaml`]).stdout).toMatch(`version: ${version}`);
}

function indexVersion(dir: string): number {
  const gitdir = git(dir, ['rev-parse', '--absolute-git-dir']).stdout.trim();
  return readFileSync(join(gitdir, 'index')).readUInt32BE(4);
}

/** A registry with history enough for deltas: several versions, each edited across commits. */
async function registry(): Promise<string> {
  const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '# Registry\n', 'registry/churn/model.yaml': modelYaml('churn') };
  for (let v = 0; v < 6; v++) files[`registry/churn/versions/1.${v}.0.yaml`] = versionYaml('churn', `1.${v}.0`, 'None', `metrics:\n  auc: 0.9${v}\n`);
  for (let k = 0; k < 20; k++) files[`docs/many/file-${String(k).padStart(2, '0')}.md`] = `# note ${k}\n${'a line of text that repeats\n'.repeat(40)}`;
  const dir = await makeRepo(files);
  for (let round = 0; round < 4; round++) {
    const edit: Record<string, string> = {};
    for (let v = 0; v < 6; v++) edit[`registry/churn/versions/1.${v}.0.yaml`] = versionYaml('churn', `1.${v}.0`, round % 2 ? 'Staging' : 'None', `metrics:\n  auc: 0.9${v}\n  round: ${round}\n`);
    edit[`docs/many/file-0${round}.md`] = `# note ${round}\n${'a line of text that repeats\n'.repeat(40)}edited in round ${round}\n`;
    await commitFiles(dir, edit, `round ${round}`);
  }
  return dir;
}

/** How many packed objects are deltas (verify-pack's lines with a base), over every pack. */
function deltaCount(dir: string): number {
  const packs = join(dir, git(dir, ['rev-parse', '--git-path', 'objects/pack']).stdout.trim());
  let n = 0;
  for (const idx of readdirSync(packs).filter((f) => f.endsWith('.idx'))) {
    n += git(dir, ['verify-pack', '-v', join(packs, idx)]).stdout.split('\n').filter((l) => /^[0-9a-f]{40} +\w+ +\d+ +\d+ +\d+ +\d+ +[0-9a-f]{40}$/.test(l)).length;
  }
  return n;
}

describe('the object reader against git cat-file, ls-tree and ls-files', () => {
  it('loose objects only', async () => {
    const dir = await registry();
    expect(git(dir, ['count-objects', '-v']).stdout).toMatch(/^packs: 0$/m);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    await expectReaderMatchesGit(dir);
  });

  it('a pack with offset deltas (git gc), then the same after gc --aggressive', async () => {
    const dir = await registry();
    git(dir, ['gc', '-q']);
    expect(deltaCount(dir)).toBeGreaterThan(0);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    git(dir, ['gc', '-q', '--aggressive']);
    expect(deltaCount(dir)).toBeGreaterThan(0);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.1.0');
  });

  it('a pack with ref deltas (repack.useDeltaBaseOffset=false)', async () => {
    const dir = await registry();
    git(dir, ['config', 'repack.useDeltaBaseOffset', 'false']);
    git(dir, ['repack', '-a', '-d', '-f', '-q']);
    expect(deltaCount(dir)).toBeGreaterThan(0);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
  });

  it('repack -a -d --write-bitmap-index, packed refs and an annotated tag', async () => {
    const dir = await registry();
    git(dir, ['tag', '-a', '-m', 'release', 'v1', 'HEAD~2']);
    git(dir, ['repack', '-a', '-d', '-q', '--write-bitmap-index']);
    git(dir, ['pack-refs', '--all']);
    expect(git(dir, ['rev-parse', '--git-path', 'packed-refs']).stdout.trim()).toBeTruthy();
    await expectReaderMatchesGit(dir);
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    expect((await reg.show({ model: 'churn', version: '1.0.0', at: 'v1' }))).toBeTruthy();
    await registerAndCheck(dir, '2.0.0');
    await expectReaderMatchesGit(dir);
  });

  it('several packs with a multi-pack-index, a cruft pack of unreachable objects, and loose objects beside them', async () => {
    const dir = await registry();
    git(dir, ['repack', '-a', '-d', '-q']);
    await commitFiles(dir, { 'registry/churn/versions/1.7.0.yaml': versionYaml('churn', '1.7.0') }, 'after the first pack');
    git(dir, ['repack', '-d', '-q']);
    git(dir, ['commit', '-q', '--allow-empty', '-m', 'to be dropped']);
    git(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    git(dir, ['reflog', 'expire', '--expire=now', '--all']);
    git(dir, ['gc', '-q', '--cruft', '--prune=1.week.ago']);
    await commitFiles(dir, { 'registry/churn/versions/1.8.0.yaml': versionYaml('churn', '1.8.0') }, 'loose, after gc');
    git(dir, ['repack', '-d', '-q']);
    git(dir, ['multi-pack-index', 'write']);
    const packs = readdirSync(join(dir, '.git/objects/pack'));
    expect(packs.filter((n) => n.endsWith('.pack')).length).toBeGreaterThan(1);
    expect(packs.some((n) => n.endsWith('.mtimes'))).toBe(true);
    expect(packs).toContain('multi-pack-index');
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    await expectReaderMatchesGit(dir);
  });

  it('index v3 (an extended entry: skip-worktree) stays v3 and keeps the flag', async () => {
    const dir = await registry();
    git(dir, ['update-index', '--skip-worktree', 'docs/many/file-10.md']);
    expect(indexVersion(dir)).toBe(3);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    expect(indexVersion(dir)).toBe(3);
    expect(git(dir, ['ls-files', '-v', 'docs/many/file-10.md']).stdout).toMatch(/^S /);
    await expectReaderMatchesGit(dir);
  });

  it('index v4 (feature.manyFiles): read, and written back as v4 that git accepts', async () => {
    const dir = await registry();
    git(dir, ['config', 'feature.manyFiles', 'true']);
    git(dir, ['update-index', '--index-version', '4']);
    git(dir, ['status', '--porcelain']);
    expect(indexVersion(dir)).toBe(4);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    expect(indexVersion(dir)).toBe(4);
    await registerAndCheck(dir, '2.1.0');
    await expectReaderMatchesGit(dir);
    expect(git(dir, ['ls-files']).stdout).toMatch(/registry\/churn\/versions\/2\.1\.0\.yaml/);
  });

  it('a linked worktree (git worktree add): reads and writes land in the shared objects', async () => {
    const dir = await registry();
    git(dir, ['gc', '-q']);
    const wt = join(await tempDir(), 'wt');
    git(dir, ['worktree', 'add', '-q', '-b', 'side', wt]);
    await expectReaderMatchesGit(wt);
    await registerAndCheck(wt, '2.0.0');
    await expectReaderMatchesGit(wt);
    expect(git(dir, ['log', '-1', '--format=%s', 'side']).stdout).toMatch(/2\.0\.0/);
    expect(git(dir, ['status', '--porcelain']).stdout).toBe('');
  });
});

describe('alternates (objects/info/alternates)', () => {
  it('git clone --shared: every object comes from the source, the write lands in the clone', async () => {
    const src = await registry();
    git(src, ['gc', '-q']);
    const dir = join(await tempDir(), 'shared');
    git(src, ['clone', '-q', '--shared', src, dir]);
    expect(readFileSync(join(dir, '.git/objects/info/alternates'), 'utf8').trim()).toBe(join(src, '.git/objects'));
    expect(git(dir, ['count-objects', '-v']).stdout).toMatch(/^count: 0$/m);
    await expectReaderMatchesGit(dir);
    await registerAndCheck(dir, '2.0.0');
    await expectReaderMatchesGit(dir);
    expect(git(dir, ['count-objects', '-v']).stdout).not.toMatch(/^count: 0$/m);
  });

  it('git clone --reference, a relative alternates path, and alternates of alternates', async () => {
    const src = await registry();
    const parent = await tempDir();
    const mid = join(parent, 'mid');
    git(parent, ['clone', '-q', '--shared', src, mid]);
    await commitFiles(mid, { 'registry/churn/versions/1.9.0.yaml': versionYaml('churn', '1.9.0') }, 'only in mid');
    const dir = join(parent, 'leaf');
    git(parent, ['clone', '-q', '--reference', mid, `file://${mid}`, dir]);
    // relative to the objects folder holding the file, as Git reads it
    writeFileSync(join(dir, '.git/objects/info/alternates'), `# a comment\n${relative(join(dir, '.git/objects'), join(mid, '.git/objects'))}\n`);
    await expectReaderMatchesGit(dir);
    expect(new ObjectDatabase(join(dir, '.git')).directories()).toEqual([join(dir, '.git/objects'), join(mid, '.git/objects'), join(src, '.git/objects')]);
    await registerAndCheck(dir, '2.0.0');
  });

  it('follows nested alternates as deep as git does, and no deeper', async () => {
    await homeDir();
    const parent = await tempDir();
    const repos = Array.from({ length: 8 }, (_, k) => join(parent, `r${k}.git`));
    const blobs: string[] = [];
    for (const [k, r] of repos.entries()) {
      git(parent, ['init', '-q', '--bare', r]);
      blobs.push(gitBytes(r, ['hash-object', '-w', '--stdin'], `blob only in r${k}\n`).toString().trim());
      if (k > 0) {
        mkdirSync(join(repos[k - 1], 'objects/info'), { recursive: true });
        writeFileSync(join(repos[k - 1], 'objects/info/alternates'), `${join(r, 'objects')}\n`);
      }
    }
    const odb = new ObjectDatabase(repos[0]);
    const seenByGit = blobs.map((b) => git(repos[0], ['cat-file', '-e', b], { allowFail: true }).code === 0);
    expect(seenByGit.filter(Boolean).length).toBeLessThan(8); // git's limit is in effect
    expect(blobs.map((b) => odb.has(b))).toEqual(seenByGit);
    expect(blobs.map((b) => odb.read(b)?.content.toString())).toEqual(blobs.map((b, k) => (seenByGit[k] ? `blob only in r${k}\n` : undefined)));
    expect(objectDirectories(join(repos[0], 'objects'))).toHaveLength(seenByGit.filter(Boolean).length);
  });

  it('reads a C-quoted alternates line and GIT_ALTERNATE_OBJECT_DIRECTORIES as git does', async () => {
    await homeDir();
    const parent = await tempDir();
    const odd = join(parent, 'with\ttab "quoted".git');
    const plain = join(parent, 'plain.git');
    const main = join(parent, 'main.git');
    for (const r of [odd, plain, main]) git(parent, ['init', '-q', '--bare', r]);
    const inOdd = gitBytes(odd, ['hash-object', '-w', '--stdin'], 'in the odd one\n').toString().trim();
    const inPlain = gitBytes(plain, ['hash-object', '-w', '--stdin'], 'in the plain one\n').toString().trim();
    mkdirSync(join(main, 'objects/info'), { recursive: true });
    writeFileSync(join(main, 'objects/info/alternates'), `"${join(odd, 'objects').replace(/\t/g, '\\t').replace(/"/g, '\\"')}"\n`);
    const env = { GIT_ALTERNATE_OBJECT_DIRECTORIES: join(plain, 'objects') };
    const byGit = [inOdd, inPlain].map((b) => git(main, ['cat-file', '-e', b], { allowFail: true, env }).code === 0);
    expect(byGit).toEqual([true, true]);
    expect([inOdd, inPlain].map((b) => new ObjectDatabase(main, { ...process.env, ...env }).has(b))).toEqual(byGit);
    expect(new ObjectDatabase(main, {}).read(inOdd)?.content.toString()).toBe('in the odd one\n');
    expect(new ObjectDatabase(main, {}).has(inPlain)).toBe(false);
  });
});
