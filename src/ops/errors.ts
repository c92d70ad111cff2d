import { RegistryError } from '../errors/index.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { ModelState } from '../domain/state.js';
import { parseModelName } from '../domain/names.js';
import { parseVersion, sortVersionsDesc } from '../domain/versions.js';

/**
 * The model, or NOT_FOUND naming what exists. `onDemand`: its versions are read when asked for
 * (what a write needs: the files it changes, not every version of the model).
 */
export async function requireModel(snap: Snapshot, name: string, onDemand = false): Promise<ModelState> {
  parseModelName(name);
  const m = onDemand ? await snap.modelOnDemand(name) : await snap.model(name);
  if (!m) throw new RegistryError('NOT_FOUND', `No model named '${name}' in the registry. Run \`modelreg list\` to see the registered models.`, { model: name });
  return m;
}

/**
 * Before a model read on demand says a version does not exist, every version file is read: a
 * file that holds another version than its name says is refused (INVALID_FILE, naming it), as
 * a whole read of the model refuses it. Only the error path pays for this.
 */
export function assertFilesMatchNames(m: ModelState): void {
  for (const _ of m.versions.values()) { /* each read throws INVALID_FILE on a mismatch */ }
}

export function requireVersion(m: ModelState, version: string) {
  parseVersion(version);
  const v = m.versions.get(version);
  if (!v) {
    assertFilesMatchNames(m);
    const known = sortVersionsDesc(m.versions.keys()).slice(0, 10);
    throw new RegistryError('NOT_FOUND', `${m.name} has no version ${version}.${known.length ? ` Its versions: ${known.join(', ')}.` : ''}`, { model: m.name, version });
  }
  return v;
}
