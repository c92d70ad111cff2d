/**
 * `modelreg check --forge gitlab --format gitlab` as a merge request pipeline runs it: the built
 * CLI in a real clone, GitLab's predefined CI variables, and a local HTTP server answering the
 * merge request and approvals endpoints in GitLab's documented shapes. The base comes from
 * CI_MERGE_REQUEST_DIFF_BASE_SHA; approvals count as forge reviews (`gitlab:username`), never
 * the merge request author's; the report files land where --output-dir says.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelYaml, versionYaml } from '../helpers/repo.js';
import { addApprovalsByHand, commitAll, DANA, MAINT, mr, prBranch, registryWithPolicy, rev, setStageByHand, versionPath, writeText } from '../pr/helpers.js';
import { policyYaml } from '../policy/fixtures.js';
import { approvals, mergeRequest, MR_NOT_FOUND, UNAUTHORIZED } from './gitlab-fixtures.js';

/** Two approvals from ml-leads, who approve on GitLab, not the author's, for Production. */
const POLICY = policyYaml({
  groups: { 'ml-leads': ['"gitlab:carol"', '"gitlab:erin"'] },
  rules: [
    { from: 'None', to: 'Staging' },
    { from: 'Staging', to: 'Production', approvals: '{ min: 2, from: [ml-leads], allowAuthor: false }' },
    { from: '*', to: 'Archived' },
  ],
});

const PROJECT = '/api/v4/projects/acme%2Fml%2Fregistry/merge_requests';
let server: Server;
let api: string;
let base: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const token = req.headers['private-token'];
    const [status, body] =
      token !== 'glpat-good' ? [401, UNAUTHORIZED]
      : path === `${PROJECT}/7` ? [200, mergeRequest(7, 'dana')]
      : path === `${PROJECT}/8` ? [200, mergeRequest(8, 'carol')]
      : /\/merge_requests\/[78]\/approvals$/.test(path) ? [200, approvals(7)]
      : [404, MR_NOT_FOUND];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;

  base = await registryWithPolicy(POLICY);
  await writeText(base, 'registry/churn/model.yaml', modelYaml('churn', '', MAINT));
  await writeText(base, versionPath('churn', '1.0.0'), versionYaml('churn', '1.0.0', 'Production', 'metrics:\n  auc: 0.88\n  f1: 0.7\n', MAINT));
  await writeText(base, versionPath('churn', '1.1.0'), versionYaml('churn', '1.1.0', 'Staging', 'metrics:\n  auc: 0.91\n  f1: 0.8\n', MAINT));
  await commitAll(base, 'churn 1.0.0 in Production, 1.1.0 in Staging', MAINT);
  // Dana's merge request: 1.1.0 to Production (1.0.0 archived), with the approvals given on GitLab recorded.
  dir = await prBranch(base, 'promote/churn-1.1.0');
  await setStageByHand(dir, versionPath('churn', '1.1.0'), 'Production');
  await setStageByHand(dir, versionPath('churn', '1.0.0'), 'Archived');
  await addApprovalsByHand(dir, versionPath('churn', '1.1.0'), [
    { by: 'gitlab:carol', stage: 'Production', at: '2024-03-01T11:00:00Z' },
    { by: 'gitlab:erin', stage: 'Production', at: '2024-03-01T11:05:00Z' },
  ]);
  await commitAll(dir, 'promote churn 1.1.0 to Production', DANA);
}, 60_000);

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
});

/** The variables of a merge request pipeline for merge request `iid`. */
async function pipeline(iid: number, token = 'glpat-good'): Promise<Record<string, string>> {
  return {
    CI: 'true', GITLAB_CI: 'true', CI_PIPELINE_SOURCE: 'merge_request_event', CI_API_V4_URL: api, CI_SERVER_URL: 'https://gitlab.example.com',
    CI_PROJECT_PATH: 'acme/ml/registry', CI_MERGE_REQUEST_PROJECT_PATH: 'acme/ml/registry', CI_MERGE_REQUEST_IID: String(iid),
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'promote/churn-1.1.0', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
    CI_MERGE_REQUEST_DIFF_BASE_SHA: await rev(base), CI_JOB_TOKEN: 'job-token-not-used', MODELREG_TOKEN: token,
  };
}

