/**
 * The UI's actions in Debian's Chromium (playwright-core): sign in with a token, request a
 * promotion and approve it by clicking through form → preview (checklist) → confirm, and compare
 * the commits with the ones the CLI makes; a denied action, a forged CSRF token and a GET to an
 * action URL write nothing; a read-only server shows no action. Screenshots of the Promotions
 * page and of an action's preview go to docs/ui/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/http.js';
import { ROOT } from '../helpers/repo.js';
import { chromiumPath } from '../ui/fixtures.js';
import { ALICE, DANA, git, mr } from '../pr/helpers.js';
import { serveUi, tokenFile, TOKENS } from './client.js';
import { registry } from './fixtures.js';

const BRANCH = 'modelreg/promote-churn-1.1.0-production';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let dir: string;
let server: RunningServer;
const problems: string[] = [];

beforeAll(async () => {
  ({ dir } = await registry());
  server = await serveUi(dir, { tokensFile: await tokenFile() });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}, 120_000);
afterAll(async () => { await browser?.close(); });

async function refs(d = dir): Promise<string> {
  return (await git(d, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
}

async function made(d: string, branch: string): Promise<string> {
  return (await git(d, ['log', '--reverse', '--format=%an <%ae>|%s|%(trailers:only,unfold)', `main..${branch}`])).stdout.trim();
}

/** A new browser session (its own cookies) signed in with `token`. */
async function signedIn(token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/promotions$/);
  return page;
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run({ resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

describe('the promotion review in the browser', () => {
  it('a promotion request and an approval clicked in the UI are the commits the CLI makes', async () => {
    const dana = await signedIn(TOKENS.dana);
    await dana.goto(`${server.url}/version?name=churn&v=1.1.0`);
    await dana.getByRole('link', { name: 'Request a promotion…' }).click();
    await dana.getByLabel('To stage').fill('Production');
    const before = await refs();
    await dana.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => dana.locator('table.checklist').count()).toBe(1);
    expect(await dana.locator('tr.check-fail th').allTextContents()).toEqual(['approvals']);
    expect(await refs()).toBe(before);
    expect(await axeViolations(dana)).toEqual([]);
    await dana.screenshot({ path: join(ROOT, 'docs', 'ui', 'action-preview.png'), fullPage: true });
    await dana.getByRole('button', { name: 'Confirm: open the proposal branch' }).click();
    await expect.poll(() => dana.locator('.done').textContent()).toContain(BRANCH);

    const alice = await signedIn(TOKENS.alice);
    await alice.goto(`${server.url}/promotions`);
    expect(await alice.locator('article.promotion h2').allTextContents()).toEqual([BRANCH]);
    expect(await axeViolations(alice)).toEqual([]);
    await alice.screenshot({ path: join(ROOT, 'docs', 'ui', 'promotions-pending.png'), fullPage: true });
    await alice.getByRole('link', { name: 'Approve churn 1.1.0 for Production…' }).click();
    await alice.getByLabel('Comment').fill('metrics reviewed');
    await alice.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => alice.locator('p.note').first().textContent()).toMatch(/counts/);
    await alice.getByRole('button', { name: 'Confirm: commit' }).click();
    await expect.poll(() => alice.locator('.done').textContent()).toContain('approve churn 1.1.0 for Production');

    // The same two changes through the CLI on an identical registry.
    const cli = await registry();
    await mr(cli.dir, ['promote', 'churn', '1.1.0', '--to', 'Production', '--branch'], DANA);
    await git(cli.dir, ['switch', '-q', BRANCH]);
    await mr(cli.dir, ['approve', 'churn', '1.1.0', '--stage', 'Production', '--comment', 'metrics reviewed'], ALICE);
    await git(cli.dir, ['switch', '-q', 'main']);
    const ui = await made(dir, BRANCH);
    expect(ui).toBe(await made(cli.dir, BRANCH));
    expect(ui).toMatch(/^Dana Scientist <dana@example\.com>\|promote churn 1\.1\.0: Staging -> Production\|Modelreg-Action: transition/);
    expect(ui).toContain('Alice Lead <alice@example.com>|approve churn 1.1.0 for Production|Modelreg-Action: approve');

    // The Promotions page now counts Alice's approval: one of two.
    await alice.goto(`${server.url}/promotions`);
    expect(await alice.locator('ul.changes').textContent()).toMatch(/found 1 \(alice@example\.com\)/);
    expect(problems).toEqual([]);
  }, 120_000);

  it('a denied action shows the checklist and writes nothing (HEAD unchanged, no branch)', async () => {
    const dana = await signedIn(TOKENS.dana);
    await dana.goto(`${server.url}/actions/promote?model=churn&version=1.2.0&stage=Staging`);
    const before = await refs();
    await dana.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => dana.getByRole('alert').textContent()).toContain('Denied by policy');
    expect(await dana.locator('tr.check-fail').count()).toBeGreaterThan(0);
    expect(await dana.getByRole('button', { name: /Confirm/ }).count()).toBe(0);
    expect(await refs()).toBe(before);
  }, 60_000);

  it('a forged CSRF token is refused and writes nothing', async () => {
    const dana = await signedIn(TOKENS.dana);
    await dana.goto(`${server.url}/actions/tag?model=churn&key=reviewed&value=yes`);
    await dana.getByRole('button', { name: 'Preview' }).click();
    await dana.getByRole('button', { name: 'Confirm: commit' }).waitFor();
    const before = await refs();
    await dana.locator('form.confirm input[name="csrf"]').evaluate((el) => { (el as HTMLInputElement).value = 'forged-token'; });
    const [res] = await Promise.all([dana.waitForResponse((r) => r.request().method() === 'POST'), dana.getByRole('button', { name: 'Confirm: commit' }).click()]);
    expect(res.status()).toBe(403);
    await expect.poll(() => dana.getByRole('alert').textContent()).toMatch(/did not carry this session's token/);
    expect(await refs()).toBe(before);
  }, 60_000);

  it('a GET to an action URL (even with a confirm\'s fields and token) writes nothing', async () => {
    const dana = await signedIn(TOKENS.dana);
    const csrf = await dana.locator('input[name="csrf"]').first().inputValue();
    const before = await refs();
    const res = await dana.goto(`${server.url}/actions/tag?${new URLSearchParams({ model: 'churn', key: 'k', value: 'v', step: 'confirm', mode: 'commit', csrf })}`);
    expect(res!.status()).toBe(200);
    expect(await dana.getByRole('button', { name: 'Preview' }).count()).toBe(1);
    expect(await refs()).toBe(before);
  }, 60_000);
});

describe('accessibility of the write side', () => {
  it('the sign-in page, an action form and a denial have no serious or critical axe violation', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/sign-in`);
    expect(await axeViolations(page)).toEqual([]);
    const dana = await signedIn(TOKENS.dana);
    await dana.goto(`${server.url}/actions/tag?model=churn`);
    expect(await axeViolations(dana)).toEqual([]);
    await dana.goto(`${server.url}/actions/alias?model=churn&alias=champion&version=1.2.0`);
    await dana.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => dana.getByRole('alert').textContent()).toContain('Denied by policy');
    expect(await axeViolations(dana)).toEqual([]);
  }, 60_000);
});

describe('read-only', () => {
  it('a server without --tokens shows no action and no form that writes', async () => {
    const ro = await serveUi(dir);
    const page = await (await browser.newContext()).newPage();
    for (const path of ['/version?name=churn&v=1.1.0', '/model?name=churn', '/promotions', '/actions/promote?model=churn']) {
      await page.goto(`${ro.url}${path}`);
      expect(await page.locator('form[method="post"]').count(), path).toBe(0);
      expect(await page.locator('a[href^="/actions/"]').count(), path).toBe(0);
    }
    expect(await page.textContent('main')).toMatch(/read-only/);
  }, 60_000);
});
