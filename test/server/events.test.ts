/**
 * The event feed as Server-Sent Events (GET /api/v1/events) and webhook delivery by `serve
 * --notify`, with real HTTP clients: events in the feed's order with their CloudEvents ids;
 * Last-Event-ID resumes without duplicates; a commit made beside the server shows up on an
 * open stream; heartbeats; a client that does not read holds nobody; shutdown ends streams.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { Context } from '../../src/ops/context.js';
import { events } from '../../src/ops/events.js';
import { ADA, git, gitLog, headCommit } from '../helpers/repo.js';
import { seeded, serve } from './helpers.js';
import type { RunningServer } from '../../src/server/http.js';

interface Frame { id?: string; data?: any; comment?: string }

/** An SSE client over fetch: frames as they arrive. */
async function openStream(s: RunningServer, query = '', headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(`${s.url}/api/v1/events${query}`, { headers, signal: ac.signal });
  const frames: Frame[] = [];
  let buf = '';
  let ended = false;
  const waiters: Array<() => void> = [];
  const reader = res.body!.getReader();
  void (async () => {
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) f.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) f.id = line.slice(4);
            else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6));
          }
          frames.push(f);
        }
        waiters.splice(0).forEach((w) => w());
      }
    } catch { /* aborted */ }
    ended = true;
    waiters.splice(0).forEach((w) => w());
  })();
  const until = async (pred: () => boolean, what: string) => {
    for (let i = 0; i < 400 && !pred(); i++) await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 25))]);
    expect(pred(), `${what}; got ${JSON.stringify(frames.slice(-3))}`).toBe(true);
  };
  const events_ = () => frames.filter((f) => f.id);
  return { res, frames, events: events_, until, ended: () => ended, close: () => ac.abort() };
}

async function feedIds(dir: string): Promise<string[]> {
  const ctx = await Context.open({ dir, env: {} });
  const out: string[] = [];
  for await (const { event } of events(ctx, {})) out.push(event.id);
  return out;
}

