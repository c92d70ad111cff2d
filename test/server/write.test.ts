/**
 * `modelreg serve`, writes: each one commit through the CLI's operations with the usual
 * trailers, authored by the token's identity; denied by policy -> 403 and no commit; who may
 * write; bad input changes nothing and the server keeps serving; HTTP and library writes at
 * once lose nothing; new commits made beside the server are served.
 */
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { ADA, BOB, commitCount, commitFiles, gitLog, gitStatus, headCommit } from '../helpers/repo.js';
import { TOKENS, call, expectError, get, seeded, serve, tokenFile } from './helpers.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('writes with a token', () => {
  it('create model version: one commit, authored by the token\'s identity, numbered next', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const before = headCommit(dir);
    const r = await call(s, 'POST', 'model-versions/create', { name: 'churn', source: 's3://models/churn/new', run_id: 'r9', description: 'retrained' }, auth(TOKENS.bob));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.model_version).toMatchObject({ name: 'churn', version: '5', current_stage: 'None', source: 's3://models/churn/new', run_id: 'r9', description: 'retrained', user_id: 'bob@example.com' });
    const log = gitLog(dir);
    expect(log[0].parents).toEqual([before]);
    expect(log[0]).toMatchObject({ authorEmail: BOB.email, authorName: BOB.name, subject: 'register churn 2.1.0' });
    expect(log[0].trailers).toMatchObject({ 'Modelreg-Action': 'register', 'Modelreg-Model': 'churn', 'Modelreg-Version': '2.1.0' });
    expect(r.headers.get('x-modelreg-commit')).toBe(log[0].commit);
    expect(gitStatus(dir)).toBe('');
    // Read after write: the new version is served at once.
    expect((await get(s, 'model-versions/get', { name: 'churn', version: '5' })).body.model_version.tags).toContainEqual({ key: 'modelreg.version', value: '2.1.0' });
  });

  it('transition-stage, alias, tags, descriptions, create and delete: one commit each with its trailers', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const steps: Array<[string, string, unknown, Record<string, string>]> = [
      ['POST', 'model-versions/transition-stage', { name: 'churn', version: '3', stage: 'production', archive_existing_versions: true }, { 'Modelreg-Action': 'transition', 'Modelreg-To': 'Production', 'Modelreg-Archived': '1.1.0' }],
      ['POST', 'registered-models/alias', { name: 'churn', alias: 'challenger', version: '4' }, { 'Modelreg-Action': 'alias', 'Modelreg-Alias': 'challenger', 'Modelreg-Version': '2.0.0' }],
      ['DELETE', 'registered-models/alias', { name: 'churn', alias: 'challenger' }, { 'Modelreg-Action': 'alias', 'Modelreg-Alias': 'challenger' }],
      ['POST', 'registered-models/set-tag', { name: 'churn', key: 'tier', value: 'gold' }, { 'Modelreg-Action': 'tag' }],
      ['DELETE', 'registered-models/delete-tag', { name: 'churn', key: 'tier' }, { 'Modelreg-Action': 'tag' }],
      ['POST', 'model-versions/set-tag', { name: 'churn', version: '4', key: 'validated', value: 'yes' }, { 'Modelreg-Action': 'tag', 'Modelreg-Version': '2.0.0' }],
      ['DELETE', 'model-versions/delete-tag', { name: 'churn', version: '4', key: 'validated' }, { 'Modelreg-Action': 'tag', 'Modelreg-Version': '2.0.0' }],
      ['PATCH', 'registered-models/update', { name: 'churn', description: 'Churn classifier' }, { 'Modelreg-Action': 'describe' }],
      ['PATCH', 'model-versions/update', { name: 'churn', version: '4', description: 'v2' }, { 'Modelreg-Action': 'describe', 'Modelreg-Version': '2.0.0' }],
      ['POST', 'registered-models/create', { name: 'ranker', description: 'Search ranking', tags: [{ key: 'team', value: 'search' }] }, { 'Modelreg-Action': 'create-model', 'Modelreg-Model': 'ranker' }],
      ['DELETE', 'model-versions/delete', { name: 'churn', version: '4' }, { 'Modelreg-Action': 'delete', 'Modelreg-Version': '2.0.0' }],
    ];
    for (const [method, path, body, trailers] of steps) {
      const before = headCommit(dir);
      const r = await call(s, method, path, body, auth(TOKENS.ada));
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
      const log = gitLog(dir);
      expect(log[0].parents, path).toEqual([before]);
      expect(log[0].trailers, path).toMatchObject(trailers);
      expect(log[0].authorEmail).toBe(ADA.email);
    }
    const churn = (await get(s, 'registered-models/get', { name: 'churn' })).body.registered_model;
    expect(churn.description).toBe('Churn classifier');
    expect(churn.latest_versions.map((v: any) => [v.version, v.current_stage])).toEqual([['2', 'Archived'], ['3', 'Production']]);
    expect((await get(s, 'registered-models/get', { name: 'ranker' })).body.registered_model).toMatchObject({ name: 'ranker', description: 'Search ranking', tags: [{ key: 'team', value: 'search' }], latest_versions: [] });
    // A deleted version's number is never given again.
    const next = await call(s, 'POST', 'model-versions/create', { name: 'churn', source: 's3://x' }, auth(TOKENS.ada));
    expect(next.body.model_version.version).toBe('5');
    expectError(await call(s, 'POST', 'registered-models/create', { name: 'CHURN' }, auth(TOKENS.ada)), 400, 'RESOURCE_ALREADY_EXISTS');
  });

  it('denied by policy: 403 PERMISSION_DENIED with the checklist, and no commit', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const before = headCommit(dir);
    // 2.0.0 has no team tag: Staging -> Production needs has(version.tags.team); None -> Production has no rule.
    const r = await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '4', stage: 'Production' }, auth(TOKENS.ada));
    expectError(r, 403, 'PERMISSION_DENIED');
    expect(r.body.message).toMatch(/Denied by policy/);
    expect(r.body.message).toMatch(/✗/);
    expect(headCommit(dir)).toBe(before);
    expect(gitStatus(dir)).toBe('');
  });
});

