/**
 * History at depth (issue 16): the walk is a stream, so it never runs out of memory however long
 * the history is, and the event index (.git/modelreg/events-v4) never changes an answer: deleted,
 * corrupted or extended by a later commit, history reads the same as a cold derivation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ADA, CONFIG_YAML, ROOT, cleanup, commitFiles, git, headCommit, makeRepo, modelYaml, runCli, tempDir, versionYaml } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const INDEX = (dir: string) => join(dir, '.git', 'modelreg', 'events-v4');
const BASE = 1767225600;

/**
 * A repository of `n` commits made with git fast-import: model `big` gets a registration per
 * commit, every third commit instead promotes the previous version to Staging, and every tenth
 * registers a version of model `side`. Returns the folder and the entries `history big` must
 * print, newest first, as [commit, description].
 */
function deepRepo(n: number): { dir: string; expected: Array<[string, string]> } {
  const dir = join(mkdtempSync(join(tmpdir(), 'mrdeep-')), 'repo');
  git(tmpdir(), ['init', '-q', '-b', 'main', dir]);
  const parts: string[] = [];
  const file = (path: string, text: string) => parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  const commit = (i: number, subject: string) => {
    const msg = `${subject}\n`;
    parts.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Ada Lovelace <ada@example.com> ${BASE + i * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`);
  };
  const expected: Array<[number, string]> = [[0, 'big: new model']];
  commit(0, 'init');
  file('modelreg.yaml', CONFIG_YAML);
  file('policies/default.yaml', POLICY);
  file('registry/big/model.yaml', modelYaml('big'));
  file('registry/side/model.yaml', modelYaml('side'));
  parts.push('\n');
  let k = 0;
  for (let i = 1; i < n; i++) {
    if (i % 10 === 0) {
      commit(i, `register side ${i}`);
      file(`registry/side/versions/1.${i}.0.yaml`, versionYaml('side', `1.${i}.0`));
    } else if (i % 3 === 0 && k > 0) {
      commit(i, `promote big 1.${k - 1}.0`);
      file(`registry/big/versions/1.${k - 1}.0.yaml`, versionYaml('big', `1.${k - 1}.0`, 'Staging'));
      expected.push([i, `big 1.${k - 1}.0: None → Staging`]);
    } else {
      commit(i, `register big 1.${k}.0`);
      file(`registry/big/versions/1.${k}.0.yaml`, versionYaml('big', `1.${k}.0`));
      expected.push([i, `big 1.${k}.0: registered (None)`]);
      k++;
    }
    parts.push('\n');
  }
  parts.push('done\n');
  const r = spawnSync('git', ['-C', dir, 'fast-import', '--quiet', '--done', '--export-marks=marks'], { input: parts.join(''), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`fast-import: ${r.stderr}`);
  const marks = new Map(readFileSync(join(dir, 'marks'), 'utf8').trim().split('\n').map((l) => {
    const [m, oid] = l.split(' ');
    return [Number(m.slice(1)) - 1, oid] as [number, string];
  }));
  rmSync(join(dir, 'marks'));
  git(dir, ['reset', '-q', '--hard', 'main']);
  return { dir, expected: expected.reverse().map(([i, d]) => [marks.get(i)!, d]) };
}

/** `history` text output as [commit prefix, description] pairs (one event per entry here). */
function parseEntries(stdout: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = stdout.trimEnd().split('\n');
  for (let i = 0; i < lines.length; i += 2) out.push([lines[i].slice(0, 12), lines[i + 1].trim()]);
  return out;
}

function indexFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(INDEX(dir))) out[f] = readFileSync(join(INDEX(dir), f), 'utf8');
  return out;
}

describe('history at depth', () => {
  const { dir, expected } = deepRepo(10_000);
  const want = expected.map(([c, d]) => [c.slice(0, 12), d]);

  it('streams 10,000 commits under a 150 MB heap, complete and newest first, with a young generation that stays small', async () => {
    expect(want.length).toBeGreaterThan(8000);
    // The heap's spaces as the process leaves them: a first walk keeps V8's young generation at its
    // starting size (ops/history.ts): 4 MB here, where V8 grows it to 32 MB over such a walk.
    const tmp = await tempDir('mrheap-');
    const preload = join(tmp, 'spaces.cjs');
    const spaces = join(tmp, 'spaces.json');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(spaces)}, JSON.stringify(require('node:v8').getHeapSpaceStatistics())));\n`);
    const r = await runCli(['history', 'big'], { cwd: dir, env: { NODE_OPTIONS: `--max-old-space-size=150 --require ${preload}` } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseEntries(r.stdout)).toEqual(want);
    const young = (JSON.parse(readFileSync(spaces, 'utf8')) as Array<{ space_name: string; space_size: number }>).find((x) => x.space_name === 'new_space')!;
    expect(young.space_size).toBeLessThanOrEqual(8 * 1024 * 1024);
  }, 300_000);

  it('answers the same from the index, without it, and with a corrupt segment', async () => {
    const warm = await runCli(['history', 'big'], { cwd: dir });
    expect(parseEntries(warm.stdout)).toEqual(want);
    // From the index, a model's history parses only the lines that name it, in any case.
    expect(parseEntries((await runCli(['history', 'BIG'], { cwd: dir })).stdout)).toEqual(want);
    const files = indexFiles(dir);
    expect(Object.keys(files).length).toBeGreaterThan(1);
    // A segment cut short, another with commits that do not chain: both ignored and written again.
    const [first, second] = Object.keys(files).sort();
    writeFileSync(join(INDEX(dir), first), files[first].slice(0, files[first].length / 2));
    const lines = files[second].split('\n');
    [lines[2], lines[3]] = [lines[3], lines[2]];
    writeFileSync(join(INDEX(dir), second), lines.join('\n'));
    const repaired = await runCli(['history', 'big'], { cwd: dir });
    expect(parseEntries(repaired.stdout)).toEqual(want);
    expect(indexFiles(dir)).toEqual(files);
    rmSync(INDEX(dir), { recursive: true, force: true });
    const cold = await runCli(['history', 'big', '--limit', '25'], { cwd: dir });
    expect(parseEntries(cold.stdout)).toEqual(want.slice(0, 25));
    // The --limit walk left a segment of the commits it derived; a whole walk later reads it and
    // derives the rest, and then the index answers alone, complete, with nothing left to add.
    const partial = indexFiles(dir);
    expect(Object.keys(partial)).toHaveLength(1);
    expect(parseEntries((await runCli(['history', 'big'], { cwd: dir })).stdout)).toEqual(want);
    const whole = indexFiles(dir);
    expect(Object.keys(whole).length).toBeGreaterThan(1);
    expect(parseEntries((await runCli(['history', 'big'], { cwd: dir })).stdout)).toEqual(want);
    expect(indexFiles(dir)).toEqual(whole);
  }, 300_000);

  it('indexes a commit added later by itself, leaving the stored segments as they are', async () => {
    const copy = join(await tempDir('mrdeep-copy-'), 'repo');
    cpSync(dir, copy, { recursive: true });
    rmSync(INDEX(copy), { recursive: true, force: true });
    await runCli(['history', 'big'], { cwd: copy });
    const before = indexFiles(copy);
    const tip = headCommit(copy);
    await commitFiles(copy, { 'registry/big/versions/9.0.0.yaml': versionYaml('big', '9.0.0') }, 'by hand');
    const r = await runCli(['history', 'big', '--limit', '2'], { cwd: copy });
    expect(parseEntries(r.stdout)).toEqual([[headCommit(copy).slice(0, 12), 'big 9.0.0: registered (None)'], want[0]]);
    const after = indexFiles(copy);
    const added = Object.keys(after).filter((f) => !(f in before));
    expect(added).toEqual([`${headCommit(copy)}.ndjson`]);
    expect(JSON.parse(after[added[0]].split('\n')[0])).toMatchObject({ count: 1, next: tip });
    for (const [f, text] of Object.entries(before)) expect(after[f]).toBe(text);
  }, 300_000);
});

