/**
 * The serve documentation matches the server: every route is in docs/serve.md's table, every
 * flag of `modelreg serve` is in its flag table, and the README's two lines of Python resolve
 * against a server as MLflow's client would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/server/routes.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from '../helpers/repo.js';
import { get, seeded, serve } from './helpers.js';

const doc = readFileSync(join(ROOT, 'docs', 'serve.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('docs/serve.md', () => {
  it('lists every route with its method', () => {
    const rows = doc.split('\n').filter((l) => l.startsWith('| `registered-models/') || l.startsWith('| `model-versions/'));
    for (const r of ROUTES) {
      const [group, name] = r.path.split('/');
      // A row names a route in full, or (`a/set-tag`, `delete-tag`) by its last part after the first.
      const mine = rows.filter((l) => l.includes(`\`${r.path}\``) || (l.includes(`\`${group}/`) && l.split('|')[1].includes(`\`${name}\``)));
      expect(mine.some((l) => l.split('|')[2].includes(r.method)), `${r.method} ${r.path}`).toBe(true);
    }
  });

  it('documents every flag of modelreg serve', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'serve')!;
    for (const o of cmd.options) expect(doc, o.long!).toContain(`| \`${o.long}`);
  });
});

describe('README: Use it from MLflow', () => {
  it('sets the registry URI and loads models:/churn@champion, which the server resolves', async () => {
    const section = readme.slice(readme.indexOf('## Use it from MLflow'));
    const py = /```python\n([\s\S]*?)```/.exec(section)![1].trim().split('\n');
    expect(py).toHaveLength(2);
    expect(py[0]).toMatch(/^mlflow\.set_registry_uri\("http:\/\/127\.0\.0\.1:5000"\)$/);
    const uri = /load_model\("(models:\/[^"]+)"\)/.exec(py[1])![1];
    const [, name, alias] = /^models:\/(.+)@(.+)$/.exec(uri)!;
    const { dir } = await seeded();
    const s = await serve(dir);
    const mv = (await get(s, 'registered-models/alias', { name, alias })).body.model_version;
    expect((await get(s, 'model-versions/get-download-uri', { name, version: mv.version })).body.artifact_uri).toBe('s3://models/churn/1.1.0');
  });
});
