/**
 * The scale-out shape of docs/serve.md: two `serve` replicas, each on its own clone of one
 * bare repository served by `git http-backend`, take writes at the same time. Each write is
 * pushed with the CLI's retry; nothing is lost, and both replicas converge on the remote's
 * commit within their refresh interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { git, tempDir } from '../helpers/repo.js';
import { TOKENS, call, get, seeded, serve, tokenFile } from './helpers.js';

// The git server runs in this process: talking to it needs an asynchronous git (spawnSync would block it).
const gitAsync = (cwd: string, args: string[]) => promisify(execFile)('git', args, { cwd, env: { PATH: process.env.PATH, HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' } });

let server: GitServer;
let url: string;
beforeAll(async () => {
  server = await startGitServer();
  url = await server.createBare('registry');
  const { dir } = await seeded();
  await gitAsync(dir, ['push', '-q', url, 'main']);
});
afterAll(async () => { await server?.stop(); });

async function clone(name: string): Promise<string> {
  const dir = join(await tempDir('mrserve-replica-'), name);
  await gitAsync(join(dir, '..'), ['clone', '-q', url, name]);
  return dir;
}

const remoteTip = () => git(join(server.root, 'registry.git'), ['rev-parse', 'main']).stdout.trim();

describe('two replicas on two clones of one remote', () => {
  it('writes through both at once: nothing is lost, both converge', async () => {
    const tokens = await tokenFile();
    const logs: string[] = [];
    const [a, b] = [await clone('a'), await clone('b')];
    const before = Number(git(join(server.root, 'registry.git'), ['rev-list', '--count', 'main']).stdout.trim());
    const replicas = [await serve(a, { remote: 'origin', refreshMs: 200, tokensFile: tokens }), await serve(b, { remote: 'origin', refreshMs: 200, tokensFile: tokens })];
    const writes = [];
    for (let i = 0; i < 4; i++) {
      for (const [r, s] of replicas.entries()) {
        writes.push(call(s, 'POST', 'registered-models/set-tag', { name: 'iris', key: `replica${r}_${i}`, value: 'x' }, { Authorization: `Bearer ${TOKENS.ada}` }));
      }
    }
    writes.push(call(replicas[0], 'POST', 'model-versions/create', { name: 'iris', source: 's3://a' }, { Authorization: `Bearer ${TOKENS.bob}` }));
    writes.push(call(replicas[1], 'POST', 'model-versions/create', { name: 'iris', source: 's3://b' }, { Authorization: `Bearer ${TOKENS.bob}` }));
    const answers = await Promise.all(writes);
    for (const r of answers) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const tip = remoteTip();
    expect(Number(git(join(server.root, 'registry.git'), ['rev-list', '--count', 'main']).stdout.trim())).toBe(before + 10);
    // Both replicas reach the remote's tip by their refresh (bounded wait; no timing asserted).
    for (let i = 0; i < 300 && replicas.some((s) => s.commit() !== tip); i++) await new Promise((r) => setTimeout(r, 50));
    expect(replicas.map((s) => s.commit())).toEqual([tip, tip]);
    for (const s of replicas) {
      const tags = (await get(s, 'registered-models/get', { name: 'iris' })).body.registered_model.tags.map((t: any) => t.key).sort();
      expect(tags).toEqual([0, 1, 2, 3].flatMap((i) => [`replica0_${i}`, `replica1_${i}`]).sort());
      // Two registrations, two numbers, no number given twice.
      const versions = (await get(s, 'model-versions/search', { filter: "name = 'iris'", order_by: ['version_number'] })).body.model_versions;
      expect(versions.map((v: any) => v.version)).toEqual(['1', '2', '3']);
      expect(new Set(versions.map((v: any) => v.source))).toEqual(new Set(['s3://models/iris/1.0.0', 's3://a', 's3://b']));
    }
  });
});

describe('--remote with another name than origin', () => {
  it('fetches and pushes the remote it names (here upstream; origin points elsewhere); an unknown remote is refused at start', async () => {
    const dir = await clone('renamed');
    await gitAsync(dir, ['remote', 'rename', 'origin', 'upstream']);
    await gitAsync(dir, ['remote', 'add', 'origin', 'https://127.0.0.1:1/nowhere.git']);
    const s = await serve(dir, { remote: 'upstream', refreshMs: 100, tokensFile: await tokenFile() });
    const r = await call(s, 'POST', 'registered-models/set-tag', { name: 'iris', key: 'via', value: 'upstream' }, { Authorization: `Bearer ${TOKENS.ada}` });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(remoteTip()).toBe(s.commit());
    // A commit pushed by another clone reaches this server through upstream.
    const other = await clone('pusher');
    await gitAsync(other, ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-q', '--allow-empty', '-m', 'elsewhere']);
    await gitAsync(other, ['push', '-q', 'origin', 'main']);
    const tip = remoteTip();
    for (let i = 0; i < 300 && s.commit() !== tip; i++) await new Promise((res) => setTimeout(res, 50));
    expect(s.commit()).toBe(tip);
    await expect(serve(dir, { remote: 'nosuch' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no remote named "nosuch"') });
  });
});

describe('--propose on replicas', () => {
  it('a proposal pushed by one replica is PENDING_REGISTRATION on the other after its refresh; merged, both answer READY', async () => {
    const { openRegistry } = await import('../../src/index.js');
    const { ADA, CONFIG_YAML, makeRepo } = await import('../helpers/repo.js');
    const { policyYaml } = await import('../policy/fixtures.js');
    const policy = policyYaml({ rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', approvals: '{ min: 1 }' }, { from: '*', to: 'Archived' }] });
    const origin = await makeRepo({ 'modelreg.yaml': CONFIG_YAML, 'registry/README.md': '#\n', 'policies/default.yaml': policy });
    const reg = await openRegistry({ dir: origin, identity: ADA, env: {} });
    await reg.register({ model: 'churn', artifact: 's3://models/churn/1' });
    await reg.transition({ model: 'churn', version: '1.0.0', stage: 'Staging' });
    const bare = await server.createBare('proposals');
    await gitAsync(origin, ['push', '-q', bare, 'main']);
    const cloneOf = async (name: string) => {
      const dir = join(await tempDir('mrserve-replica-'), name);
      await gitAsync(join(dir, '..'), ['clone', '-q', bare, name]);
      return dir;
    };
    const tokens = await tokenFile();
    const logs: string[] = [];
    const [a, b] = [await serve(await cloneOf('pa'), { remote: 'origin', refreshMs: 100, propose: true, tokensFile: tokens }), await serve(await cloneOf('pb'), { remote: 'origin', refreshMs: 100, propose: true, tokensFile: tokens, onLog: (l) => logs.push(l) })];
    const r = await call(a, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '1', stage: 'Production' }, { Authorization: `Bearer ${TOKENS.bob}` });
    expect(r.body.model_version?.status, JSON.stringify(r.body)).toBe('PENDING_REGISTRATION');
    const branch = /branch (\S+?)[;)]/.exec(r.body.model_version.status_message)![1];
    const status = async (s: typeof a) => (await get(s, 'model-versions/get', { name: 'churn', version: '1' })).body.model_version;
    let seen: any;
    for (let i = 0; i < 600 && (seen = await status(b)).status !== 'PENDING_REGISTRATION'; i++) await new Promise((res) => setTimeout(res, 50));
    expect(seen, logs.join('\n')).toMatchObject({ current_stage: 'Staging', status: 'PENDING_REGISTRATION', status_message: expect.stringContaining(`branch ${branch}`) });
    // The review merges the branch on the remote; both replicas serve Production, READY.
    const bareDir = join(server.root, 'proposals.git');
    git(bareDir, ['update-ref', 'refs/heads/main', `refs/heads/${branch}`]);
    git(bareDir, ['update-ref', '-d', `refs/heads/${branch}`]);
    for (const s of [a, b]) {
      for (let i = 0; i < 600 && (seen = await status(s)).current_stage !== 'Production'; i++) await new Promise((res) => setTimeout(res, 50));
      expect(seen).toMatchObject({ current_stage: 'Production', status: 'READY' });
    }
  });
});
