/**
 * `modelreg deploy record` (issue 14): which version serves where, one commit through the write
 * path, the `deployment.recorded` event in every feed format and delivered by notify; bad input
 * refused with its exit code and a message, nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { initRegistry, openRegistry, type Registry } from '../../src/index.js';
import { ADA, BOB, cleanup, commitFiles, fixedClock, git, gitFsck, gitLog, gitStatus, headCommit, runCli, tempDir } from '../helpers/repo.js';
import { startGitServer } from '../helpers/git-server.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

afterAll(cleanup);

let dir: string;
let reg: Registry;
const clock = fixedClock('2026-03-01T09:00:00Z');

const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

beforeAll(async () => {
  dir = join(await tempDir('mrdeploy-'), 'reg');
  await initRegistry({ dir }, { identity: ADA, now: clock.now });
  reg = await openRegistry({ dir, identity: ADA, now: () => { clock.advance(60_000); return clock.now(); } });
  await reg.register({ model: 'churn', artifact: 's3://m/churn/1' });
  await reg.register({ model: 'churn', artifact: 's3://m/churn/2' });
  await reg.register({ model: 'team/fraud', artifact: 's3://m/fraud/1' });
});

describe('deploy record', () => {
  it('writes deployments/<env>/<model>.yaml in one commit with trailers, through the CLI', async () => {
    const before = headCommit(dir);
    const r = await runCli(['deploy', 'record', 'churn', '1.0.0', '--env', 'staging', '--url', 'https://churn.staging.example.com'], { cwd: dir, who: BOB });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Recorded churn 1\.0\.0 in staging: succeeded in [0-9a-f]{12} on main\n$/);
    const log = gitLog(dir);
    expect(log[0].parents).toEqual([before]);
    expect(log[0].subject).toBe('deploy churn 1.0.0 to staging: succeeded');
    expect(log[0].trailers).toEqual({ 'Modelreg-Action': 'deploy', 'Modelreg-Model': 'churn', 'Modelreg-Version': '1.0.0', 'Modelreg-Env': 'staging', 'Modelreg-Status': 'succeeded' });
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD']).stdout.trim()).toBe('deployments/staging/churn.yaml');
    const text = await readFile(join(dir, 'deployments/staging/churn.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../.modelreg/schemas/deployment.schema.json');
    expect(YAML.parse(text)).toEqual({ model: 'churn', env: 'staging', version: '1.0.0', status: 'succeeded', url: 'https://churn.staging.example.com', at: expect.stringMatching(/Z$/), by: BOB.email });
    expect(gitStatus(dir)).toBe('');
    expect(gitFsck(dir).code).toBe(0);
  });

  it('a later record replaces the file: the url carries over, the previous version is reported', async () => {
    const r = await reg.recordDeployment({ model: 'churn', version: '1.1.0', env: 'staging', status: 'failed' });
    expect(r).toMatchObject({ model: 'churn', version: '1.1.0', env: 'staging', status: 'failed', url: 'https://churn.staging.example.com', previous: { version: '1.0.0', status: 'succeeded' } });
    expect(gitLog(dir)[0].subject).toBe('deploy churn 1.1.0 to staging: failed (was 1.0.0)');
    expect(await reg.deployments({ model: 'churn' })).toEqual({ churn: { staging: expect.objectContaining({ version: '1.1.0', status: 'failed' }) } });
    // A namespaced model: deployments/<env>/<namespace>/<name>.yaml.
    await reg.recordDeployment({ model: 'team/fraud', version: '1.0.0', env: 'production' });
    expect(YAML.parse(await readFile(join(dir, 'deployments/production/team/fraud.yaml'), 'utf8'))).toMatchObject({ model: 'team/fraud', env: 'production' });
  });

  const refused: Array<[string, string[], number, RegExp]> = [
    ['an unknown model', ['nope', '1.0.0', '--env', 'staging'], 4, /No model named 'nope'/],
    ['an unknown version', ['churn', '9.9.9', '--env', 'staging'], 4, /churn has no version 9\.9\.9\. Its versions: 1\.1\.0, 1\.0\.0\./],
    ['a bad environment name', ['churn', '1.0.0', '--env', 'Prod'], 2, /Invalid environment "Prod": use lower-case letters/],
    ['an environment with a slash', ['churn', '1.0.0', '--env', '../x'], 2, /Invalid environment/],
    ['a bad status', ['churn', '1.0.0', '--env', 'prod', '--status', 'ok'], 2, /Invalid --status "ok": use one of succeeded, failed, rolled-back/],
    ['a url that is not http(s)', ['churn', '1.0.0', '--env', 'prod', '--url', 'ftp://x.example.com'], 2, /Invalid --url .*ftp is not http or https/],
    ['a url with credentials', ['churn', '1.0.0', '--env', 'prod', '--url', 'https://u:p@x.example.com'], 2, /holds credentials/],
    ['a version that is not semver', ['churn', 'v1', '--env', 'prod'], 2, /v1/],
  ];
  for (const [what, args, code, message] of refused) {
    it(`refuses ${what} (exit ${code}) and writes nothing`, async () => {
      const head = headCommit(dir);
      const r = await runCli(['deploy', 'record', ...args], { cwd: dir });
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(headCommit(dir)).toBe(head);
      expect(gitStatus(dir)).toBe('');
    });
  }

  it('--branch writes the record on a new branch, leaving main where it was', async () => {
    const head = headCommit(dir);
    const r = await runCli(['--json', 'deploy', 'record', 'churn', '1.0.0', '--env', 'canary', '--branch'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ branch: 'modelreg/deploy-churn-1.0.0-canary', env: 'canary', file: 'deployments/canary/churn.yaml' });
    expect(headCommit(dir)).toBe(head);
    expect(git(dir, ['show', 'modelreg/deploy-churn-1.0.0-canary:deployments/canary/churn.yaml']).stdout).toContain('env: canary');
  });
});

describe('deployment.recorded in the feed', () => {
  it('one event per record, in every format; history describes it', async () => {
    const all = lines((await runCli(['events', '--type', 'deployment.recorded'], { cwd: dir })).stdout);
    expect(all.map((e) => `${e.subject} ${e.data.env} ${e.data.status}`)).toEqual([
      'models/churn/1.0.0 staging succeeded', 'models/churn/1.1.0 staging failed', 'models/team/fraud/1.0.0 production succeeded',
    ]);
    const first = all[0];
    expect(first).toMatchObject({ specversion: '1.0', type: 'dev.modelreg.deployment.recorded', data: { model: 'churn', version: '1.0.0', env: 'staging', status: 'succeeded', url: 'https://churn.staging.example.com', actor: BOB.email } });
    expect(first.id).toBe(`${first.data.commit}:0`);
    expect(all[1].data).toMatchObject({ previous: '1.0.0', url: 'https://churn.staging.example.com' });
    const mlflow = lines((await runCli(['events', '--type', 'deployment.recorded', '--format', 'mlflow'], { cwd: dir })).stdout);
    expect(mlflow[0]).toEqual({ entity: 'model_version_tag', action: 'set', timestamp: first.time, data: { name: 'churn', version: '1.0.0', key: 'deployment.staging', value: 'succeeded' } });
    const db = lines((await runCli(['events', '--type', 'deployment.recorded', '--format', 'databricks'], { cwd: dir })).stdout);
    expect(db[0]).toMatchObject({ event: 'MODEL_VERSION_TAG_SET', model_name: 'churn', version: '1.0.0', text: expect.stringContaining('deployed to staging at https://churn.staging.example.com') });
    const h = await runCli(['history', 'churn', '--limit', '2'], { cwd: dir });
    expect(h.stdout).toContain('churn 1.1.0: deployed to staging (failed), was 1.0.0 at https://churn.staging.example.com');
  });

  it('a hand-written deployment file is an event too; one that does not validate is none', async () => {
    await writeFile(join(dir, 'deployments/staging/churn.yaml'), 'model: churn\nenv: staging\nversion: 1.0.0\nstatus: rolled-back\nat: 2026-03-02T00:00:00Z\nby: carol@example.com\n');
    git(dir, ['commit', '-qam', 'staging back to 1.0.0 by hand']);
    const hand = headCommit(dir);
    await writeFile(join(dir, 'deployments/staging/churn.yaml'), 'model: churn\nenv: production\nversion: 1.0.0\nstatus: succeeded\nat: 2026-03-02T00:00:00Z\nby: carol@example.com\n');
    git(dir, ['commit', '-qam', 'a file at the wrong path']);
    const feed = lines((await runCli(['events', '--since', `${hand}~1`], { cwd: dir })).stdout);
    expect(feed.map((e) => `${e.id.split(':')[0] === hand} ${e.type} ${e.data.status}`)).toEqual(['true dev.modelreg.deployment.recorded rolled-back']);
    expect((await runCli(['history', '--limit', '1'], { cwd: dir })).stdout).not.toContain('removed');
    git(dir, ['revert', '--no-edit', 'HEAD']);
  });

  it('notify delivers it to a webhook that asks for deployment.*', async () => {
    const got: string[] = [];
    const server: Server = createServer((req, res) => { let b = ''; req.on('data', (d) => { b += d; }).on('end', () => { got.push(b); res.writeHead(200).end(); }); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const cfg = join(dir, 'modelreg.yaml');
      await writeFile(cfg, `${await readFile(cfg, 'utf8')}webhooks:\n  - name: cd\n    url: ${url}\n    events: ["deployment.*"]\n    allowPrivateNetwork: true\n`);
      git(dir, ['commit', '-qam', 'webhook']);
      const r = await reg.notify({});
      // The three records, the hand edit, and the revert that put the hand edit's file back.
      expect(r.webhooks).toEqual([expect.objectContaining({ name: 'cd', sent: 5 })]);
      expect(got.map((b) => JSON.parse(b)).map((e) => `${e.type} ${e.data.model} ${e.data.version} ${e.data.env} ${e.data.status}`)).toEqual([
        'dev.modelreg.deployment.recorded churn 1.0.0 staging succeeded', 'dev.modelreg.deployment.recorded churn 1.1.0 staging failed',
        'dev.modelreg.deployment.recorded team/fraud 1.0.0 production succeeded', 'dev.modelreg.deployment.recorded churn 1.0.0 staging rolled-back',
        'dev.modelreg.deployment.recorded churn 1.0.0 staging rolled-back',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('what is deployed where: list, show, resolve', () => {
  it('list has a DEPLOYED column and a deployments field; show and resolve name the environments', async () => {
    const text = await runCli(['list'], { cwd: dir });
    expect(text.stdout.split('\n')[0]).toMatch(/ALIASES\s+DEPLOYED$/);
    expect(text.stdout).toMatch(/^churn .* staging=1\.0\.0\(rolled-back\)$/m);
    expect(text.stdout).toMatch(/^team\/fraud .* production=1\.0\.0$/m);
    const list = JSON.parse((await runCli(['--json', 'list'], { cwd: dir })).stdout);
    expect(list.models.find((m: { name: string }) => m.name === 'team/fraud').deployments).toEqual({ production: expect.objectContaining({ version: '1.0.0', status: 'succeeded' }) });
    const show = JSON.parse((await runCli(['--json', 'show', 'churn'], { cwd: dir })).stdout);
    expect(Object.keys(show.deployments)).toEqual(['staging']);
    expect((await runCli(['show', 'churn'], { cwd: dir })).stdout).toContain('deployed: staging=1.0.0(rolled-back)');
    expect((await runCli(['show', 'team/fraud', '1.0.0'], { cwd: dir })).stdout).toMatch(/deployed:\n {2}production: succeeded \(/);
    const resolved = JSON.parse((await runCli(['--json', 'resolve', 'models:/team/fraud/1.0.0'], { cwd: dir })).stdout);
    expect(resolved.deployments).toEqual({ production: expect.objectContaining({ version: '1.0.0', status: 'succeeded', by: ADA.email }) });
    // A version deployed nowhere: an empty map, and the text says nothing.
    expect(JSON.parse((await runCli(['--json', 'resolve', 'models:/churn/1.1.0'], { cwd: dir })).stdout).deployments).toEqual({});
    expect((await runCli(['resolve', 'models:/churn/1.1.0'], { cwd: dir })).stdout).not.toContain('deployed');
    // As it was: before the first record, nothing was deployed.
    const first = gitLog(dir).find((c) => c.subject === 'deploy churn 1.0.0 to staging: succeeded')!;
    expect(JSON.parse((await runCli(['--json', 'show', 'churn', '--at', `${first.commit}~1`], { cwd: dir })).stdout).deployments).toEqual({});
  });

  it('a list without any deployment has no DEPLOYED column', async () => {
    const d = join(await tempDir('mrdeploy-none-'), 'reg');
    await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
    await (await openRegistry({ dir: d, identity: ADA, now: clock.now })).register({ model: 'iris', artifact: 's3://m/iris' });
    const r = await runCli(['list'], { cwd: d });
    expect(r.stdout.split('\n')[0]).toMatch(/ALIASES$/);
    expect(JSON.parse((await runCli(['--json', 'list'], { cwd: d })).stdout).models[0]).not.toHaveProperty('deployments');
  });
});

describe('check validates deployment files', () => {
  it('schema errors with file, line and field; a wrong path; an unknown model or version', async () => {
    const d = join(await tempDir('mrdeploy-check-'), 'reg');
    await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
    const r = await openRegistry({ dir: d, identity: ADA, now: clock.now });
    await r.register({ model: 'churn', artifact: 's3://m/churn' });
    await r.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    expect((await runCli(['check'], { cwd: d })).code).toBe(0);
    const at = 'at: 2026-03-01T00:00:00Z\nby: ada@example.com\n';
    await writeFile(join(d, 'deployments/staging/churn.yaml'), `model: churn\nenv: staging\nversion: 1.0.0\nstatus: fine\nurl: ftp://x.example.com\n${at}`);
    await writeFile(join(d, 'deployments/staging/iris.yaml'), `model: iris\nenv: staging\nversion: 1.0.0\nstatus: succeeded\n${at}`);
    await writeFile(join(d, 'deployments/production/churn.yaml').replace('production', 'staging').replace('churn.yaml', 'churn2.yaml'), `model: churn\nenv: production\nversion: 3.0.0\nstatus: succeeded\n${at}`);
    const c = await runCli(['--json', 'check'], { cwd: d });
    expect(c.code).toBe(1);
    const problems = JSON.parse(c.stdout).problems.map((p: { file: string; line: number; field?: string; rule: string }) => `${p.file}:${p.line} ${p.field ?? '-'} ${p.rule}`);
    expect(problems).toEqual(expect.arrayContaining([
      'deployments/staging/churn.yaml:4 status schema',
      'deployments/staging/churn.yaml:5 url schema',
      'deployments/staging/iris.yaml:1 model deployment-model',
      'deployments/staging/churn2.yaml:2 env deployment-path',
      'deployments/staging/churn2.yaml:1 model deployment-path',
      'deployments/staging/churn2.yaml:3 version deployment-version',
    ]));
    expect(problems, problems.join("\n")).toHaveLength(6);
    // The folder as a link is reported, never followed.
    await rename(join(d, 'deployments'), join(d, '..', 'elsewhere'));
    await symlink(join(d, '..', 'elsewhere'), join(d, 'deployments'));
    const linked = await runCli(['check'], { cwd: d });
    expect(linked.code).toBe(1);
    expect(linked.stdout).toContain('deployments:1:1: is a symbolic link');
    expect(linked.stdout).not.toContain('iris');
  });

  it('check --base on a pull request checks the deployment files it changes', async () => {
    const d = join(await tempDir('mrdeploy-pr-'), 'reg');
    await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
    const r = await openRegistry({ dir: d, identity: ADA, now: clock.now });
    await r.register({ model: 'churn', artifact: 's3://m/churn' });
    const base = headCommit(d);
    git(d, ['switch', '-q', '-c', 'pr']);
    await r.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    const ok = await runCli(['--json', 'check', '--base', base], { cwd: d });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).events.map((e: { type: string; env?: string }) => `${e.type} ${e.env}`)).toEqual(['deployment staging']);
    await writeFile(join(d, 'deployments/staging/churn.yaml'), (await readFile(join(d, 'deployments/staging/churn.yaml'), 'utf8')).replace('version: 1.0.0', 'version: 1.4.0'));
    git(d, ['commit', '-qam', 'deploy a version that does not exist']);
    const bad = await runCli(['check', '--base', base], { cwd: d });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('deployments/staging/churn.yaml:4:10: version: churn has no version 1.4.0 [deployment-version]');
  });
});

describe('model rename and delete carry the deployment records', () => {
  it('a rename moves deployments/<env>/<model>.yaml with the model, a delete removes it; check and check --base pass', async () => {
    const d = join(await tempDir('mrdeploy-move-'), 'reg');
    await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
    const r = await openRegistry({ dir: d, identity: ADA, now: clock.now });
    await r.register({ model: 'churn', artifact: 's3://m/churn' });
    await r.recordDeployment({ model: 'churn', version: '1.0.0', env: 'staging' });
    await r.recordDeployment({ model: 'churn', version: '1.0.0', env: 'production' });
    const renamed = await runCli(['model', 'rename', 'churn', 'team/churn2'], { cwd: d });
    expect(renamed.code).toBe(0);
    const moved = git(d, ['show', '--no-renames', '--name-status', '--format=', 'HEAD']).stdout.split('\n').filter((l) => l.includes('deployments/')).sort();
    expect(moved).toEqual(['A\tdeployments/production/team/churn2.yaml', 'A\tdeployments/staging/team/churn2.yaml', 'D\tdeployments/production/churn.yaml', 'D\tdeployments/staging/churn.yaml']);
    expect(YAML.parse(await readFile(join(d, 'deployments/staging/team/churn2.yaml'), 'utf8')).model).toBe('team/churn2');
    expect((await runCli(['check'], { cwd: d })).code).toBe(0);
    expect((await runCli(['check', '--base', 'HEAD~1'], { cwd: d })).code).toBe(0);
    const deleted = await runCli(['model', 'delete', 'team/churn2'], { cwd: d });
    expect(deleted.code).toBe(0);
    expect(git(d, ['ls-files', 'deployments']).stdout.trim()).toBe('');
    expect((await runCli(['check'], { cwd: d })).code).toBe(0);
    expect((await runCli(['check', '--base', 'HEAD~1'], { cwd: d })).code).toBe(0);
  });
});

describe('the library facade', () => {
  it('events() gives the feed the CLI prints; followEvents() gives new events as commits arrive, until aborted', async () => {
    const cli = lines((await runCli(['events'], { cwd: dir })).stdout).map((e) => e.id);
    const lib: string[] = [];
    for await (const item of reg.events()) lib.push(item.event.id);
    expect(lib).toEqual(cli);
    const mlflow: object[] = [];
    for await (const item of reg.events({ types: ['deployment.*'], format: 'mlflow' })) mlflow.push(item.payload);
    expect(mlflow[0]).toMatchObject({ entity: 'model_version_tag', data: { key: 'deployment.staging' } });

    const abort = new AbortController();
    const seen: string[] = [];
    const follow = (async () => {
      for await (const item of reg.followEvents({ types: ['deployment.recorded'] }, { intervalMs: 20, signal: abort.signal })) {
        seen.push(`${item.event.data.model} ${item.event.data.env} ${item.event.data.version}`);
        if (seen.length === 6) abort.abort();
      }
    })();
    // The five recorded so far, then one made while following.
    while (seen.length < 5) await new Promise((r) => setTimeout(r, 10));
    await reg.recordDeployment({ model: 'churn', version: '1.1.0', env: 'production' });
    await follow;
    expect(seen.slice(-1)).toEqual(['churn production 1.1.0']);
    expect(Object.keys((await reg.deployments()).churn)).toEqual(['production', 'staging']);
  });
});

describe('deploy record --push', () => {
  it('a deployment job whose branch moved under it: the push is retried on the new tip, nothing lost', async () => {
    const server = await startGitServer({ token: 'sekrit' });
    try {
      const d = join(await tempDir('mrdeploy-push-'), 'reg');
      await initRegistry({ dir: d }, { identity: ADA, now: clock.now });
      await (await openRegistry({ dir: d, identity: ADA, now: clock.now })).register({ model: 'churn', artifact: 's3://m/churn' });
      const remote = await server.createBare('registry');
      git(d, ['remote', 'add', 'origin', remote]);
      const env = { MODELREG_TOKEN: 'sekrit' };
      expect((await runCli(['deploy', 'record', 'churn', '1.0.0', '--env', 'staging', '--push'], { cwd: d, env })).code).toBe(0);
      // Someone else's commit lands on the remote first (made here and pushed, then dropped locally).
      const mine = headCommit(d);
      await commitFiles(d, { 'registry/README.md': 'the registry\n' }, 'a readme', { who: BOB });
      // Asynchronously: the git server answers from this process.
      await promisify(execFile)('git', ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from('x:sekrit').toString('base64')}`, 'push', '-q', remote, 'HEAD:main'], { cwd: d, env: { PATH: process.env.PATH, HOME: d, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' } });
      git(d, ['reset', '-q', '--hard', mine]);
      const r = await runCli(['--json', 'deploy', 'record', 'churn', '1.0.0', '--env', 'production', '--push'], { cwd: d, env });
      expect(r.stderr).not.toMatch(/^modelreg:/m); // (the fetch prints its progress there)
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ pushed: true, env: 'production' });
      const bare = join(server.root, 'registry.git');
      expect(git(bare, ['log', '--format=%s', 'main']).stdout.trim().split('\n').slice(0, 3)).toEqual(['deploy churn 1.0.0 to production: succeeded', 'a readme', 'deploy churn 1.0.0 to staging: succeeded']);
      expect(git(bare, ['show', 'main:deployments/production/churn.yaml']).stdout).toContain('env: production');
    } finally {
      await server.stop();
    }
  });
});
