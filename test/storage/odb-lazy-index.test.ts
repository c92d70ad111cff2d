/**
 * A big pack index is searched on disk for a process's first lookups (a point read looks up a
 * few dozen objects; the index of 100,000 commits is 18 MB) and read whole after that. Both ways
 * must find exactly the objects Git has, with their offsets, and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, truncateSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectDatabase } from '../../src/storage/odb.js';
import { git } from '../helpers/repo.js';

/** A packed repository of 60 commits (a few hundred objects), and every object id with its type and size as `git cat-file` gives them. */
function packedRepo(): { dir: string; objects: Array<{ oid: string; type: string; size: number }> } {
  const dir = join(mkdtempSync(join(tmpdir(), 'mrlazyidx-')), 'repo');
  git(tmpdir(), ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  for (let c = 0; c < 60; c++) {
    parts.push(`commit refs/heads/main\ncommitter Ada <ada@example.com> ${1767225600 + c} +0000\ndata 2\nc\n`);
    for (let f = 0; f < 3; f++) { const text = `file ${f} of commit ${c}\n`.repeat(f + 1); parts.push(`M 100644 inline d${c % 7}/f${f}.yaml\ndata ${text.length}\n${text}\n`); }
    parts.push('\n');
  }
  const r = spawnSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: parts.join(''), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  git(dir, ['gc', '-q']);
  const objects = git(dir, ['cat-file', '--batch-all-objects', '--batch-check']).stdout.trim().split('\n').map((l) => {
    const [oid, type, size] = l.split(' ');
    return { oid, type, size: Number(size) };
  });
  return { dir, objects };
}

describe('pack index searched on disk, then read whole', () => {
  it('finds every object Git has, before and after the index is read whole, and no other', () => {
    const { dir, objects } = packedRepo();
    expect(objects.length).toBeGreaterThan(200);
    const lazy = new ObjectDatabase(join(dir, '.git'), process.env, undefined, { lazyIndexBytes: 0 });
    const whole = new ObjectDatabase(join(dir, '.git'));
    // In id order and reversed, so lookups land at both ends of every fan-out bucket, on disk
    // (the first 64) and from memory (the rest).
    for (const o of [...objects, ...[...objects].reverse()]) {
      const got = lazy.read(o.oid);
      expect(got?.type, o.oid).toBe(o.type);
      expect(got!.content.length).toBe(o.size);
      expect(got!.content.equals(whole.read(o.oid)!.content)).toBe(true);
    }
    const fresh = new ObjectDatabase(join(dir, '.git'), process.env, undefined, { lazyIndexBytes: 0 });
    for (const missing of ['0'.repeat(40), 'f'.repeat(40), objects[0].oid.slice(0, 39) + (objects[0].oid[39] === '0' ? '1' : '0')]) {
      if (objects.some((o) => o.oid === missing)) continue;
      expect(fresh.has(missing)).toBe(false);
      expect(fresh.read(missing)).toBeUndefined();
    }
    expect(fresh.expand(objects[5].oid.slice(0, 8))).toContain(objects[5].oid);
  });

  it('calls an index cut short corrupt, naming the file, when it is searched on disk', () => {
    const { dir, objects } = packedRepo();
    const packDir = join(dir, '.git', 'objects', 'pack');
    const idx = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.idx'))!);
    truncateSync(idx, 8 + 1024 + 20 * 10);
    const lazy = new ObjectDatabase(join(dir, '.git'), process.env, undefined, { lazyIndexBytes: 0 });
    expect(() => lazy.read(objects[objects.length - 1].oid)).toThrow(/pack index|is corrupt/);
    try {
      lazy.read(objects[objects.length - 1].oid);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('CORRUPT_OBJECT');
      expect((e as Error).message).toContain(idx);
    }
  });
});
