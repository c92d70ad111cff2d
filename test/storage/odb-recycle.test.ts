/**
 * An object database made with `recycleTrees` (the history walk's) rebuilds large trees from
 * pack deltas into memory it reuses after each `recycle()`. Every tree it gives must still be
 * exactly the object Git has (its bytes hash to its id), read newest first as a walk reads them,
 * with the caches small enough that their memory is let go of and reused many times.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectDatabase } from '../../src/storage/odb.js';
import { git } from '../helpers/repo.js';

/** A repository whose folder `big/` gains 40 files a commit for 120 commits (trees up to about 250 kB), packed with deltas; new names sort first, so no tree is a prefix of a later one. */
function repo(): { dir: string; trees: string[] } {
  const dir = join(mkdtempSync(join(tmpdir(), 'mrrecycle-')), 'repo');
  git(tmpdir(), ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let c = 0; c < 120; c++) {
    parts.push(`commit refs/heads/main\ncommitter Ada <ada@example.com> ${1767225600 + c} +0000\ndata 2\nc\n`);
    const text = `${c}\n`;
    for (let f = 0; f < 40; f++) parts.push(`M 100644 inline big/file-${String(99999 - c * 40 - f)}-${'x'.repeat(f % 7)}.yaml\ndata ${text.length}\n${text}\n`);
    parts.push('\n');
  }
  const r = spawnSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: parts.join(''), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  git(dir, ['gc', '-q', '--aggressive']);
  const trees = git(dir, ['log', '--format=%H', 'main']).stdout.trim().split('\n').map((c) => git(dir, ['rev-parse', `${c}:big`]).stdout.trim());
  return { dir, trees };
}

const hashOf = (type: string, content: Buffer) => createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');

describe('ObjectDatabase with recycleTrees', () => {
  it('gives every tree of a walk exactly as Git has it, reusing the memory of large ones', () => {
    const { dir, trees } = repo();
    expect(trees).toHaveLength(120);
    // Caches of 512 kB (two of the largest trees): rebuilding a tree lets go of others, whose memory is reused over and over.
    const odb = new ObjectDatabase(join(dir, '.git'), process.env, 512 * 1024, { recycleTrees: true, cacheEntries: 16 });
    const plain = new ObjectDatabase(join(dir, '.git'));
    let large = 0;
    const seen = new Set<ArrayBufferLike>();
    let reused = 0;
    for (let i = 0; i < trees.length; i++) {
      odb.recycle();
      // Five trees in a row, all held until the next recycle() (a walk holds two).
      const read = trees.slice(i, i + 5).map((t) => odb.read(t)!);
      read.forEach((o, k) => expect(hashOf(o.type, o.content)).toBe(trees[i + k]));
      expect(read[0].content.equals(plain.read(trees[i])!.content)).toBe(true);
      if (read[0].content.length >= 64 * 1024) large++;
      for (const o of read) {
        if (o.content.length >= 64 * 1024 && seen.has(o.content.buffer)) reused++;
        seen.add(o.content.buffer);
      }
    }
    expect(reused).toBeGreaterThan(20);
    expect(large).toBeGreaterThan(40);
    // Before recycle() no memory is reused: trees read earlier stay intact while others are
    // rebuilt and the caches let go of them.
    const fresh = new ObjectDatabase(join(dir, '.git'), process.env, 512 * 1024, { recycleTrees: true, cacheEntries: 16 });
    const held = trees.slice(1, 30).map((t) => fresh.read(t)!);
    held.forEach((o, k) => expect(hashOf(o.type, o.content)).toBe(trees[1 + k]));
    // Read again, oldest first, after the memory has been reused: still the same bytes.
    for (let i = trees.length - 1; i >= 0; i--) {
      odb.recycle();
      expect(hashOf('tree', odb.read(trees[i])!.content)).toBe(trees[i]);
    }
  }, 120_000);

  it('reuses at once the memory of delta-chain links no caller was given, so a walk takes little new memory', () => {
    const { dir, trees } = repo();
    // The pack chains the folder's trees (up to 50 deep): the first read of a walk rebuilds many
    // links, which a cache of two large trees cannot hold. A walk holds a commit's two trees.
    const odb = new ObjectDatabase(join(dir, '.git'), process.env, 512 * 1024, { recycleTrees: true, cacheEntries: 16 });
    const blocks = new Set<ArrayBufferLike>();
    for (let i = 0; i + 1 < trees.length; i++) {
      odb.recycle();
      for (const t of [trees[i], trees[i + 1]]) {
        const o = odb.read(t)!;
        expect(hashOf(o.type, o.content)).toBe(t);
        if (o.content.length >= 16 * 1024) blocks.add(o.content.buffer);
      }
    }
    // Distinct blocks the walk was given: 39 here, against 76 when each link's memory waited for
    // the next recycle() (the links rebuilt meanwhile took new memory, which later trees got).
    expect(blocks.size).toBeLessThan(50);
  }, 120_000);
});
