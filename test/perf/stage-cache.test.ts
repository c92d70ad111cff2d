/**
 * The per-folder stage cache (.git/modelreg/cache/stages-v2) never changes an answer: resolving
 * by stage after writes, hand edits, with the cache deleted or corrupt, gives what a fresh read
 * of the files gives, and a promotion archives exactly the previous holder.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../src/index.js';
import { StageTable } from '../../src/storage/stage-cache.js';
import { ADA, BOB, CONFIG_YAML, ROOT, cleanup, commitFiles, fixedClock, makeRepo, modelYaml, versionYaml } from '../helpers/repo.js';
import { readFileSync } from 'node:fs';

afterAll(cleanup);

const POLICY = readFileSync(join(ROOT, 'policies', 'default.yaml'), 'utf8');
const CACHE = (dir: string) => join(dir, '.git', 'modelreg', 'cache', 'stages-v2');

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
    // Files that say another folder's stages, or whose lines were changed under their header.
    const files1 = readdirSync(CACHE(dir));
    for (const f of files1) writeFileSync(join(CACHE(dir), f), '{"format":"modelreg-stages","version":2,"tree":"x","sha1":"x"}\n["Production","1.0.0"]\n');
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.30.0']);
    for (const f of readdirSync(CACHE(dir))) {
      const text = readFileSync(join(CACHE(dir), f), 'utf8');
      writeFileSync(join(CACHE(dir), f), text.replace('"1.29.0"', '"1.2.0"').replace('"1.30.0"', '"1.3.0"'));
    }
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.30.0']);
    rmSync(CACHE(dir), { recursive: true });
    expect([await at('Production'), await at('Staging')]).toEqual(['1.29.0', '1.30.0']);
    await expect(reg.resolve({ uri: 'models:/m/Nowhere' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("keeps each stage's versions as one line, decoded when that stage is asked for", () => {
    const record: Record<string, string> = {};
    for (let i = 0; i < 500; i++) record[`1.${i}.0`] = i === 7 ? 'Production' : i % 50 === 0 ? 'Staging' : 'None';
    const table = StageTable.fromRecord(record);
    const again = StageTable.fromLines(table.toLines())!;
    expect(again.versionsIn('production', true)).toEqual(['1.7.0']);
    expect(again.versionsIn('production')).toEqual([]);
    expect(again.versionsIn('Staging').sort()).toEqual(['1.0.0', '1.100.0', '1.150.0', '1.200.0', '1.250.0', '1.300.0', '1.350.0', '1.400.0', '1.450.0', '1.50.0']);
    expect(again.toRecord()).toEqual(record);
    expect(again.stageNames().sort()).toEqual(['None', 'Production', 'Staging']);
    // A line that is not a stage's group, or a stage twice: not a table.
    expect(StageTable.fromLines(['{"None":[]}'])).toBeUndefined();
    expect(StageTable.fromLines(['["None","1.0.0"]', '["None","1.1.0"]'])).toBeUndefined();
  });
});
