/** `download`: resolve a model URI and fetch its artifact, verifying size and digest. */
import { resolve as resolvePath } from 'node:path';
import { fetchArtifact } from '../storage/artifacts.js';
import type { Context } from './context.js';
import { resolve, type ReadInput } from './read.js';

export async function download(ctx: Context, input: ReadInput & { uri: string; dest?: string }): Promise<{ model: string; version: string; uri: string; path: string; digest: string; size: number; verified: boolean }> {
  const r = await resolve(ctx, input);
  const got = await fetchArtifact(r.artifact.uri, resolvePath(input.dest ?? '.'), { digest: r.artifact.digest, size: r.artifact.size });
  return { model: r.model, version: r.version, uri: r.artifact.uri, path: got.path, digest: got.digest, size: got.size, verified: r.artifact.digest !== undefined };
}
