/**
 * The web UI in a real browser (playwright-core driving Debian's Chromium): every page opens,
 * models → model → version → compare → back, the chart has one point per version, the stage
 * timeline and `?at=` answer for a past date, a hostile registry renders inert, the CSP holds
 * (no violation is reported), axe-core finds no serious or critical violation; and each page's
 * screenshot is saved under docs/ui/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { RunningServer } from '../../src/server/http.js';
import { ROOT } from '../helpers/repo.js';
import { serve } from '../server/helpers.js';
import { chromiumPath, uiRegistry } from './fixtures.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let context: BrowserContext;
let server: RunningServer;
const dialogs: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  const { dir } = await uiRegistry();
  server = await serve(dir);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.on('page', (p) => watch(p));
}, 120_000);

afterAll(async () => { await browser?.close(); });

function watch(p: Page) {
  p.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`); });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
}

async function open(path: string): Promise<{ page: Page; status: number; headers: Record<string, string> }> {
  const page = await context.newPage();
  const res = await page.goto(`${server.url}${path}`);
  await page.waitForSelector('html[data-ready="1"]');
  return { page, status: res!.status(), headers: res!.headers() };
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run({ resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const PAGES: Array<[string, string]> = [
  ['models', '/'],
  ['model', '/model?name=churn'],
  ['version', '/version?name=churn&v=1.2.0'],
  ['compare', '/compare?name=churn&v=1.0.0&v=1.1.0&v=1.2.0'],
  ['history', '/history'],
  ['policy', '/policy'],
  ['promotions', '/promotions'],
];

describe('every page', () => {
  it.each(PAGES)('%s: 200, the CSP header, no console error, no serious or critical axe violation, a screenshot', async (name, path) => {
    const { page, status, headers } = await open(path);
    expect(status).toBe(200);
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers.etag).toMatch(/^"ui-[0-9a-f]{40}-/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ROOT, 'docs', 'ui', `${name}.png`) });
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a revalidation with the ETag answers 304 while the commit is the same', async () => {
    const first = await fetch(`${server.url}/model?name=churn`);
    const again = await fetch(`${server.url}/model?name=churn`, { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(first.headers.get('x-modelreg-commit')).toBe(server.commit());
  });
});

describe('navigation', () => {
  it('models → model → version → compare → back', async () => {
    const { page } = await open('/');
    await page.getByRole('link', { name: 'churn', exact: true }).click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.locator('h1').textContent()).toBe('churn');
    await page.locator('#versions-table').getByRole('link', { name: '1.1.0', exact: true }).click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.locator('h1').textContent()).toBe('churn 1.1.0');
    expect(await page.locator('#artifact-uri a').getAttribute('href')).toBe('s3://models/churn/1.1.0');
    await page.getByRole('link', { name: /compare with/ }).click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.locator('h1').textContent()).toBe('Compare churn');
    expect(await page.locator('#compare-table tr[data-key="auc"] .delta').textContent()).toBe('(+0.04)');
    await page.goBack();
    expect(await page.locator('h1').textContent()).toBe('churn 1.1.0');
    await page.close();
  }, 60_000);

  it('comparing versions picked by checkbox on the model page; the metric columns picker', async () => {
    const { page } = await open('/model?name=churn');
    await page.getByLabel('Compare 1.0.0').check();
    await page.getByLabel('Compare 2.0.0').check();
    await page.getByRole('button', { name: 'Compare selected versions' }).click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.locator('#compare-table thead th').allTextContents()).toEqual(['Field', '1.0.0', '2.0.0']);
    expect(await page.locator('#compare-table tbody[data-section="signature"] tr.differs').count()).toBeGreaterThan(0);
    await page.goto(`${server.url}/model?name=churn&cols=f1`);
    expect(await page.locator('#versions-table thead th').allTextContents()).toContain('f1');
    expect(await page.locator('#versions-table thead th').allTextContents()).not.toContain('auc');
    await page.close();
  }, 60_000);
});

describe('chart', () => {
  it('one point per version recording the metric, by version and by registration time; stage holders marked', async () => {
    const { page } = await open('/model?name=churn');
    const chart = page.locator('#metric-chart');
    expect(await chart.getAttribute('data-metric')).toBe('auc');
    expect(await chart.getAttribute('data-points')).toBe('4');
    expect(await chart.locator('canvas').count()).toBe(1);
    await page.selectOption('#metric-chart-metric', 'f1');
    expect(await chart.getAttribute('data-points')).toBe('3');
    await page.selectOption('#metric-chart-x', 'time');
    expect(await chart.getAttribute('data-points')).toBe('3');
    const data = JSON.parse((await page.locator('#metric-chart-data').textContent())!);
    expect(data.holders.sort()).toEqual(['1.1.0']);
    await page.close();
  }, 60_000);
});

describe('the past', () => {
  it('the stage timeline names the holder of Production at a past date, with commit and person', async () => {
    const { page } = await open('/model?name=churn');
    const rows = await page.locator('table.timeline[data-stage="Production"] tbody tr').evaluateAll((trs) => trs.map((tr) => ({ from: tr.getAttribute('data-from')!, until: tr.getAttribute('data-until')!, holders: tr.querySelector('td')!.textContent, who: tr.children[3].textContent })));
    const holderAt = (iso: string) => rows.find((r) => r.from <= iso && (!r.until || iso < r.until))?.holders;
    expect(holderAt('2024-03-01T10:06:30.000Z')).toBe('1.0.0');
    expect(holderAt('2024-03-01T10:30:00.000Z')).toBe('1.1.0');
    expect(holderAt('2024-03-01T10:04:30.000Z')).toBeUndefined();
    expect(rows[0].who).toContain('Ada Lovelace');
    await page.close();
  }, 60_000);

  it('?at= a date answers as of then: versions, stages and models of that time', async () => {
    const { page } = await open('/model?name=churn&at=2024-03-01T10:06:30Z');
    const stages = await page.locator('#versions-table tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.querySelector('th')!.textContent} ${tr.children[3].textContent}`));
    expect(stages).toEqual(['1.1.0 Staging', '1.0.0 Production']);
    expect(await page.locator('.asof').textContent()).toContain('2024-03-01T10:06:30Z');
    // Links keep the point in time.
    expect(await page.locator('#versions-table a').first().getAttribute('href')).toContain('at=2024-03-01T10%3A06%3A30Z');
    await page.goto(`${server.url}/?at=2024-03-01T10:30:00Z`);
    expect(await page.locator('#models tbody th a').allTextContents()).toEqual(['churn', 'iris']);
    await page.goto(`${server.url}/?at=HEAD~1`);
    expect(await page.locator('#models tbody th a').allTextContents()).toEqual(['churn', 'iris']);
    const r = await fetch(`${server.url}/?at=1999-01-01`);
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('no commit at or before');
    await page.close();
  }, 60_000);
});

describe('filters', () => {
  it('text over names and tags, the CEL filter, and its error shown inline', async () => {
    const { page } = await open('/?q=research');
    expect(await page.locator('#models tbody th a').allTextContents()).toEqual(['iris']);
    await page.goto(`${server.url}/?filter=${encodeURIComponent('version.metrics.auc > 0.87')}`);
    expect(await page.locator('#models tbody th a').allTextContents()).toEqual(['churn']);
    await page.fill('#filter', 'version.metrics.auc >');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForSelector('html[data-ready="1"]');
    expect(await page.locator('#filter-error').textContent()).toMatch(/Invalid filter/);
    expect(await page.locator('#filter').getAttribute('aria-invalid')).toBe('true');
    await page.close();
  }, 60_000);

  it('history filtered by model and type links to the registry at each commit', async () => {
    const { page } = await open('/history?model=churn&type=transition');
    const rows = page.locator('#history tbody tr');
    expect(await rows.count()).toBe(4);
    const link = await rows.first().locator('td').last().locator('a').getAttribute('href');
    expect(link).toMatch(/^\/\?at=[0-9a-f]{40}$/);
    await page.close();
  }, 60_000);
});

describe('a hostile registry', () => {
  it('renders script tags, event handlers and javascript: URIs as inert text on every page that shows them', async () => {
    for (const path of ['/', '/?q=evil', '/model?name=evil', '/version?name=evil&v=1.0.0', '/history?model=evil']) {
      const { page } = await open(path);
      await page.mouse.move(300, 300);
      const found = await page.evaluate(() => {
        const all = [...document.querySelectorAll('*')];
        return {
          handlers: all.filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).map((el) => el.outerHTML.slice(0, 80)),
          scripts: [...document.scripts].filter((s) => !(s.src && new URL(s.src).pathname === '/ui/assets/app.js') && s.type !== 'application/json').map((s) => s.outerHTML.slice(0, 80)),
          injected: [...document.querySelectorAll('img, iframe, svg:not(.policy-graph) [onload], b, i')].map((el) => el.outerHTML.slice(0, 80)),
          jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href')!)).map((a) => a.outerHTML.slice(0, 80)),
        };
      });
      expect(found, path).toEqual({ handlers: [], scripts: [], injected: [], jsLinks: [] });
    }
    const { page } = await open('/version?name=evil&v=1.0.0');
    expect(await page.locator('#artifact-uri').textContent()).toBe("javascript:alert('artifact')");
    expect(await page.locator('#artifact-uri a').count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain("<script>alert('version')</script>");
    await page.close();
    const model = await open('/model?name=evil');
    expect(await model.page.locator('main').textContent()).toContain("<img src=x onerror=alert('img')>");
    await model.page.close();
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
