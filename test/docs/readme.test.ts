/**
 * The README's examples run: the library example (imported as `modelreg`, as a user would) and
 * the Quick start's demo.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/repo.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const scratch = mkdtempSync(join(ROOT, 'test', '.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function block(afterHeading: string, lang: string): string {
  const section = readme.slice(readme.indexOf(afterHeading));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!m) throw new Error(`no ${lang} block after ${afterHeading}`);
  return m[1];
}

describe('README', () => {
  it('the library example runs and prints the version, commit and artifact', () => {
    // Inside the package folder, `import … from 'modelreg'` resolves to this package (self-reference).
    const file = join(scratch, 'library-example.mjs');
    writeFileSync(file, block('## Library', 'js'));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: scratch } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^1\.0\.0 [0-9a-f]{7} s3:\/\/models\/churn\/7\n$/);
  });

  it('the Quick start has exactly two commands, and the demo runs', () => {
    const quick = block('## Quick start', 'sh').trim().split('\n');
    expect(quick.map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.demo).toBe('node scripts/demo.mjs');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { encoding: 'utf8', env: { PATH: process.env.PATH } , timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('$ modelreg resolve');
    expect(r.stdout).toMatch(/git -C \S+ log/);
  }, 150_000);
});
