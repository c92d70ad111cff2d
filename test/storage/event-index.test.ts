/**
 * The event index's segment format (storage/event-index.ts, version 4): each header maps a model
 * to the [offset, length] of the lines that name it, and `history MODEL` reads only those lines.
 * Whatever is wrong with a segment, an answer never changes: a damaged file is refused and
 * written again, an index of another version is not read, a walk stopped early leaves a partial
 * index that a later walk completes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { EVENT_INDEX_VERSION } from '../../src/storage/event-index.js';
import { ADA, CONFIG_YAML, ROOT, cleanup, commitFiles, headCommit, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const MODELREG = (dir: string) => join(dir, '.git', 'modelreg');
const INDEX = (dir: string) => join(MODELREG(dir), 'events-v4');

/** A registry of models a, b, c with `n` commits after the first, each registering a version of one of them (a, b, a, c, ...). */
async function repo(n: number): Promise<string> {
  const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/a/model.yaml': modelYaml('a'), 'registry/b/model.yaml': modelYaml('b'), 'registry/c/model.yaml': modelYaml('c') });
  for (let i = 0; i < n; i++) {
    const m = ['a', 'b', 'a', 'c'][i % 4];
    await commitFiles(dir, { [`registry/${m}/versions/1.${i}.0.yaml`]: versionYaml(m, `1.${i}.0`) }, `${m} 1.${i}.0`);
  }
  return dir;
}

/** Every answer history gives here: the whole history, each model's (in another case too) and a bounded one, as subjects and events. */
async function answers(dir: string) {
  const reg = await openRegistry({ dir, identity: ADA });
  const out: unknown[] = [];
  for (const input of [{}, { model: 'a' }, { model: 'B' }, { model: 'c' }, { model: 'a', limit: 2 }]) {
    out.push((await reg.history(input)).entries.map((e) => [e.commit, e.subject, e.events.map((x) => x.description)]));
  }
  return out;
}

function segments(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(INDEX(dir))) out[f] = readFileSync(join(INDEX(dir), f), 'utf8');
  return out;
}

interface Header { format: string; version: number; head: string; next: string | null; count: number; bytes: number; models: Record<string, number[]> }

function parse(text: string): { header: Header; body: Buffer } {
  const nl = text.indexOf('\n');
  return { header: JSON.parse(text.slice(0, nl)) as Header, body: Buffer.from(text.slice(nl + 1), 'utf8') };
}

