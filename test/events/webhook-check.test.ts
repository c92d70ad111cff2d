/** `check --base` flags a pull request that adds or changes a webhook (issue 14). */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initRegistry } from '../../src/index.js';
import { ADA, cleanup, git, headCommit, runCli, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

describe('check --base and webhooks', () => {
  it('warns about an added webhook, a changed url and a newly allowed private network; an untouched webhook passes', async () => {
    const dir = join(await tempDir('mrwhcheck-'), 'reg');
    await initRegistry({ dir }, { identity: ADA });
    const cfg = join(dir, 'modelreg.yaml');
    const plain = await readFile(cfg, 'utf8');
    const base = headCommit(dir);
    await writeFile(cfg, `${plain}webhooks:\n  - name: deploy\n    url: https://hooks.example.com/a\n`);
    git(dir, ['commit', '-qam', 'add a webhook']);
    const added = await runCli(['check', '--base', base, '--json'], { cwd: dir });
    const rules = (r: { stdout: string }) => JSON.stringify(JSON.parse(r.stdout)).match(/webhook-[a-z-]+/g) ?? [];
    expect(rules(added)).toContain('webhook-change');
    expect(added.stdout).toContain('webhook deploy is added');
    expect(added.code).toBe(0); // a warning: reviewers decide

    const one = headCommit(dir);
    await writeFile(cfg, `${plain}webhooks:\n  - name: deploy\n    url: http://10.0.0.5/a\n    allowPrivateNetwork: true\n`);
    git(dir, ['commit', '-qam', 'point it inside']);
    const changed = await runCli(['check', '--base', one, '--json'], { cwd: dir });
    expect(rules(changed)).toEqual(expect.arrayContaining(['webhook-change', 'webhook-private-network']));
    expect(changed.stdout).toContain('webhook deploy changes url, allowPrivateNetwork');

    const two = headCommit(dir);
    await writeFile(cfg, `${plain}# a comment\nwebhooks:\n  - name: deploy\n    url: http://10.0.0.5/a\n    allowPrivateNetwork: true\n`);
    git(dir, ['commit', '-qam', 'comment only']);
    expect(rules(await runCli(['check', '--base', two, '--json'], { cwd: dir }))).toEqual([]);
  });
});
