/**
 * `--signature FILE` (cli/signature.ts): a JSON file and the same signature written as YAML read
 * alike; MLflow's inputs/outputs as JSON strings are decoded; a file that is neither is
 * BAD_INPUT naming it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSignature } from '../../src/cli/signature.js';
import { cleanup, tempDir } from '../helpers/repo.js';

afterAll(cleanup);

const SIGNATURE = { inputs: [{ name: 'age', type: 'long' }, { name: 'country', type: 'string' }], outputs: [{ name: 'p', type: 'double' }] };

describe('--signature FILE', () => {
  it('reads JSON, YAML and MLflow JSON strings to the same signature, and names a file it cannot read', async () => {
    const dir = await tempDir('mrsig-');
    const file = async (name: string, text: string) => { const p = join(dir, name); await writeFile(p, text); return p; };
    const json = await readSignature(await file('s.json', JSON.stringify(SIGNATURE)));
    const yaml = await readSignature(await file('s.yaml', 'inputs:\n  - name: age\n    type: long\n  - name: country\n    type: string\noutputs:\n  - name: p\n    type: double\n'));
    const mlflow = await readSignature(await file('MLmodel.json', JSON.stringify({ inputs: JSON.stringify(SIGNATURE.inputs), outputs: JSON.stringify(SIGNATURE.outputs) })));
    expect(json).toEqual(SIGNATURE);
    expect(yaml).toEqual(SIGNATURE);
    expect(mlflow).toEqual(SIGNATURE);
    const bad = await file('bad.json', '{"inputs": [');
    await expect(readSignature(bad)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining(`--signature ${bad}:`) });
    await expect(readSignature(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('no such file') });
  });
});
