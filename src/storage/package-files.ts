/** Files shipped with the modelreg package (schemas), read when `init` scaffolds a registry. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function readPackageFile(rel: string): Promise<string> {
  return readFile(`${ROOT}${rel}`, 'utf8');
}