const check = async (iid: number, out: string, token?: string) => mr(dir, ['check', '--forge', 'gitlab', '--format', 'gitlab', '--output-dir', out], DANA, await pipeline(iid, token));
const read = (out: string, name: string) => readFile(join(dir, out, name), 'utf8');

describe('check --forge gitlab --format gitlab in a merge request pipeline', () => {
  it('counts carol\'s and erin\'s approvals on GitLab, compares with the diff base, and writes the three reports', async () => {
    const r = await check(7, 'reports');
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('churn 1.1.0: Staging → Production');
    expect(r.stdout).toMatch(/✓ churn 1\.1\.0: Staging → Production/);
    expect(JSON.parse(await read('reports', 'gl-code-quality-report.json'))).toEqual([]);
    const xml = await read('reports', 'modelreg-junit.xml');
    expect(XMLValidator.validate(xml)).toBe(true);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(junit.testsuites.failures).toBe('0');
    const metrics = await read('reports', 'metrics.txt');
    expect(metrics).toContain('modelreg_promoted_metric{model="churn",version="1.1.0",stage="Production",metric="auc"} 0.91');
    expect(metrics).toContain('modelreg_promoted_metric_delta{model="churn",version="1.1.0",stage="Production",metric="auc",previous="1.0.0"} 0.03');
    expect(metrics).toContain('modelreg_promoted_metric_delta{model="churn",version="1.1.0",stage="Production",metric="f1",previous="1.0.0"} 0.1');
    expect(metrics.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('does not count the approval of the merge request\'s author: exit 1, reported in Code Quality and JUnit', async () => {
    const r = await check(8, 'reports-8');
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(1);
    const issues = JSON.parse(await read('reports-8', 'gl-code-quality-report.json')) as Array<{ check_name: string; description: string; severity: string; location: { path: string; lines: { begin: number } } }>;
    const forged = issues.find((i) => i.check_name === 'modelreg/forged-approval');
    expect(forged, JSON.stringify(issues, null, 2)).toMatchObject({ severity: 'major', location: { path: versionPath('churn', '1.1.0') } });
    expect(forged!.description).toContain('gitlab:carol');
    expect(forged!.location.lines.begin).toBeGreaterThan(1);
    expect(issues.some((i) => i.check_name === 'modelreg/policy-transition')).toBe(true);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await read('reports-8', 'modelreg-junit.xml'));
    expect(Number(junit.testsuites.failures)).toBeGreaterThanOrEqual(2);
  });

  it('a refused token is exit 2 with what to set; an unknown merge request exit 4; neither leaks the token', async () => {
    const refused = await check(7, 'reports-401', 'glpat-revoked');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/GitLab refused the token in MODELREG_TOKEN .*HTTP 401.*read_api/);
    expect(refused.stderr).not.toContain('glpat-revoked');
    const missing = await check(9, 'reports-404');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('merge request acme/ml/registry!9');
  });

  it('a diff base missing from the clone (a shallow clone) is exit 4 saying to clone the whole history', async () => {
    const env = { ...(await pipeline(7)), CI_MERGE_REQUEST_DIFF_BASE_SHA: 'f'.repeat(40) };
    const r = await mr(dir, ['check', '--forge', 'gitlab'], DANA, env);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`The merge request's diff base ${'f'.repeat(40)} (CI_MERGE_REQUEST_DIFF_BASE_SHA) is not in this clone`);
    expect(r.stderr).toContain('GIT_DEPTH: "0"');
  });

  it('an unknown forge is a usage error', async () => {
    const r = await mr(dir, ['check', '--forge', 'bitbucket'], DANA, await pipeline(7));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown forge 'bitbucket'; supported: github, gitlab.");
  });
});