describe('who may write', () => {
  it('with --tokens: no or a wrong bearer token is 401; nothing is written', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const n = commitCount(dir);
    const body = { name: 'churn', key: 'k', value: 'v' };
    expectError(await call(s, 'POST', 'registered-models/set-tag', body), 401, 'UNAUTHENTICATED');
    expectError(await call(s, 'POST', 'registered-models/set-tag', body, auth('ada-token-0123456789abcdeX')), 401, 'UNAUTHENTICATED');
    expectError(await call(s, 'POST', 'registered-models/set-tag', body, { Authorization: `Basic ${TOKENS.ada}` }), 401, 'UNAUTHENTICATED');
    expect(commitCount(dir)).toBe(n);
  });

  it('without --tokens the server takes no writes; --read-only refuses them even with a token; --local-identity writes as the starter', async () => {
    const { dir } = await seeded();
    const n = commitCount(dir);
    const body = { name: 'churn', key: 'k', value: 'v' };
    expectError(await call(await serve(dir), 'POST', 'registered-models/set-tag', body), 403, 'PERMISSION_DENIED');
    expectError(await call(await serve(dir, { tokensFile: await tokenFile(), readOnly: true }), 'POST', 'registered-models/set-tag', body, auth(TOKENS.ada)), 403, 'PERMISSION_DENIED');
    expect(commitCount(dir)).toBe(n);
    const local = await serve(dir, { localIdentity: true, identity: BOB });
    expect((await call(local, 'POST', 'registered-models/set-tag', body)).status).toBe(200);
    expect(gitLog(dir)[0].authorEmail).toBe(BOB.email);
    await expect(serve(dir, { localIdentity: true, host: '0.0.0.0' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a bad token file is refused at start, naming the entry', async () => {
    const { dir } = await seeded();
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const f = join(dir, '..', 'bad-tokens.yaml');
    await writeFile(f, 'tokens:\n  - { token: short, name: A, email: a@x }\n');
    await expect(serve(dir, { tokensFile: f })).rejects.toThrow(/tokens\[0\]\.token is shorter than 16/);
    const inside = join(dir, 'tokens.yaml');
    await writeFile(inside, `tokens:\n  - { token: ${TOKENS.ada}, name: A, email: a@x }\n`);
    await expect(serve(dir, { tokensFile: inside })).rejects.toThrow(/inside the registry repository/);
  });
});

describe('bad input', () => {
  it('malformed JSON, wrong types, oversize bodies, bad names: 4xx, nothing written, the server keeps serving', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile(), maxBodyBytes: 4096 });
    const n = commitCount(dir);
    const a = auth(TOKENS.ada);
    expectError(await call(s, 'POST', 'model-versions/create', '{"name": "churn", ', a), 400, 'MALFORMED_REQUEST');
    expectError(await call(s, 'POST', 'model-versions/create', '[1,2]', a), 400, 'MALFORMED_REQUEST');
    expectError(await call(s, 'POST', 'model-versions/create', { name: 42, source: 's3://x' }, a), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'model-versions/create', { name: 'churn', source: 's3://x', tags: { a: 1 } }, a), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'model-versions/create', { name: '../../etc', source: 's3://x' }, a), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'model-versions/create', { name: 'churn' }, a), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '3', stage: 'Prod uction' }, a), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call(s, 'POST', 'model-versions/transition-stage', { name: 'churn', version: '3', stage: 'Staging', archive_existing_versions: 'maybe' }, a), 400, 'INVALID_PARAMETER_VALUE');
    const big = await call(s, 'POST', 'model-versions/create', { name: 'churn', source: 's3://x', description: 'x'.repeat(10_000) }, a);
    expect(big.status).toBe(413);
    expect(commitCount(dir)).toBe(n);
    expect((await get(s, 'registered-models/get', { name: 'churn' })).status).toBe(200);
  });

  it('a slow client does not hold up others', async () => {
    const { dir } = await seeded();
    const s = await serve(dir);
    const net = await import('node:net');
    const slow = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.write('POST /api/2.0/mlflow/registered-models/get-latest-versions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"na');
    expect((await get(s, 'registered-models/get', { name: 'iris' })).status).toBe(200);
    slow.destroy();
  });
});

