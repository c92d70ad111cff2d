/**
 * One source per shape: every module scripts/gen-types.mjs generates (the types and the grammar
 * patterns from schemas/*.schema.json, the built-in default policy from policies/default.yaml)
 * is exactly what it generates now. Editing a source without `npm run gen:types` fails here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/repo.js';
import { DEFAULT_POLICY } from '../../src/ops/policies.js';
import { MODEL_NAME, SEMVER } from '../../src/domain/schema-patterns.js';

type Generators = Record<string, () => Promise<string>>;
const script = pathToFileURL(join(ROOT, 'scripts/gen-types.mjs')).href;
const load = async () => (await import(script)) as { GENERATED: Generators; generatePatterns: () => Promise<string> };

describe('generated sources', () => {
  it('lists the three generated modules', async () => {
    expect(Object.keys((await load()).GENERATED).sort()).toEqual(['src/domain/schema-patterns.ts', 'src/domain/schema-types.ts', 'src/ops/default-policy.ts']);
  });

  for (const file of ['src/domain/schema-types.ts', 'src/domain/schema-patterns.ts', 'src/ops/default-policy.ts']) {
    it(`${file} is exactly what scripts/gen-types.mjs generates`, async () => {
      const generated = await (await load()).GENERATED[file]();
      const committed = await readFile(join(ROOT, file), 'utf8');
      expect(generated.length).toBeGreaterThan(0);
      // A plain equality first, so a failure says "run npm run gen:types" rather than a 300-line diff only.
      if (generated !== committed) {
        expect.fail(`${file} differs from what scripts/gen-types.mjs generates. Run \`npm run gen:types\`.\n${firstDifference(committed, generated)}`);
      }
    }, 30_000);
  }

  it('the built-in default policy is policies/default.yaml, with the schema path of a registry init makes', async () => {
    const file = await readFile(join(ROOT, 'policies/default.yaml'), 'utf8');
    expect(DEFAULT_POLICY).toBe(file.replace('$schema=../schemas/', '$schema=../.modelreg/schemas/'));
    expect(DEFAULT_POLICY).not.toBe(file);
  });

  it('the grammar patterns are every schema copy of them', async () => {
    const schemas: unknown[] = [];
    for (const s of ['version', 'model', 'policy', 'config']) schemas.push(JSON.parse(await readFile(join(ROOT, `schemas/${s}.schema.json`), 'utf8')));
    const all = JSON.stringify(schemas);
    // Two copies of ModelName (model name, version's model), four of SemVer.
    expect(all.split(JSON.stringify(MODEL_NAME.source.replace(/\\\//g, '/'))).length - 1).toBe(2);
    expect(all.split(JSON.stringify(SEMVER.source)).length - 1).toBeGreaterThanOrEqual(3);
  });
});

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `first difference at line ${i + 1}:\n  committed: ${JSON.stringify(al[i])}\n  generated: ${JSON.stringify(bl[i])}`;
  }
  return '';
}
