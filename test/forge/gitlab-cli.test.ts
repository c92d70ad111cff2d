/**
 * A registry on GitLab, through the built CLI: `--pr` opens a merge request (a local HTTP
 * server answers GitLab's API; a real smart-HTTP Git server takes the push), or prints the
 * new-merge-request link without a token; `codeowners` writes GitLab's sectioned syntax;
 * `init` writes a .gitlab-ci.yml that runs the check with its three reports.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCodeowners } from '../../src/domain/codeowners.js';
import { gitlabCi } from '../../src/ops/templates.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { modelYaml, tempDir, versionYaml } from '../helpers/repo.js';
import { commitAll, DANA, git, MAINT, mr, mrOk, readText, registryWithPolicy, versionPath, writeText } from '../pr/helpers.js';
import { policyYaml } from '../policy/fixtures.js';
import { mergeRequest } from './gitlab-fixtures.js';

let api: Server;
let apiUrl: string;
let gitServer: GitServer;
let posted: Array<{ url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];

beforeAll(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posted.push({ url: req.url!, headers: req.headers, body: body ? JSON.parse(body) : {} });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(mergeRequest(12)));
    });
  });
  await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v4`;
  gitServer = await startGitServer();
});

afterAll(async () => {
  await new Promise((ok) => api.close(ok));
  await gitServer?.stop();
});

/**
 * A registry whose origin is a project `acme/ml/NAME` on the local Git server, taken for a
 * GitLab host through MODELREG_GITLAB_HOST (as a self-managed GitLab would be configured).
 */
async function gitlabRegistry(name: string): Promise<{ dir: string; env: Record<string, string>; host: string }> {
  const dir = await registryWithPolicy(policyYaml({ groups: { leads: ['"gitlab:carol"', 'erin@example.com', '"github:octo"'] }, rules: [{ from: '*', to: '*' }] }));
  await writeText(dir, 'registry/churn/model.yaml', modelYaml('churn', '', MAINT).replace(`  - ${MAINT.email}\n`, `  - ${MAINT.email}\n  - gitlab:dana\n`));
  await writeText(dir, versionPath('churn', '1.0.0'), versionYaml('churn', '1.0.0', 'Staging', '', MAINT));
  await commitAll(dir, 'churn 1.0.0 in Staging', MAINT);
  const url = await gitServer.createBare(`acme/ml/${name}`);
  await git(dir, ['remote', 'add', 'origin', url]);
  await git(dir, ['push', '-q', 'origin', 'main']);
  const host = new URL(url).host;
  return { dir, env: { MODELREG_GITLAB_HOST: host }, host };
}

describe('--pr on a GitLab remote', () => {
  it('pushes the branch and opens a merge request whose description lists the changes', async () => {
    const { dir, env } = await gitlabRegistry('pr');
    posted = [];
    const r = await mr(dir, ['promote', 'churn', '1.0.0', '--to', 'Production', '--pr'], DANA, { ...env, CI_API_V4_URL: apiUrl, MODELREG_TOKEN: 'glpat-good' });
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('Opened merge request https://gitlab.com/acme/ml/registry/-/merge_requests/12');
    expect(posted).toHaveLength(1);
    const [req] = posted;
    expect(req.url).toBe('/api/v4/projects/acme%2Fml%2Fpr/merge_requests');
    expect(req.headers['private-token']).toBe('glpat-good');
    expect(req.body).toMatchObject({ target_branch: 'main', title: 'promote churn 1.0.0: Staging -> Production', remove_source_branch: true });
    expect(String(req.body.description)).toContain('### Changes\n- churn 1.0.0: Staging → Production');
    const branch = String(req.body.source_branch);
    expect((await git(dir, ['ls-remote', 'origin', `refs/heads/${branch}`])).stdout).toContain(branch);
  });

  it('without a token prints the new merge request link, title and description', async () => {
    const { dir, env, host } = await gitlabRegistry('manual');
    posted = [];
    const r = await mr(dir, ['promote', 'churn', '1.0.0', '--to', 'Production', '--pr'], DANA, { ...env, MODELREG_TOKEN: undefined, CI_JOB_TOKEN: undefined });
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stderr).toContain(`Open the merge request at:\n  https://${host}/acme/ml/manual/-/merge_requests/new?`);
    expect(r.stderr).toMatch(/merge_requests\/new\?merge_request%5Bsource_branch%5D=[^&]+&merge_request%5Btarget_branch%5D=main/);
    expect(r.stderr).toContain('Title:\n  promote churn 1.0.0: Staging -> Production');
    expect(posted).toHaveLength(0);
  });
});

