/**
 * `--serve-artifacts`: a version's file:// artifact under the routes MLflow's HTTP artifact
 * repository calls (mlflow/store/artifact/http_artifact_repo.py):
 *   GET /api/2.0/mlflow-artifacts/artifacts?path=<model>/<number>   -> {files: [{path, is_dir, file_size}]}
 *   GET /api/2.0/mlflow-artifacts/artifacts/<model>/<number>/<file> -> the bytes
 * No file-system path comes from the request: it names a version, and the only file served
 * is the one the version's record names. Every byte is checked against the recorded sha256
 * digest (and size) before the first is sent; a mismatch is an error, never a file.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryError } from '../errors/index.js';
import { modelKey } from '../domain/names.js';
import type { ServedModel, ServedState, ServedVersion } from '../ops/served.js';

export const ARTIFACTS_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';
/** Larger artifacts are not held in memory to be checked: refused with a message. */
const MAX_BYTES = 512 * 1024 * 1024;

/** `<model>/<number>[/rest]` (a model name may be `namespace/name`) -> the version and the rest. */
export function locate(state: ServedState, path: string): { m: ServedModel; v: ServedVersion; rest: string } {
  const parts = path.split('/').filter((s) => s !== '');
  if (parts.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) throw new RegistryError('BAD_INPUT', `Artifact path ${JSON.stringify(path)} has a . or .. segment; give <model>/<version number>/<file>.`, { path });
  for (const n of [2, 1]) {
    const m = state.byKey.get(modelKey(parts.slice(0, n).join('/')));
    const num = parts[n];
    if (m && num !== undefined && /^\d+$/.test(num)) {
      const v = m.byNumber.get(Number(num));
      if (!v) throw new RegistryError('NOT_FOUND', `Model Version (name=${m.name}, version=${num}) not found.`, {});
      return { m, v, rest: parts.slice(n + 1).join('/') };
    }
  }
  throw new RegistryError('NOT_FOUND', `No model version at artifact path ${JSON.stringify(path)}; paths are <model>/<version number>/<file>.`, { path });
}

/** The local file of a version's artifact, or why it is not served. */
function localFile(m: ServedModel, v: ServedVersion): string {
  const a = v.record.artifact;
  if (!/^file:/i.test(a.uri)) throw new RegistryError('NOT_FOUND', `${m.name} version ${v.number} has artifact ${a.uri}, which is not a file:// artifact; fetch it from there.`, {});
  if (!a.digest) throw new RegistryError('NOT_FOUND', `${m.name} version ${v.number} has no recorded digest, so its artifact is not served (every byte served is checked). Register versions with --file to record one.`, {});
  try { return fileURLToPath(a.uri); } catch { throw new RegistryError('NOT_FOUND', `${m.name} version ${v.number}: ${a.uri} is not a local file URI.`, {}); }
}

/** The listing MLflow's client asks for: the artifact file under its version's folder. */
export function listing(m: ServedModel, v: ServedVersion, rest: string) {
  const name = basename(localFile(m, v));
  if (rest === '') return { files: [{ path: name, is_dir: false, ...(v.record.artifact.size !== undefined ? { file_size: v.record.artifact.size } : {}) }] };
  return {};
}

/** The artifact's bytes, read whole and checked against the recorded digest and size. */
export async function verifiedBytes(m: ServedModel, v: ServedVersion, rest: string): Promise<{ name: string; bytes: Buffer }> {
  const file = localFile(m, v);
  const name = basename(file);
  if (rest !== name) throw new RegistryError('NOT_FOUND', `${m.name} version ${v.number} has one artifact file, ${name}; ${JSON.stringify(rest)} is not it.`, {});
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => { throw new RegistryError('NOT_FOUND', `The artifact of ${m.name} version ${v.number} (${v.record.artifact.uri}) cannot be read: ${e.code ?? e.message}.`, {}); });
  try {
    const { size } = await fh.stat();
    if (size > MAX_BYTES) throw new RegistryError('UNSUPPORTED', `The artifact of ${m.name} version ${v.number} is ${size} bytes; the server checks artifacts up to ${MAX_BYTES} bytes in memory. Fetch it with \`modelreg download\`.`, {});
    const bytes = await fh.readFile();
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const want = v.record.artifact;
    if (digest !== want.digest || (want.size !== undefined && want.size !== bytes.length)) {
      throw new RegistryError('INTEGRITY', `The artifact of ${m.name} version ${v.number} (${want.uri}) has digest ${digest} and ${bytes.length} bytes, but the registry records ${want.digest}${want.size !== undefined ? ` and ${want.size} bytes` : ''}. It is not served; restore the file or register a new version.`, {});
    }
    return { name, bytes };
  } finally {
    await fh.close();
  }
}
