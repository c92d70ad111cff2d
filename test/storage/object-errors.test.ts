/**
 * A damaged repository is reported, not a bug: a truncated loose object, flipped bytes in a
 * pack and an object a tree needs but the repository lacks become CORRUPT_OBJECT or
 * MISSING_OBJECT (exit 5), one line on stderr naming the object id and the file, the stack
 * only with --debug. Reads use `--at main` so that the objects, not the checkout, answer.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/storage/objects.js';
import { CONFIG_YAML, git, makeRepo, modelYaml, runCli, versionYaml } from '../helpers/repo.js';

const VERSION = versionYaml('churn', '1.0.0', 'None', 'metrics:\n  auc: 0.91\n');

async function registry(): Promise<{ dir: string; blob: string; objects: string }> {
  const dir = await makeRepo({
    'modelreg.yaml': CONFIG_YAML,
    'registry/churn/model.yaml': modelYaml('churn'),
    'registry/churn/versions/1.0.0.yaml': VERSION,
  });
  const blob = git(dir, ['rev-parse', 'main:registry/churn/versions/1.0.0.yaml']).stdout.trim();
  return { dir, blob, objects: join(dir, '.git', 'objects') };
}

async function expectOneLine(dir: string, code: number, ...patterns: RegExp[]): Promise<void> {
  const r = await runCli(['show', 'churn', '1.0.0', '--at', 'main'], { cwd: dir });
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).not.toMatch(/this is a bug/i);
  const debug = await runCli(['show', 'churn', '1.0.0', '--at', 'main', '--debug'], { cwd: dir });
  expect(debug.code).toBe(code);
  expect(debug.stderr).toMatch(/\n\s+at /);
}

describe('object-layer failures are typed errors', () => {
  it('a truncated loose object is CORRUPT_OBJECT with its id and path, exit 5', async () => {
    const { dir, blob, objects } = await registry();
    const file = join(objects, blob.slice(0, 2), blob.slice(2));
    const bytes = readFileSync(file);
    chmodSync(file, 0o644);
    writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    await expectOneLine(dir, 5, new RegExp(`Git object ${blob} in ${file.replace(/[/.]/g, '\\$&')} is corrupt`), /git fsck --full/);
    const json = await runCli(['show', 'churn', '1.0.0', '--at', 'main', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'CORRUPT_OBJECT', data: { oid: blob, file } });
  });

  it('flipped bytes inside a packed object are CORRUPT_OBJECT naming the pack', async () => {
    const { dir, blob, objects } = await registry();
    git(dir, ['repack', '-a', '-d', '-q']);
    const packDir = join(objects, 'pack');
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!);
    // `git verify-pack -v`: "<oid> <type> <size> <size in pack> <offset>" per object
    const line = git(dir, ['verify-pack', '-v', pack.replace(/\.pack$/, '.idx')]).stdout.split('\n').find((l) => l.startsWith(blob))!;
    const [, , , inPack, offset] = line.split(/\s+/).map(Number);
    const bytes = readFileSync(pack);
    for (let k = Math.floor(inPack / 3); k < Math.floor((2 * inPack) / 3); k++) bytes[offset + k] ^= 0x5a;
    chmodSync(pack, 0o644);
    writeFileSync(pack, bytes);
    expect(git(dir, ['cat-file', 'blob', blob], { allowFail: true }).code).not.toBe(0);
    await expectOneLine(dir, 5, new RegExp(`Git object ${blob} in ${pack.replace(/[/.]/g, '\\$&')} is corrupt`));
  });

  it('an object a tree needs, deleted, is MISSING_OBJECT with its id and the objects folder, exit 5', async () => {
    const { dir, blob, objects } = await registry();
    rmSync(join(objects, blob.slice(0, 2), blob.slice(2)));
    await expectOneLine(dir, 5, new RegExp(`Git object ${blob} is missing from ${objects.replace(/[/.]/g, '\\$&')}`), /git fsck --full/);
    const store = new ObjectStore(join(dir, '.git'));
    expect(store.has(blob)).toBe(false);
    expect(() => store.readObject(blob)).toThrow(expect.objectContaining({ code: 'MISSING_OBJECT', data: { oid: blob, file: objects } }));
  });

  it('a damaged pack index is CORRUPT_OBJECT, and one of the old version 1 is refused as unsupported', async () => {
    const { dir, blob, objects } = await registry();
    git(dir, ['repack', '-a', '-d', '-q']);
    const packDir = join(objects, 'pack');
    const idx = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.idx'))!);
    const bytes = readFileSync(idx);
    chmodSync(idx, 0o644);
    writeFileSync(idx, bytes.subarray(0, 1100));
    const store = () => new ObjectStore(join(dir, '.git'));
    expect(() => store().readObject(blob)).toThrow(expect.objectContaining({ code: 'CORRUPT_OBJECT', data: expect.objectContaining({ file: idx }) }));
    git(dir, ['index-pack', '--index-version=1', '-o', idx, idx.replace(/\.idx$/, '.pack')]);
    expect(() => store().readObject(blob)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_REPOSITORY' }));
  });

  it('a tree or commit that inflates but does not parse is CORRUPT_OBJECT', async () => {
    const { dir, objects } = await registry();
    const write = (type: string, content: string) => {
      writeFileSync(join(dir, '.git', 'raw-object'), content);
      return git(dir, ['hash-object', '--literally', '-t', type, '-w', join(dir, '.git', 'raw-object')]).stdout.trim();
    };
    const tree = write('tree', '100644 cut-off-name');
    const commit = write('commit', 'author nobody\n\nno tree line\n');
    const store = new ObjectStore(join(dir, '.git'));
    expect(() => store.readTreeSync(tree)).toThrow(expect.objectContaining({ code: 'CORRUPT_OBJECT', data: expect.objectContaining({ oid: tree, file: objects }) }));
    await expect(store.readCommit(commit)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', data: { oid: commit } });
  });
});
