/** Artifact files: digests for `register --file`, fetching for `download`. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { RegistryError } from '../errors/index.js';

export async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const s = await stat(path).catch(() => undefined);
  if (!s || !s.isFile()) throw new RegistryError('BAD_INPUT', `--file ${path}: no such file. Give the path of the artifact to compute its digest and size.`, { file: path });
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return { digest: `sha256:${hash.digest('hex')}`, size: s.size };
}

/**
 * Fetches a file:// or http(s):// artifact into `destDir`, verifying size and digest when
 * recorded. A mismatch leaves nothing at the destination.
 */
export async function fetchArtifact(uri: string, destDir: string, expect: { digest?: string; size?: number }): Promise<{ path: string; digest: string; size: number }> {
  let source: Readable;
  let name: string;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    const p = fileURLToPath(uri);
    name = basename(p);
    const s = await stat(p).catch(() => undefined);
    if (!s?.isFile()) throw new RegistryError('NOT_FOUND', `The artifact ${uri} does not exist.`, { uri });
    source = createReadStream(p);
  } else if (scheme === 'http' || scheme === 'https') {
    const res = await fetch(uri).catch((e) => {
      throw new RegistryError('IO', `Could not fetch ${uri}: ${(e as Error).message}.`, { uri }, { cause: e });
    });
    if (!res.ok || !res.body) throw new RegistryError(res.status === 404 ? 'NOT_FOUND' : 'IO', `Fetching ${uri} answered HTTP ${res.status}.`, { uri, status: res.status });
    name = basename(new URL(uri).pathname) || 'artifact';
    source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  } else {
    throw new RegistryError('UNSUPPORTED', `modelreg downloads file:// and http(s):// artifacts; ${scheme ?? 'this'}:// is not one of them. Fetch it with your own tool: ${uri}`, { uri, scheme });
  }
  await mkdir(destDir, { recursive: true });
  const dest = join(destDir, name);
  const tmp = join(destDir, `.${name}.${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({ transform(chunk, _e, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); } });
  try {
    await pipeline(source, tap, createWriteStream(tmp));
    const digest = `sha256:${hash.digest('hex')}`;
    if (expect.size !== undefined && expect.size !== size) throw new RegistryError('INTEGRITY', `The artifact ${uri} has ${size} bytes, but the registry records ${expect.size}. It was not saved.`, { uri, size, expected: expect.size });
    if (expect.digest && expect.digest !== digest) throw new RegistryError('INTEGRITY', `The artifact ${uri} has digest ${digest}, but the registry records ${expect.digest}. It was not saved.`, { uri, digest, expected: expect.digest });
    await rename(tmp, dest);
    return { path: dest, digest, size };
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