describe('event index, small', () => {
  it('--since, a model filter and every model agree with and without the index', async () => {
    const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/a/model.yaml': modelYaml('a') });
    for (let i = 0; i < 6; i++) await commitFiles(dir, { [`registry/${i % 2 ? 'a' : 'b'}/versions/1.${i}.0.yaml`]: versionYaml(i % 2 ? 'a' : 'b', `1.${i}.0`), ...(i === 0 ? { 'registry/b/model.yaml': modelYaml('b') } : {}) }, `change ${i}`);
    const since = headCommit(dir, 'HEAD~3');
    const ask = async () => {
      const reg = await openRegistry({ dir, identity: ADA });
      return [await reg.history(), await reg.history({ model: 'A' }), await reg.history({ since })];
    };
    const cold = await ask();
    expect(cold[0].entries.map((e) => e.subject)).toEqual(['change 5', 'change 4', 'change 3', 'change 2', 'change 1', 'change 0', 'initial files']);
    expect(cold[1].entries.map((e) => e.subject)).toEqual(['change 5', 'change 3', 'change 1', 'initial files']);
    expect(cold[2].entries.map((e) => e.subject)).toEqual(['change 5', 'change 4', 'change 3']);
    expect(await ask()).toEqual(cold);
    for (const f of readdirSync(INDEX(dir))) writeFileSync(join(INDEX(dir), f), '{"format":"modelreg-events","version":1}\nnot json\n');
    expect(await ask()).toEqual(cold);
    rmSync(INDEX(dir), { recursive: true });
    expect(await ask()).toEqual(cold);
  });
});

