/**
 * One source per shape: src/domain/schema-types.ts is generated from schemas/*.schema.json.
 * Editing a schema without `npm run gen:types` fails here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/repo.js';

describe('schema types', () => {
  it('src/domain/schema-types.ts is exactly what scripts/gen-types.mjs generates', async () => {
    const script = pathToFileURL(join(ROOT, 'scripts/gen-types.mjs')).href;
    const { generateTypes } = (await import(script)) as { generateTypes: () => Promise<string> };
    const generated = await generateTypes();
    const committed = await readFile(join(ROOT, 'src/domain/schema-types.ts'), 'utf8');
    expect(generated.length).toBeGreaterThan(0);
    // A plain equality first, so a failure says "run npm run gen:types" rather than a 300-line diff only.
    if (generated !== committed) {
      expect.fail(`src/domain/schema-types.ts differs from what scripts/gen-types.mjs generates from schemas/. Run \`npm run gen:types\`.\n${firstDifference(committed, generated)}`);
    }
  }, 30_000);
});

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `first difference at line ${i + 1}:\n  committed: ${JSON.stringify(al[i])}\n  generated: ${JSON.stringify(bl[i])}`;
  }
  return '';
}
