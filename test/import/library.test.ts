/** The library's import functions: the same use cases as the CLI, errors by code. */
import { describe, expect, it } from 'vitest';
import { openRegistry, isRegistryError } from '../../src/index.js';
import { ADA, commitCount, headCommit } from '../helpers/repo.js';
import { devRegistry, prodRegistry } from './fixtures.js';

const options = (dir: string) => ({ dir, identity: { name: ADA.name, email: ADA.email }, now: () => new Date('2026-03-01T00:00:00Z'), env: { PATH: process.env.PATH } });

describe('openRegistry(…).importVersion', () => {
  it('imports with origin, then answers imported: false, and a clash is CONFLICT', async () => {
    const { dir: dev } = await devRegistry();
    const prod = await prodRegistry();
    const reg = await openRegistry(options(prod));
    const r = await reg.importVersion({ from: dev, model: 'churn', version: '1.2.0' });
    expect(r).toMatchObject({ imported: true, model: 'churn', version: '1.2.0', stage: 'None', origin: { registry: dev, commit: headCommit(dev), stage: 'Staging' } });
    expect(r.commit).toBe(headCommit(prod));
    const again = await reg.importVersion({ from: dev, model: 'churn', version: '1.2.0' });
    expect(again.imported).toBe(false);
    const n = commitCount(prod);
    const other = await prodRegistry();
    const reg2 = await openRegistry(options(other));
    await reg2.register({ model: 'churn', artifact: 's3://x', version: '1.2.0' });
    const err = await reg2.importVersion({ from: dev, model: 'churn', version: '1.2.0' }).catch((e) => e);
    expect(isRegistryError(err, 'CONFLICT')).toBe(true);
    const missing = await reg.importVersion({ from: dev, model: 'churn', version: '3.0.0' }).catch((e) => e);
    expect(isRegistryError(missing, 'NOT_FOUND')).toBe(true);
    const bad = await reg.importVersion({ from: dev, model: 'churn', version: 'one' }).catch((e) => e);
    expect(isRegistryError(bad) && bad.code).toBe('INVALID_VERSION');
    expect(commitCount(prod)).toBe(n);
  });
});