describe('event index, many models', () => {
  it('history MODEL skips a segment whose header names other models only, and reads one that names it', async () => {
    const { dir, expected } = deepRepo(300);
    const reg = async () => openRegistry({ dir, identity: ADA });
    const wantBig = expected.map(([c]) => c);
    expect((await (await reg()).history({ model: 'big' })).entries.map((e) => e.commit)).toEqual(wantBig);
    // Three commits of side only, indexed in a segment of their own (the one they lead to is too large to take them in).
    for (let i = 0; i < 3; i++) await commitFiles(dir, { [`registry/side/versions/2.${i}.0.yaml`]: versionYaml('side', `2.${i}.0`) }, `side 2.${i}.0`);
    const wantSide = (await (await reg()).history({ model: 'side' })).entries.map((e) => e.subject);
    expect(wantSide.slice(0, 4)).toEqual(['side 2.2.0', 'side 2.1.0', 'side 2.0.0', 'register side 290']);
    const tip = headCommit(dir);
    const file = join(INDEX(dir), `${tip}.ndjson`);
    const text = readFileSync(file, 'utf8');
    const header = JSON.parse(text.split('\n')[0]) as { models: Record<string, number[]> };
    expect(header).toMatchObject({ head: tip, count: 3 });
    expect(Object.keys(header.models)).toEqual(['side']);
    // Damage the records under an intact header: history of big never reads them (the file stays
    // as it is), history of side does (it derives the commits again and rewrites the segment).
    const damaged = `${text.split('\n')[0]}\n${'{"c":"junk"}\n'.repeat(3)}`;
    writeFileSync(file, damaged);
    expect((await (await reg()).history({ model: 'BIG' })).entries.map((e) => e.commit)).toEqual(wantBig);
    expect(readFileSync(file, 'utf8')).toBe(damaged);
    expect((await (await reg()).history({ model: 'side' })).entries.map((e) => e.subject)).toEqual(wantSide);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('an unbuilt checkout', () => {
  it('says to run npm ci and exits 2 instead of a stack trace', async () => {
    const root = await tempDir('mrunbuilt-');
    cpSync(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    const r = spawnSync(process.execPath, [join(root, 'bin', 'modelreg.js'), 'list'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/modelreg is not built: .*dist\/cli\/modelreg\.cjs is missing\. Run `npm ci`/);
  });
});
