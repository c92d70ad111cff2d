import { readFile } from 'node:fs/promises';
import { RegistryError } from '../errors/index.js';

/** Reads `--signature FILE` (JSON or YAML, MLflow's {inputs, outputs} shape). */
export async function readSignature(path: string): Promise<{ inputs?: never[]; outputs?: never[] }> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new RegistryError('BAD_INPUT', `--signature ${path}: no such file.`, { file: path });
  });
  let value: unknown;
  // A JSON file (what MLflow writes) is read as JSON: loading the YAML parser for it took about
  // 5 ms of a `register`. Anything JSON.parse refuses is read as YAML, as before.
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = (await import('yaml')).default.parse(text, { maxAliasCount: 50 });
    } catch (e) {
      throw new RegistryError('BAD_INPUT', `--signature ${path}: ${(e as Error).message.split('\n')[0]}`, { file: path });
    }
  }
  if (typeof value === 'string') {
    try { value = JSON.parse(value); } catch { /* MLflow stores inputs/outputs as JSON strings; handled below */ }
  }
  const v = value as Record<string, unknown>;
  for (const k of ['inputs', 'outputs']) if (typeof v?.[k] === 'string') v[k] = JSON.parse(v[k] as string);
  if (!v || typeof v !== 'object') throw new RegistryError('BAD_INPUT', `--signature ${path}: expected a mapping with inputs and outputs.`, { file: path });
  return v as { inputs?: never[]; outputs?: never[] };
}
