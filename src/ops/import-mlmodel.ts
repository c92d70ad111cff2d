/**
 * `import mlmodel`: register a model saved by MLflow. The MLmodel file gives framework,
 * signature, lineage and tags; the digest covers every file of the model folder:
 *
 *   sha256 of the lines `<sha256 hex of the file>  <path relative to the folder>\n`, one per
 *   regular file (MLmodel included), sorted by path (byte order, `/` separators).
 *
 * This is exactly `cd DIR && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum`.
 * Size is the sum of the files' sizes. A symbolic link is refused (its target could change).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors/index.js';
import { parseMLmodel } from '../domain/mlmodel.js';
import type { Context } from './context.js';
import { register, type RegisterInput, type RegisterResult } from './register.js';

export interface ImportMLmodelInput extends Omit<RegisterInput, 'file' | 'digest' | 'size'> {
  /** The model folder, or its MLmodel file. */
  path: string;
}

async function filesUnder(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink()) throw new RegistryError('BAD_INPUT', `${join(root, p)} is a symbolic link; the model folder's digest covers files only. Copy the file in place of the link.`, { file: join(root, p) });
    if (e.isDirectory()) out.push(...(await filesUnder(root, p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * The digest of a model folder (see the scheme above) and its size in bytes.
 * @example await folderDigest('mlruns/0/abc/artifacts/model') // { digest: 'sha256:…', size: 1234, files: 5 }
 */
export async function folderDigest(dir: string): Promise<{ digest: string; size: number; files: number }> {
  const files = (await filesUnder(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const outer = createHash('sha256');
  let size = 0;
  for (const f of files) {
    const h = createHash('sha256');
    await pipeline(createReadStream(join(dir, f)), h);
    size += (await lstat(join(dir, f))).size;
    outer.update(`${h.digest('hex')}  ${f}\n`);
  }
  return { digest: `sha256:${outer.digest('hex')}`, size, files: files.length };
}

/**
 * Registers the model an MLmodel file describes; flags given by the caller win over the file.
 * @example await importMLmodel(ctx, { path: 'mlruns/0/abc/artifacts/model', model: 'iris', artifact: 's3://models/iris/3' })
 */
export async function importMLmodel(ctx: Context, input: ImportMLmodelInput): Promise<RegisterResult & { digest: string; files: number }> {
  const s = await lstat(input.path).catch(() => undefined);
  if (!s) throw new RegistryError('BAD_INPUT', `${input.path} does not exist. Give the model folder MLflow saved (the one holding MLmodel) or its MLmodel file.`, { path: input.path });
  const dir = s.isDirectory() ? input.path : dirname(input.path);
  const file = s.isDirectory() ? join(dir, 'MLmodel') : input.path;
  if (!s.isDirectory() && basename(file) !== 'MLmodel') throw new RegistryError('BAD_INPUT', `${input.path} is not an MLmodel file. Give the model folder or its MLmodel file.`, { path: input.path });
  const text = await readFile(file, 'utf8').catch(() => {
    throw new RegistryError('BAD_INPUT', `${dir} has no MLmodel file. Give the folder MLflow saved the model to (mlflow.<flavor>.save_model).`, { path: input.path });
  });
  const facts = parseMLmodel(text, file);
  const { digest, size, files } = await folderDigest(dir);
  const r = await register(ctx, {
    ...input,
    digest, size,
    format: input.format ?? 'mlflow',
    framework: input.framework ?? facts.framework,
    signature: input.signature ?? facts.signature,
    runId: input.runId ?? facts.runId,
    runUri: input.runUri ?? facts.runUri,
    tags: { ...facts.tags, ...input.tags },
  });
  return { ...r, digest, files };
}
