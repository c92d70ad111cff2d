/**
 * The GitLab adapter against a local HTTP server on 127.0.0.1 that answers with bodies in
 * GitLab's documented REST API v4 shapes. No request leaves the machine: every adapter here
 * is pointed at the local server (`apiUrl`, or CI_API_V4_URL as a merge request pipeline sets it).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors/index.js';
import {
  createGitlabAdapter, forgeFor, forgeOfRemote, gitlabCheckBase, manualPullRequestText, mergeRequestFromEnv, parseGitlabRemote, pullRequestApprovals,
} from '../../src/forge/index.js';
import { approvals, mergeRequest, MR_EXISTS, MR_NOT_FOUND, PROJECT_NOT_FOUND, UNAUTHORIZED } from './gitlab-fixtures.js';

const TOKEN = 'glpat-t3stT0ken9f8e7d6c5b4a';
const PROJECT = '/api/v4/projects/acme%2Fml%2Fregistry';

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }
let server: Server;
let origin: string;
let api: string;
let seen: Seen[] = [];

function route(method: string, path: string): { status: number; body: unknown } {
  if (method === 'POST' && path === `${PROJECT}/merge_requests`) return { status: 201, body: mergeRequest(12) };
  if (method === 'POST' && path === '/api/v4/projects/acme%2Fdup/merge_requests') return { status: 409, body: MR_EXISTS };
  if (method === 'GET' && path === `${PROJECT}/merge_requests/7`) return { status: 200, body: mergeRequest(7, 'dana') };
  if (method === 'GET' && path === `${PROJECT}/merge_requests/7/approvals`) return { status: 200, body: approvals(7) };
  if (path.startsWith('/api/v4/projects/acme%2Fprivate/')) return { status: 401, body: UNAUTHORIZED };
  if (path.startsWith(`${PROJECT}/merge_requests/`)) return { status: 404, body: MR_NOT_FOUND };
  return { status: 404, body: PROJECT_NOT_FOUND };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const r = route(req.method!, new URL(req.url!, origin).pathname);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = `${origin}/api/v4`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
});
beforeEach(() => {
  seen = [];
});

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(RegistryError);
  return e as RegistryError;
}

const gl = (token: string | undefined = TOKEN, kind: 'private' | 'job' = 'private') => createGitlabAdapter({ apiUrl: api, token: token ? { value: token, kind } : undefined });
const MR = { owner: 'acme/ml', repo: 'registry', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn-prediction 2.1.0', body: '### Changes\n- churn-prediction 2.1.0: Staging → Production' };

/** The MR pipeline variables GitLab sets (the ones modelreg reads). */
const MR_ENV = {
  CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_PROJECT_PATH: 'acme/ml/registry', CI_PROJECT_PATH: 'acme/ml/registry',
  CI_MERGE_REQUEST_PROJECT_URL: 'https://gitlab.com/acme/ml/registry', CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'promote/churn-2.1.0', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
  CI_MERGE_REQUEST_DIFF_BASE_SHA: '9a1b2c3d4e5f60718293a4b5c6d7e8f901234567', CI_PROJECT_ID: '278964',
};

describe('openPullRequest (a merge request)', () => {
  it('POSTs source and target branch, title and description with PRIVATE-TOKEN, and returns the iid and web_url', async () => {
    expect(await gl().openPullRequest(MR)).toEqual({ number: 12, url: 'https://gitlab.com/acme/ml/registry/-/merge_requests/12' });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req).toMatchObject({ method: 'POST', url: `${PROJECT}/merge_requests` });
    expect(req.headers).toMatchObject({ 'private-token': TOKEN, 'content-type': 'application/json' });
    expect(req.headers['job-token']).toBeUndefined();
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ source_branch: MR.head, target_branch: 'main', title: MR.title, description: MR.body, remove_source_branch: true });
  });

  it('marks a draft with the Draft: prefix GitLab recognises', async () => {
    await gl().openPullRequest({ ...MR, draft: true });
    expect(JSON.parse(seen[0].body).title).toBe(`Draft: ${MR.title}`);
  });

  it('turns 409 (a merge request already exists for the branch) into CONFLICT with GitLab\'s message', async () => {
    const e = await rejection(gl().openPullRequest({ ...MR, owner: 'acme', repo: 'dup' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('Another open merge request already exists for this source branch: !3');
    expect(e.data).toMatchObject({ status: 409 });
  });

  it('asks for a token without sending anything when there is none', async () => {
    const e = await rejection(gl('').openPullRequest(MR));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/MODELREG_TOKEN.*api scope/);
    expect(seen).toHaveLength(0);
  });
});

