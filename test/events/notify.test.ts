/**
 * `modelreg notify` against a real local HTTP receiver (issue 14): Standard Webhooks signatures
 * checked independently, order, no duplicates on a rerun, 500 then 200 and 429 + Retry-After
 * retried, a run killed mid-delivery resumed from its cursor ref without loss, private addresses
 * refused unless the webhook allows them.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initRegistry, openRegistry } from '../../src/index.js';
import { startGitServer } from '../helpers/git-server.js';
import { gitlabCi } from '../../src/ops/templates.js';
import { ADA, CLI, baseEnv, cleanup, fixedClock, git, gitFsck, homeDir, runCli, tempDir } from '../helpers/repo.js';
import { writeFile, readFile } from 'node:fs/promises';

afterAll(cleanup);

const SECRET = 'whsec_' + Buffer.from('a test secret of 24 bytes').toString('base64');

interface Received { id: string; timestamp: string; signature: string; body: string; headers: IncomingMessage['headers'] }

/** A receiver: `answer` decides each response (the n-th request, counting from 1). */
class Receiver {
  server!: Server;
  got: Received[] = [];
  answer: (n: number, r: Received, res: ServerResponse) => void = (_n, _r, res) => { res.writeHead(200).end(); };
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => {
        const r = { id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body, headers: req.headers };
        this.got.push(r);
        this.answer(this.got.length, r, res);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** The Standard Webhooks check, written from the spec, not from the code under test. */
function verify(r: Received): boolean {
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${r.id}.${r.timestamp}.${r.body}`).digest('base64');
  return r.signature.split(' ').some((s) => s === `v1,${expected}`);
}

let rx: Receiver;
let url: string;
beforeEach(async () => { rx = new Receiver(); url = await rx.start(); });
afterEach(() => rx.stop());

async function registry(webhooks: string): Promise<{ dir: string; register: (model: string) => Promise<void> }> {
  const dir = join(await tempDir('mrnotify-'), 'reg');
  const clock = fixedClock('2026-03-01T09:00:00Z');
  await initRegistry({ dir }, { identity: ADA, now: clock.now });
  const cfg = join(dir, 'modelreg.yaml');
  await writeFile(cfg, `${await readFile(cfg, 'utf8')}webhooks:\n${webhooks}`);
  git(dir, ['commit', '-qam', 'webhooks']);
  const reg = await openRegistry({ dir, identity: ADA, now: () => { clock.advance(60_000); return clock.now(); } });
  return { dir, register: async (model) => { await reg.register({ model, artifact: `s3://m/${model}` }); } };
}

const hook = (extra = '') => `  - name: deploy\n    url: URL\n    secretEnv: WH_SECRET\n    allowPrivateNetwork: true\n${extra}`;
const env = { WH_SECRET: SECRET };
const notify = (dir: string, args: string[] = []) => runCli(['notify', '--backoff', '20', ...args], { cwd: dir, env });
const feedIds = async (dir: string, args: string[] = []) => (await runCli(['events', ...args], { cwd: dir })).stdout.trim().split('\n').map((l) => JSON.parse(l).id as string);

describe('modelreg notify', () => {
  it('signs, orders, retries a 500 and sends nothing twice', async () => {
    const { dir, register } = await registry(hook('    events: ["version.*", "model.created"]\n').replace('URL', url));
    await register('churn');
    await register('fraud');
    await register('churn');
    rx.answer = (n, _r, res) => { res.writeHead(n === 1 ? 500 : 200).end(); };
    const r = await notify(dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ids = await feedIds(dir);
    expect(rx.got.map((g) => g.id)).toEqual([ids[0], ...ids]); // the first twice: 500, then 200
    expect(rx.got.every(verify)).toBe(true);
    expect(rx.got.map((g) => JSON.parse(g.body).type)).toEqual(['dev.modelreg.model.created', 'dev.modelreg.model.created', 'dev.modelreg.version.registered', 'dev.modelreg.model.created', 'dev.modelreg.version.registered', 'dev.modelreg.version.registered']);
    expect(JSON.parse(rx.got[2].body)).toMatchObject({ id: ids[1], subject: 'models/churn/1.0.0', data: { artifact: { uri: 's3://m/churn' } } });
    // A tampered body does not verify (the check above can fail).
    expect(verify({ ...rx.got[2], body: rx.got[2].body.replace('churn', 'churm') })).toBe(false);

    // A rerun sends nothing; a new event is sent alone.
    rx.got = [];
    rx.answer = (_n, _r, res) => { res.writeHead(200).end(); };
    expect((await notify(dir)).code).toBe(0);
    expect(rx.got).toEqual([]);
    await register('fraud');
    expect((await notify(dir)).code).toBe(0);
    expect(rx.got.map((g) => g.id)).toEqual((await feedIds(dir)).slice(-1));
    expect(git(dir, ['rev-parse', 'refs/modelreg/notify/deploy']).code).toBe(0);
    expect(gitFsck(dir).code).toBe(0);
    const log = await runCli(['notify', '--log'], { cwd: dir });
    expect(log.stdout).toContain(`sent ${ids[0]} (200, 2 attempts)`);
  });

  it('honours 429 with Retry-After, and gives up after --max-attempts with exit 1, keeping the cursor', async () => {
    const { dir, register } = await registry(hook().replace('URL', url));
    await register('churn');
    rx.answer = (n, _r, res) => { res.writeHead(n === 1 ? 429 : 503, { 'retry-after': '0' }).end(); };
    const r = await notify(dir, ['--max-attempts', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/deploy: 0 sent, then failed at [0-9a-f]{40}:0: the receiver answered 503/);
    expect(rx.got).toHaveLength(3);
    expect(git(dir, ['rev-parse', '-q', '--verify', 'refs/modelreg/notify/deploy'], { allowFail: true }).code).not.toBe(0);
    rx.answer = (_n, _r, res) => { res.writeHead(200).end(); };
    rx.got = [];
    expect((await notify(dir)).code).toBe(0);
    expect(rx.got.map((g) => g.id)).toEqual(await feedIds(dir));
  });

  it('resumes from the cursor after a run is killed mid-delivery: nothing lost, only the unanswered event again', async () => {
    const { dir, register } = await registry(hook().replace('URL', url));
    for (const m of ['a', 'b', 'c']) await register(m);
    const ids = await feedIds(dir);
    expect(ids).toHaveLength(6);
    const child = spawn(process.execPath, [CLI, 'notify'], { cwd: dir, env: { ...baseEnv(await homeDir()), ...env } });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    // The fourth request is never answered: the sender is killed while it waits.
    rx.answer = (n, _r, res) => { if (n === 4) child.kill('SIGKILL'); else res.writeHead(200).end(); };
    await exited;
    expect(rx.got.map((g) => g.id)).toEqual(ids.slice(0, 4));
    rx.answer = (_n, _r, res) => { res.writeHead(200).end(); };
    expect((await notify(dir)).code).toBe(0);
    expect(rx.got.map((g) => g.id)).toEqual([...ids.slice(0, 4), ...ids.slice(3)]);
  });

  it('refuses a loopback address unless the webhook allows private networks, and a non-http url', async () => {
    const { dir, register } = await registry(`  - name: inner\n    url: ${url}\n`);
    await register('churn');
    const r = await notify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/allowPrivateNetwork/);
    expect(rx.got).toEqual([]);
    await writeFile(join(dir, 'modelreg.yaml'), (await readFile(join(dir, 'modelreg.yaml'), 'utf8')).replace(url, 'file:///etc/passwd'));
    git(dir, ['commit', '-qam', 'a file url']);
    const bad = await notify(dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/modelreg\.yaml/);
  });

  it('sends the Databricks payload with X-Databricks-Signature, and --dry-run sends nothing', async () => {
    const { dir, register } = await registry(hook('    format: databricks\n    models: [churn]\n').replace('URL', url));
    await register('churn');
    await register('fraud');
    const dry = await notify(dir, ['--dry-run']);
    expect(dry.stdout).toContain('would send 2');
    expect(rx.got).toEqual([]);
    expect((await notify(dir)).code).toBe(0);
    expect(rx.got.map((g) => JSON.parse(g.body).event)).toEqual(['REGISTERED_MODEL_CREATED', 'MODEL_VERSION_CREATED']);
    for (const g of rx.got) {
      expect(g.headers['x-databricks-signature']).toBe(createHmac('sha256', SECRET).update(g.body).digest('hex'));
      expect(verify(g)).toBe(true);
    }
    expect(JSON.parse(rx.got[1].body)).toMatchObject({ model_name: 'churn', version: '1.0.0', webhook_id: 'deploy' });
  });

  it('--push shares the cursor ref with the remote, and the CI files modelreg init writes run notify on push', async () => {
    const { dir, register } = await registry(hook().replace('URL', url));
    await register('churn');
    const server = await startGitServer({ token: 'sekrit' });
    try {
      const remote = await server.createBare('registry');
      git(dir, ['remote', 'add', 'origin', remote]);
      const r = await runCli(['notify', '--push'], { cwd: dir, env: { ...env, MODELREG_TOKEN: 'sekrit' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const bare = join(server.root, 'registry.git');
      expect(git(bare, ['rev-parse', 'refs/modelreg/notify/deploy']).stdout.trim()).toBe(git(dir, ['rev-parse', 'refs/modelreg/notify/deploy']).stdout.trim());
    } finally {
      await server.stop();
    }
    const workflow = await readFile(join(dir, '.github', 'workflows', 'modelreg.yml'), 'utf8');
    expect(workflow).toMatch(/notify:\n    if: github.event_name == 'push'[\s\S]*modelreg notify --push/);
    expect(gitlabCi()).toMatch(/modelreg-notify:[\s\S]*CI_COMMIT_BRANCH[\s\S]*npx --yes modelreg notify --push/);
    expect(gitlabCi({ install: 'npm i -g modelreg@1.2.3' })).toMatch(/modelreg-notify:[\s\S]*- npm i -g modelreg@1\.2\.3\n    - modelreg notify --push/);
  });
});