describe('GET /api/v1/events (Server-Sent Events)', () => {
  it('sends the feed oldest first: id = the CloudEvents id, data = the CloudEvent; then a new commit as it arrives', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { pollMs: 20 });
    const ids = await feedIds(dir);
    expect(ids.length).toBeGreaterThan(5);
    const st = await openStream(s);
    expect(st.res.status).toBe(200);
    expect(st.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await st.until(() => st.events().length >= ids.length, 'the whole feed');
    expect(st.events().map((f) => f.id)).toEqual(ids);
    for (const f of st.events()) expect(f.data).toMatchObject({ specversion: '1.0', id: f.id, type: expect.stringMatching(/^dev\.modelreg\./) });
    // A commit made by the library beside the server is pushed on the open stream.
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    await reg.tag({ model: 'iris', set: { reviewed: 'yes' } });
    const commit = headCommit(dir);
    await st.until(() => st.events().some((f) => f.id!.startsWith(commit)), 'the new commit\'s event');
    const fresh = st.events().filter((f) => f.id!.startsWith(commit));
    expect(fresh.map((f) => f.data.type)).toEqual(['dev.modelreg.tag.set']);
    expect(new Set(st.events().map((f) => f.id)).size).toBe(st.events().length);
    st.close();
  });

  it('resumes after Last-Event-ID with no duplicates and nothing lost, also inside a commit with several events; ?since= starts after a commit', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { pollMs: 20 });
    const ids = await feedIds(dir);
    // A commit with two events (a transition into exclusive Production that archives the holder) has ids <c>:0 and <c>:1.
    const inside = ids.findIndex((id, i) => i > 0 && id.endsWith(':1'));
    expect(inside).toBeGreaterThan(0);
    const resumed = await openStream(s, '', { 'Last-Event-ID': ids[inside - 1] });
    await resumed.until(() => resumed.events().length >= ids.length - inside, 'the rest of the feed');
    expect(resumed.events().map((f) => f.id)).toEqual(ids.slice(inside));
    resumed.close();
    const mid = ids[3].split(':')[0];
    const since = await openStream(s, `?since=${mid}`);
    const after = ids.filter((id, i) => i > ids.findLastIndex((x) => x.startsWith(mid)));
    await since.until(() => since.events().length >= after.length, 'the feed after the commit');
    expect(since.events().map((f) => f.id)).toEqual(after);
    since.close();
  });

  it('filters by type and model; bad input is a 4xx before any stream', async () => {
    const { dir } = await seeded();
    const s = await serve(dir);
    const st = await openStream(s, '?type=version.transitioned&model=churn');
    await st.until(() => st.events().length >= 5, 'churn transitions');
    expect(new Set(st.events().map((f) => `${f.data.type} ${f.data.data.model}`))).toEqual(new Set(['dev.modelreg.version.transitioned churn']));
    st.close();
    const bad = await fetch(`${s.url}/api/v1/events`, { headers: { 'Last-Event-ID': 'nonsense' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await fetch(`${s.url}/api/v1/events?since=nosuchref`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/v1/events?type=nosuch.type`)).status).toBe(400);
  });

  it('heartbeats; a client that never reads does not hold the others; close() ends every stream', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { pollMs: 20, heartbeatMs: 30 });
    // A raw client that sends the request and then reads nothing.
    const stuck = connect(Number(new URL(s.url).port), '127.0.0.1');
    stuck.pause();
    await new Promise<void>((r) => stuck.on('connect', () => r()));
    stuck.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n');
    const st = await openStream(s);
    await st.until(() => st.frames.some((f) => f.comment === 'keep-alive'), 'a heartbeat');
    const n = st.events().length;
    const reg = await openRegistry({ dir, identity: ADA, env: {} });
    await reg.tag({ model: 'iris', set: { a: '1' } });
    await st.until(() => st.events().length > n, 'the new event, with a stuck client beside it');
    const closing = s.close();
    await st.until(() => st.ended(), 'the stream to end on close');
    stuck.destroy();
    await closing;
  });
});

describe('serve --notify: webhooks as commits arrive', () => {
  it('delivers each new event to the webhooks of modelreg.yaml, signed, and moves the same cursor ref as modelreg notify', async () => {
    const got: Array<{ id: string; headers: Record<string, unknown>; body: any }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => { got.push({ id: String(req.headers['webhook-id']), headers: req.headers, body: JSON.parse(body) }); res.end('ok'); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const { dir } = await seeded();
      const port = (receiver.address() as { port: number }).port;
      const { readFile, writeFile } = await import('node:fs/promises');
      const cfg = `${dir}/modelreg.yaml`;
      await writeFile(cfg, `${await readFile(cfg, 'utf8')}webhooks:\n  - name: deploy\n    url: http://127.0.0.1:${port}/\n    secretEnv: WH_SECRET\n    allowPrivateNetwork: true\n    events: [version.*]\n`);
      git(dir, ['commit', '-qam', 'a webhook']);
      const s = await serve(dir, { pollMs: 20, notify: true, env: { WH_SECRET: 'whsec_dGVzdHNlY3JldA==' } });
      // At start: the backlog of version events.
      const backlog = (await feedIds(dir)).length;
      for (let i = 0; i < 400 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      const reg = await openRegistry({ dir, identity: ADA, env: {} });
      await reg.transition({ model: 'iris', version: '1.0.0', stage: 'Staging' });
      const commit = headCommit(dir);
      for (let i = 0; i < 400 && !got.some((g) => g.id.startsWith(commit)); i++) await new Promise((r) => setTimeout(r, 25));
      const mine = got.filter((g) => g.id.startsWith(commit));
      expect(mine.map((g) => g.body.type)).toEqual(['dev.modelreg.version.transitioned']);
      expect(mine[0].headers['webhook-signature']).toMatch(/^v1,/);
      expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
      expect(got.length).toBeLessThanOrEqual(backlog + 1);
      // The cursor is the one `modelreg notify` reads: a CLI run afterwards sends nothing again.
      for (let i = 0; i < 200 && !(gitLog(dir, 'refs/modelreg/notify/deploy')[0]?.subject ?? '').includes(commit); i++) await new Promise((r) => setTimeout(r, 25));
      expect(gitLog(dir, 'refs/modelreg/notify/deploy')[0].subject).toContain(commit);
      await s.close();
      const { runCli } = await import('../helpers/repo.js');
      const r = await runCli(['notify', '--json'], { cwd: dir, env: { WH_SECRET: 'whsec_dGVzdHNlY3JldA==' } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).deliveries).toEqual([]);
    } finally {
      receiver.close();
    }
  });
});

describe('docs/events.md', () => {
  it('the SSE client example runs: it prints the feed\'s first events, and resumes after LAST_EVENT_ID', async () => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { execFile } = await import('node:child_process');
    const { ROOT, tempDir } = await import('../helpers/repo.js');
    const md = await readFile(join(ROOT, 'docs/events.md'), 'utf8');
    const code = /A client in Node[\s\S]*?```js\n([\s\S]*?)```/.exec(md)![1];
    const file = join(await tempDir('mrsse-doc-'), 'client.mjs');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, code);
    const { dir } = await seeded();
    const s = await serve(dir);
    const ids = await feedIds(dir);
    const run = (env: Record<string, string>) => new Promise<string>((resolve, reject) => execFile(process.execPath, [file], { env: { PATH: process.env.PATH, MODELREG_URL: s.url, ...env }, timeout: 20_000 }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out))));
    expect((await run({ LIMIT: '3' })).split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual(ids.slice(0, 3));
    expect((await run({ LIMIT: '2', LAST_EVENT_ID: ids[2] })).split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual(ids.slice(3, 5));
  });
});