describe('following the branch', () => {
  it('serves a commit made by the library beside it without a restart', async () => {
    const { dir, reg } = await seeded();
    const s = await serve(dir, { pollMs: 20 });
    await reg.register({ model: 'iris', artifact: 's3://models/iris/1.1.0' });
    const tip = headCommit(dir);
    // The poll reads the ref; wait for it (bounded), asserting what is served, not how fast.
    for (let i = 0; i < 500 && s.commit() !== tip; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.commit()).toBe(tip);
    const r = await get(s, 'model-versions/get', { name: 'iris', version: '2' });
    expect(r.body.model_version.source).toBe('s3://models/iris/1.1.0');
    expect(r.headers.get('x-modelreg-commit')).toBe(tip);
  });

  it('a commit with a broken model folder: that model is left out and named; the rest is served', async () => {
    const { dir } = await seeded();
    const lines: string[] = [];
    const s = await serve(dir, { onLog: (l) => lines.push(l) });
    const tip = await commitFiles(dir, { 'registry/iris/model.yaml': 'name: iris\ncreated: [unclosed\n' }, 'break iris by hand');
    await s.refresh();
    expect(s.commit()).toBe(tip);
    expectError(await get(s, 'registered-models/get', { name: 'iris' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect((await get(s, 'registered-models/get', { name: 'churn' })).status).toBe(200);
    expect(lines.join('\n')).toMatch(/iris is not served at [0-9a-f]{12}: .*model\.yaml/);
  });

  it('HTTP and library writes at once lose nothing', async () => {
    const { dir } = await seeded();
    const s = await serve(dir, { tokensFile: await tokenFile() });
    const lib = await openRegistry({ dir, identity: BOB, env: {} });
    const n = commitCount(dir);
    const jobs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 6; i++) {
      jobs.push(call(s, 'POST', 'registered-models/set-tag', { name: 'iris', key: `http${i}`, value: 'x' }, auth(TOKENS.ada)).then((r) => expect(r.status).toBe(200)));
      jobs.push(lib.tag({ model: 'iris', set: { [`lib${i}`]: 'y' } }));
    }
    await Promise.all(jobs);
    expect(commitCount(dir)).toBe(n + 12);
    await s.refresh();
    const tags = (await get(s, 'registered-models/get', { name: 'iris' })).body.registered_model.tags.map((t: any) => t.key).sort();
    expect(tags).toEqual([...Array(6).keys()].flatMap((i) => [`http${i}`, `lib${i}`]).sort());
    expect(gitStatus(dir)).toBe('');
  });
});