describe('event index format', () => {
  it('is version 4 under events-v4, and each model maps to exactly the lines whose events name it', async () => {
    const dir = await repo(6);
    const cold = await answers(dir);
    expect(EVENT_INDEX_VERSION).toBe(4);
    const files = segments(dir);
    expect(Object.keys(files)).toEqual([`${headCommit(dir)}.ndjson`]);
    const { header, body } = parse(files[`${headCommit(dir)}.ndjson`]);
    expect(header).toMatchObject({ format: 'modelreg-events', version: 4, head: headCommit(dir), next: null, count: 7, bytes: body.length });
    const lines = body.toString('utf8').trimEnd().split('\n');
    const want: Record<string, number[]> = {};
    let offset = 0;
    for (const line of lines) {
      const len = Buffer.byteLength(line);
      for (const m of new Set((JSON.parse(line) as { events: Array<{ model: string }> }).events.map((e) => e.model))) (want[m] ??= []).push(offset, len);
      offset += len + 1;
    }
    expect(Object.keys(want).sort()).toEqual(['a', 'b', 'c']);
    expect(header.models).toEqual(want);
    // The header is the first line; models come last, in name order.
    expect(files[`${headCommit(dir)}.ndjson`].split('\n')[0]).toMatch(/,"models":\{"a":\[[\d,]+\],"b":\[[\d,]+\],"c":\[[\d,]+\]\}\}$/);
    expect(await answers(dir)).toEqual(cold);
    expect(segments(dir)).toEqual(files);
  });

  it('does not read an index of another version: events-v3 left in place changes no answer', async () => {
    const dir = await repo(3);
    const cold = await answers(dir);
    const text = Object.values(segments(dir))[0];
    rmSync(INDEX(dir), { recursive: true });
    // A version 3 segment for the tip, with events that are not the commits': were it read, answers would change.
    const old = join(MODELREG(dir), 'events-v3');
    mkdirSync(old, { recursive: true });
    const lies = text.split('\n').slice(1, -1).map((l) => JSON.stringify({ ...JSON.parse(l), events: [{ type: 'register', model: 'zzz', version: '9.9.9', stage: 'None' }] }));
    writeFileSync(join(old, `${headCommit(dir)}.ndjson`), `${JSON.stringify({ format: 'modelreg-events', version: 3, head: headCommit(dir), next: null, count: lies.length, models: ['zzz'] })}\n${lies.join('\n')}\n`);
    expect(await answers(dir)).toEqual(cold);
    expect(Object.values(segments(dir))).toEqual([text]);
  });

  it("finds each model's lines among many whose names share beginnings, and none for a model it does not name", async () => {
    const names = ['m5', 'm50', 'm5-x', 'm5.a', 'm5_b', 'M6', '123', '9', 'a', 'zz', ...Array.from({ length: 30 }, (_, i) => `n${i}`)];
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY };
    // A name of digits is quoted in YAML (else it reads as a number).
    const quoted = (text: string, key: string, n: string) => (/^\d+$/.test(n) ? text.replace(`${key}: ${n}\n`, `${key}: '${n}'\n`) : text);
    for (const n of names) files[`registry/${n}/model.yaml`] = quoted(modelYaml(n), 'name', n);
    const dir = await makeRepo(files);
    for (const [i, n] of ['m5-x', 'm50', 'm5', 'zz', 'M6', 'm5', '123', 'n7'].entries()) {
      await commitFiles(dir, { [`registry/${n}/versions/1.${i}.0.yaml`]: quoted(versionYaml(n, `1.${i}.0`), 'model', n) }, `${n} 1.${i}.0`);
    }
    const asked = [...names, 'm6', 'M5', 'm', 'm5-', 'm500', 'zzz', '0', 'n30'];
    const ask = async () => {
      const reg = await openRegistry({ dir, identity: ADA });
      const out: Record<string, string[]> = {};
      for (const model of asked) out[model] = (await reg.history({ model })).entries.map((e) => e.subject);
      return out;
    };
    const cold = await ask();
    expect(cold.m5).toEqual(['m5 1.5.0', 'm5 1.2.0', 'initial files']);
    expect(cold.M5).toEqual(cold.m5);
    expect(cold.m6).toEqual(['M6 1.4.0', 'initial files']);
    expect(cold['123']).toEqual(['123 1.6.0', 'initial files']);
    expect(cold.m500).toEqual([]);
    expect(Object.keys(parse(Object.values(segments(dir))[0]).header.models).sort()).toEqual(names.map((n) => n.toLowerCase()).sort());
    expect(await ask()).toEqual(cold);
  });

  describe('a damaged segment is refused and written again', () => {
    /** Damages: each takes the segment's text and returns what is written in its place. */
    const damages: Record<string, (text: string) => string> = {
      'a byte appended': (t) => `${t}x`,
      'cut short': (t) => t.slice(0, t.length - 40),
      'a line of model a replaced by as many bytes of junk': (t) => {
        const { header, body } = parse(t);
        const [off, len] = header.models.a;
        const junk = Buffer.from('{"c":"x"}'.padEnd(len, ' '));
        junk.copy(body, off);
        return `${t.slice(0, t.indexOf('\n') + 1)}${body.toString('utf8')}`;
      },
      "model a's first line pointing at b's": (t) => {
        const { header } = parse(t);
        const [aOff, aLen] = header.models.a;
        const [bOff, bLen] = header.models.b;
        return t.replace(`"a":[${aOff},${aLen}`, `"a":[${bOff},${bLen}`);
      },
      "model a's line shifted by one byte": (t) => {
        const { header } = parse(t);
        const [aOff, aLen] = header.models.a;
        return t.replace(`"a":[${aOff},${aLen}`, `"a":[${aOff + 1},${aLen}`);
      },
      'two adjacent lines of model a of equal length swapped': (t) => {
        // The two newest commits (see the repository below).
        const nl = t.indexOf('\n');
        const lines = t.slice(nl + 1).split('\n');
        [lines[0], lines[1]] = [lines[1], lines[0]];
        return `${t.slice(0, nl + 1)}${lines.join('\n')}`;
      },
      'the header no longer JSON': (t) => `{${t}`,
      'the table not a list of numbers': (t) => t.replace(/"a":\[(\d+)/, '"a":["$1"'),
    };

    for (const [name, damage] of Object.entries(damages)) {
      it(name, async () => {
        const dir = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/a/model.yaml': modelYaml('a'), 'registry/b/model.yaml': modelYaml('b') });
        // The two newest commits both register a version of a, in lines of equal length.
        for (const [m, v] of [['b', '1.0.0'], ['a', '1.1.0'], ['b', '1.2.0'], ['a', '1.3.0'], ['a', '1.4.0']]) {
          await commitFiles(dir, { [`registry/${m}/versions/${v}.yaml`]: versionYaml(m, v) }, `${m} ${v}`);
        }
        const cold = await answers(dir);
        const [file, text] = Object.entries(segments(dir))[0];
        writeFileSync(join(INDEX(dir), file), damage(text));
        const reg = await openRegistry({ dir, identity: ADA });
        expect((await reg.history({ model: 'a' })).entries.map((e) => e.subject)).toEqual(['a 1.4.0', 'a 1.3.0', 'a 1.1.0', 'initial files']);
        expect(segments(dir)).toEqual({ [file]: text });
        expect(await answers(dir)).toEqual(cold);
      });
    }
  });

  it('a walk stopped early leaves a partial index that a later walk completes, then answers alone', async () => {
    const dir = await repo(9);
    const cold = await answers(dir);
    rmSync(INDEX(dir), { recursive: true });
    const reg = await openRegistry({ dir, identity: ADA });
    expect((await reg.history({ model: 'a', limit: 1 })).entries.map((e) => e.subject)).toEqual(['a 1.8.0']);
    // The commits derived before the limit was reached: the tip and the one before.
    const partial = segments(dir);
    expect(Object.values(partial).map((t) => parse(t).header)).toMatchObject([{ head: headCommit(dir), count: 1, next: headCommit(dir, 'HEAD~1') }]);
    expect((await reg.history({ model: 'c' })).entries.map((e) => e.subject)).toEqual(['c 1.7.0', 'c 1.3.0', 'initial files']);
    // The second walk read the stored commit through its line table, derived the rest and stored them in a segment of their own that the first leads to.
    const whole = segments(dir);
    expect(Object.keys(whole).sort()).toEqual([`${headCommit(dir)}.ndjson`, `${headCommit(dir, 'HEAD~1')}.ndjson`].sort());
    expect(whole[`${headCommit(dir)}.ndjson`]).toBe(Object.values(partial)[0]);
    expect(parse(whole[`${headCommit(dir, 'HEAD~1')}.ndjson`]).header).toMatchObject({ count: 9, next: null });
    expect(await answers(dir)).toEqual(cold);
    expect(segments(dir)).toEqual(whole);
  });

  it('a new commit read through a model\'s line table is stored merged with the small segment after it, whole', async () => {
    const dir = await repo(4);
    await answers(dir);
    await commitFiles(dir, { 'registry/b/versions/2.0.0.yaml': versionYaml('b', '2.0.0') }, 'b 2.0.0');
    const reg = await openRegistry({ dir, identity: ADA });
    expect((await reg.history({ model: 'b' })).entries.map((e) => e.subject)).toEqual(['b 2.0.0', 'b 1.1.0', 'initial files']);
    const files = segments(dir);
    expect(Object.keys(files)).toEqual([`${headCommit(dir)}.ndjson`]);
    expect(parse(Object.values(files)[0]).header).toMatchObject({ count: 6, next: null });
    const merged = await answers(dir);
    rmSync(INDEX(dir), { recursive: true });
    expect(await answers(dir)).toEqual(merged);
  });
});
