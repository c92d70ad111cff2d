/**
 * The README's deployment examples run (issue 14): the `deploy` commands of "### Deployments"
 * in a fresh registry, and the library's events/deployments example after the library example.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, tempDir } from '../helpers/repo.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const scratch = mkdtempSync(join(ROOT, 'test', '.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The n-th ```lang block after a heading. */
function block(afterHeading: string, lang: string, n = 0): string {
  const section = readme.slice(readme.indexOf(afterHeading));
  const all = [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  if (!all[n]) throw new Error(`no ${lang} block ${n} after ${afterHeading}`);
  return all[n][1];
}

const identity = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' };

describe('README: deployments', () => {
  it('the deploy commands run in a fresh registry and say what they say', async () => {
    const home = await tempDir('mrdeploy-readme-');
    const dir = join(home, 'reg');
    const bin = join(home, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'modelreg'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...identity };
    const init = spawnSync('modelreg', ['init', dir], { env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const script = block('### Deployments', 'sh').replace(/\s+#.*$/gm, '');
    const r = spawnSync('sh', ['-ex', '-c', script], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^churn {2}production {2}1\.0\.0 {2}failed {2}\(\S+ by ada@example\.com\)$/m);
    expect(r.stdout).toMatch(/^churn {2}staging {2}1\.0\.0 {2}succeeded {2}https:\/\/churn\.staging\.example\.com {2}\(/m);
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf('{\n')))).toMatchObject({ deployments: { staging: { status: 'succeeded' }, production: { status: 'failed' } } });
  });

  it('the library example with events, followEvents and deployments runs', () => {
    const file = join(scratch, 'library-events.mjs');
    writeFileSync(file, block('## Library', 'js', 0) + block('## Library', 'js', 1));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: scratch }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dev.modelreg.version.registered models/churn/1.0.0\ndev.modelreg.version.transitioned models/churn/1.0.0\ndev.modelreg.deployment.recorded models/churn/1.0.0\n');
    expect(r.stdout).toMatch(/staging: \{\s+version: '1\.0\.0',\s+status: 'succeeded'/);
    expect(r.stdout.match(/^new: /gm)).toEqual(['new: ', 'new: ']);
  });
});