describe('codeowners on GitLab', () => {
  it('renders sections with @usernames and emails, leaving out other forges\' accounts', () => {
    const text = renderCodeowners({ registryDir: 'registry', policiesDir: 'policies', syntax: 'gitlab', groups: { leads: ['gitlab:carol', 'github:octo', 'erin@example.com'] }, models: [{ name: 'team/churn', owners: ['gitlab:dana'] }, { name: 'iris', owners: ['github:octo'] }] });
    expect(text.split('\n').slice(2)).toEqual([
      '[Registry settings]', '/policies/ @carol erin@example.com', '/modelreg.yaml @carol erin@example.com', '',
      '[Model team/churn]', '/registry/team/churn/ @dana', '',
    ]);
    const gh = renderCodeowners({ registryDir: 'registry', policiesDir: 'policies', groups: { leads: ['gitlab:carol', 'github:octo'] }, models: [{ name: 'iris', owners: ['github:octo'] }] });
    expect(gh).toContain('/policies/ @octo\n');
    expect(gh).not.toContain('[');
    expect(gh).not.toContain('@carol');
  });

  it('writes .gitlab/CODEOWNERS when the remote is GitLab, or the root CODEOWNERS GitLab already reads', async () => {
    const { dir, env } = await gitlabRegistry('owners');
    const r = await mrOk(dir, ['codeowners'], MAINT, env);
    expect(r.stdout).toMatch(/^Wrote \.gitlab\/CODEOWNERS in [0-9a-f]{12}/);
    const text = await readText(dir, '.gitlab/CODEOWNERS');
    expect(text).toContain('[Registry settings]\n/policies/ @carol erin@example.com\n');
    expect(text).toContain(`[Model churn]\n/registry/churn/ ${MAINT.email} @dana\n`);
    await writeText(dir, 'CODEOWNERS', '* @someone\n');
    await commitAll(dir, 'a root CODEOWNERS', MAINT);
    await mrOk(dir, ['codeowners'], MAINT, env);
    expect(await readText(dir, 'CODEOWNERS')).toBe(text);
    const forced = await mrOk(dir, ['codeowners', '--forge', 'github', '--dry-run'], MAINT, env);
    expect(forced.stdout).toContain('/policies/ erin@example.com @octo\n');
  });
});

describe('init --ci gitlab', () => {
  it('writes a .gitlab-ci.yml whose job checks merge requests and publishes the three reports', async () => {
    const parent = await tempDir('modelreg-glinit-');
    const r = await mrOk(parent, ['init', 'reg', '--ci', 'gitlab'], MAINT);
    expect(r.stdout).toContain('.gitlab-ci.yml');
    expect(existsSync(join(parent, 'reg', '.github'))).toBe(false);
    const ci = parse(await readText(join(parent, 'reg'), '.gitlab-ci.yml'));
    const job = ci['modelreg-check'];
    expect(job.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }, { if: '$CI_COMMIT_BRANCH == "main"' }]);
    expect(job.variables.GIT_DEPTH).toBe('0');
    expect(job.artifacts.reports).toEqual({ codequality: 'modelreg-reports/gl-code-quality-report.json', junit: 'modelreg-reports/modelreg-junit.xml', metrics: 'modelreg-reports/metrics.txt' });
    const script = job.script.join('\n');
    expect(script).toContain('check --forge gitlab --format gitlab --output-dir modelreg-reports');
    expect(script).toContain('check --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --format gitlab');
  });

  it('runs a pinned install first when given one, and modelreg from it', () => {
    const job = parse(gitlabCi({ branch: 'trunk', install: "npm install --global 'modelreg@0.1.0'" }))['modelreg-check'];
    expect(job.script[0]).toBe("npm install --global 'modelreg@0.1.0'");
    expect(job.script[1]).toContain('  modelreg check --forge gitlab');
    expect(job.script[1]).not.toContain('npx');
    expect(job.rules[1]).toEqual({ if: '$CI_COMMIT_BRANCH == "trunk"' });
  });

  it('writes GitLab\'s file for a GitLab remote, both when asked, and nothing for an unknown forge', async () => {
    const parent = await tempDir('modelreg-glinit2-');
    const existing = join(parent, 'existing');
    await git(parent, ['init', '-q', '-b', 'main', existing]);
    await git(existing, ['remote', 'add', 'origin', 'git@gitlab.com:acme/registry.git']);
    expect((await mrOk(existing, ['init', '.'], MAINT)).stdout).toContain('.gitlab-ci.yml');
    expect(existsSync(join(existing, '.github'))).toBe(false);
    await mrOk(parent, ['init', 'both', '--ci', 'github,gitlab'], MAINT);
    expect(existsSync(join(parent, 'both', '.gitlab-ci.yml'))).toBe(true);
    expect(existsSync(join(parent, 'both', '.github/workflows/modelreg.yml'))).toBe(true);
    const bad = await mr(parent, ['init', 'bad', '--ci', 'jenkins'], MAINT);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown forge 'jenkins'; supported: github, gitlab.");
    expect(existsSync(join(parent, 'bad'))).toBe(false);
  });
});
