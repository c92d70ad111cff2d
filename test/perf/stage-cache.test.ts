/**
 * The per-folder stage cache (.git/modelreg/cache/stages-v1) never changes an answer: resolving
 * by stage after writes, hand edits, with the cache deleted or corrupt, gives what a fresh read
 * of the files gives, and a promotion archives exactly the previous holder.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { ADA, BOB, CONFIG_YAML, ROOT, cleanup, commitFiles, fixedClock, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';
import { readFileSync } from 'node:fs';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const CACHE = (dir: string) => join(dir, '.git', 'modelreg', 'cache', 'stages-v1');

describe('stage cache', () => {
  it('resolve by stage and promotions agree with the files through writes, hand edits and a damaged cache', async () => {
    const files: Record<string, string> = { 'modelreg.yaml': CONFIG_YAML, 'policies/default.yaml': POLICY, 'registry/m/model.yaml': modelYaml('m', `  - ${BOB.email}\n`) };
    for (let i = 0; i < 30; i++) files[`registry/m/versions/1.${i}.0.yaml`] = versionYaml('m', `1.${i}.0`, i === 3 ? 'Production' : i % 7 === 0 ? 'Staging' : 'None');
    const dir = await makeRepo(files);
    const reg = await openRegistry({ dir, identity: ADA, now: fixedClock('2026-02-01T00:00:00Z').now });
    const at = async (stage: string) => (await reg.resolve({ uri: `models:/m/${stage}` })).version;
    expect([await at('Production'), await at('staging')]).toEqual(['1.3.0', '1.28.0']);
    await reg.transition({ model: 'm', version: '1.29.0', stage: 'Staging' });
    expect(await at('Staging')).toBe('1.29.0');
    // A move into Production needs an approval by another owner: written by hand, as a reviewer would.
    await commitFiles(dir, { 'registry/m/versions/1.29.0.yaml': versionYaml('m', '1.29.0', 'Staging', `approvals:\n  - by: ${BOB.email}\n    stage: Production\n    at: 2026-01-31T00:00:00Z\n`) }, 'approve', { who: BOB });
    const r = await reg.transition({ model: 'm', version: '1.29.0', stage: 'Production' });
    expect(r.archived).toEqual(['1.3.0']);
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.28.0']);
    await commitFiles(dir, { 'registry/m/versions/1.28.0.yaml': versionYaml('m', '1.28.0', 'Archived'), 'registry/m/versions/1.30.0.yaml': versionYaml('m', '1.30.0', 'Staging') }, 'by hand');
    expect(await at('Staging')).toBe('1.30.0');
    expect(readdirSync(CACHE(dir)).length).toBeGreaterThan(2);
    for (const f of readdirSync(CACHE(dir))) writeFileSync(join(CACHE(dir), f), '{"format":"modelreg-stages","version":1,"tree":"x","stages":{}}');
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.30.0']);
    rmSync(CACHE(dir), { recursive: true });
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.30.0']);
    await expect(reg.resolve({ uri: 'models:/m/Nowhere' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