describe('approvingReviewers', () => {
  it('counts approved_by, not the merge request\'s author (read from the merge request)', async () => {
    expect((await gl().approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 7 })).sort()).toEqual(['carol', 'erin']);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([`GET ${PROJECT}/merge_requests/7`, `GET ${PROJECT}/merge_requests/7/approvals`]);
    for (const s of seen) expect(s.headers['private-token']).toBe(TOKEN);
  });

  it('uses a known author without reading the merge request', async () => {
    expect((await gl().approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 7, author: 'carol' })).sort()).toEqual(['Dana', 'erin']);
    expect(seen).toHaveLength(1);
  });

  it('turns 401 into BAD_INPUT naming MODELREG_TOKEN and the scope, never the token', async () => {
    const e = await rejection(gl().approvingReviewers({ owner: 'acme', repo: 'private', number: 7 }));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/GitLab refused the token in MODELREG_TOKEN .*HTTP 401: 401 Unauthorized/);
    expect(e.message).toContain('read_api');
    expect(e.message).not.toContain(TOKEN);
    expect(JSON.stringify(e.toJSON())).not.toContain(TOKEN);
  });

  it('says that the CI job token cannot read merge requests when GitLab refuses it', async () => {
    const e = await rejection(gl('job-secret', 'job').approvingReviewers({ owner: 'acme', repo: 'private', number: 7 }));
    expect(seen[0].headers['job-token']).toBe('job-secret');
    expect(seen[0].headers['private-token']).toBeUndefined();
    expect(e.message).toMatch(/GitLab refused CI_JOB_TOKEN.*cannot read or open merge requests.*MODELREG_TOKEN/);
    expect(e.message).not.toContain('job-secret');
  });

  it('turns 404 into NOT_FOUND naming the project and merge request', async () => {
    const e = await rejection(gl().approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 99 }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('merge request acme/ml/registry!99');
    expect(e.message).toContain('404 Not found');
  });

  it('turns a refused connection into IO naming the API url', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api/v4`;
    await new Promise((ok) => closed.close(ok));
    const e = await rejection(createGitlabAdapter({ apiUrl: dead, token: { value: TOKEN, kind: 'private' } }).approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 7 }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain(dead);
  });
});

describe('a merge request pipeline', () => {
  it('reads the merge request from the CI variables, without a request', async () => {
    expect(await gl().currentPullRequest(MR_ENV)).toEqual({
      owner: 'acme/ml', repo: 'registry', number: 7, base: 'main', head: 'promote/churn-2.1.0', url: 'https://gitlab.com/acme/ml/registry/-/merge_requests/7',
    });
    expect(seen).toHaveLength(0);
  });

  it('is no merge request in a branch pipeline, and an error when the variables are half there', () => {
    expect(mergeRequestFromEnv({ CI_PIPELINE_SOURCE: 'push', CI_PROJECT_PATH: 'acme/ml/registry' })).toBeUndefined();
    expect(() => mergeRequestFromEnv({ CI_MERGE_REQUEST_IID: '7', CI_PROJECT_PATH: 'acme/ml/registry' })).toThrow(/CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, CI_MERGE_REQUEST_TARGET_BRANCH_NAME/);
  });

  it('compares with CI_MERGE_REQUEST_DIFF_BASE_SHA, only in a merge request pipeline', () => {
    expect(gitlabCheckBase(MR_ENV)).toBe(MR_ENV.CI_MERGE_REQUEST_DIFF_BASE_SHA);
    expect(gitlabCheckBase({ CI_MERGE_REQUEST_DIFF_BASE_SHA: 'abc' })).toBeUndefined();
  });

  it('forgeFor(gitlab) takes CI_API_V4_URL and CI_JOB_TOKEN from the pipeline; MODELREG_TOKEN wins over the job token', async () => {
    const env = { ...MR_ENV, CI_API_V4_URL: api, CI_JOB_TOKEN: 'job-xyz' };
    const r = await pullRequestApprovals(forgeFor('gitlab', env), env);
    expect(r?.pr.number).toBe(7);
    expect(r?.approvers.sort()).toEqual(['carol', 'erin']);
    expect(seen.every((s) => s.headers['job-token'] === 'job-xyz')).toBe(true);
    seen = [];
    await forgeFor('GitLab', { ...env, MODELREG_TOKEN: TOKEN }).approvingReviewers({ owner: 'acme/ml', repo: 'registry', number: 7 });
    expect(seen[0].headers['private-token']).toBe(TOKEN);
    expect(seen[0].headers['job-token']).toBeUndefined();
  });

  it('builds the API url from CI_SERVER_URL when CI_API_V4_URL is not set', async () => {
    await forgeFor('gitlab', { CI_SERVER_URL: `${origin}/`, MODELREG_TOKEN: TOKEN }).openPullRequest(MR);
    expect(seen[0].url).toBe(`${PROJECT}/merge_requests`);
  });
});

describe('GitLab remotes', () => {
  it.each([
    ['git@gitlab.com:acme/ml/registry.git', 'gitlab.com'],
    ['https://gitlab.com/acme/ml/registry.git', 'gitlab.com'],
    ['https://oauth2:glpat-secret@gitlab.com/acme/ml/registry', 'gitlab.com'],
    ['ssh://git@gitlab.example.com:2222/acme/ml/registry.git', 'gitlab.example.com'],
  ])('%s', (url, host) => {
    expect(parseGitlabRemote(url)).toEqual({ owner: 'acme/ml', repo: 'registry', host, project: 'acme/ml/registry' });
    expect(forgeOfRemote(url)?.forge).toBe('gitlab');
  });

  it('a configured host (MODELREG_GITLAB_HOST, the CI server, MODELREG_FORGE=gitlab) is GitLab; other hosts stay GitHub', () => {
    const url = 'git@code.example.org:acme/registry.git';
    expect(forgeOfRemote(url)?.forge).toBe('github');
    expect(forgeOfRemote(url, { MODELREG_GITLAB_HOST: 'other.example, code.example.org' })?.forge).toBe('gitlab');
    expect(forgeOfRemote(url, { CI_SERVER_HOST: 'code.example.org' })?.forge).toBe('gitlab');
    expect(forgeOfRemote(url, { MODELREG_FORGE: 'gitlab' })).toEqual({ forge: 'gitlab', owner: 'acme', repo: 'registry', host: 'code.example.org' });
    expect(forgeOfRemote('git@gitlab.com:acme/registry.git', { MODELREG_FORGE: 'github' })?.forge).toBe('github');
    expect(forgeOfRemote('/srv/git/registry.git', { MODELREG_FORGE: 'gitlab' })).toBeUndefined();
  });

  it('prints the new merge request link, title and description without a token', () => {
    const text = manualPullRequestText({ remoteUrl: 'git@gitlab.com:acme/ml/registry.git', head: 'promote/churn-2.1.0', base: 'main', title: 'promote churn', body: 'line 1\nline 2' });
    expect(text).toContain('https://gitlab.com/acme/ml/registry/-/merge_requests/new?merge_request%5Bsource_branch%5D=promote%2Fchurn-2.1.0&merge_request%5Btarget_branch%5D=main');
    expect(text).toContain('Title:\n  promote churn');
    expect(text).toContain('line 1\nline 2');
    expect(text).toMatch(/MODELREG_TOKEN/);
  });
});
