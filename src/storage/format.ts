/**
 * The repository format gate: what the hand-written object layer (odb.ts, objects.ts, refs.ts,
 * index-file.ts) can read, decided once when a registry is opened, before anything is read or
 * written. Git's own rules (setup.c, `check_repository_format`): a `core.repositoryformatversion`
 * above 1 is refused; in version 1 every `extensions.*` key must be known; in version 0 only the
 * extensions Git honours there (`partialclone`, `preciousobjects`, `worktreeconfig`, `noop`)
 * count. Of the known ones, modelreg reads SHA-1 objects and files-backend refs only, and
 * refuses partial clones (objects it needs may be absent, fetched on demand by Git alone).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { parseGitConfig } from './git-config.js';
import { commonDir } from './worktree.js';

/** Extensions that change nothing modelreg reads or writes. */
const HARMLESS = new Set(['noop', 'noop-v1', 'preciousobjects', 'worktreeconfig']);
/** Extensions Git honours in a version-0 repository (others are ignored there, as Git does). */
const HONOURED_IN_V0 = new Set(['noop', 'partialclone', 'preciousobjects', 'worktreeconfig']);

export interface RepositoryFormat {
  version: number;
  /** `extensions.*` keys (lower case, without the prefix) and their values. */
  extensions: Map<string, string>;
}

export function readRepositoryFormat(gitdir: string): { format: RepositoryFormat; config: Map<string, string>; file: string } {
  const file = join(commonDir(gitdir), 'config');
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { /* no config: version 0, as Git reads it */ }
  const config = parseGitConfig(text);
  const extensions = new Map<string, string>();
  for (const [k, v] of config) if (k.startsWith('extensions.')) extensions.set(k.slice('extensions.'.length), v);
  const raw = config.get('core.repositoryformatversion') ?? '0';
  const version = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return { format: { version, extensions }, config, file };
}

function refuse(message: string, data: Record<string, unknown>): never {
  throw new RegistryError('UNSUPPORTED_REPOSITORY', message, data);
}

/**
 * Throws UNSUPPORTED_REPOSITORY (exit 2) when modelreg cannot read the repository at `gitdir`
 * correctly; the message says what was found and what to do.
 *
 * @example
 * checkRepositoryFormat('/repo/.git'); // returns for an ordinary SHA-1 repository
 */
export function checkRepositoryFormat(gitdir: string): void {
  const { format, config, file } = readRepositoryFormat(gitdir);
  const { version, extensions } = format;
  if (Number.isNaN(version) || version > 1) {
    refuse(`${file}: core.repositoryformatversion is ${config.get('core.repositoryformatversion')}; Git and modelreg read versions 0 and 1 only. The repository was made by a newer or a different tool: use that tool, or clone it with a Git that can read it.`, { file, field: 'core.repositoryformatversion', version: config.get('core.repositoryformatversion') });
  }
  const active = [...extensions].filter(([k]) => version >= 1 || HONOURED_IN_V0.has(k));
  for (const [key, value] of active) {
    if (HARMLESS.has(key)) continue;
    if (key === 'objectformat') {
      if (value.toLowerCase() === 'sha1') continue;
      refuse(`${file}: extensions.objectFormat is ${value}; modelreg reads SHA-1 repositories only. Keep the registry in a SHA-1 repository (git init without --object-format, or git clone of a SHA-1 remote).`, { file, field: 'extensions.objectformat', value });
    }
    if (key === 'refstorage') {
      if (value.toLowerCase() === 'files') continue;
      refuse(`${file}: extensions.refStorage is ${value}; modelreg reads and writes refs as files (refs/ and packed-refs) only. Convert the repository with \`git refs migrate --ref-format=files\` (Git 2.46 or later), or clone it without --ref-format.`, { file, field: 'extensions.refstorage', value });
    }
    if (key === 'partialclone') {
      refusePartial(file, `extensions.partialClone is ${value}`);
    }
    if (key === 'compatobjectformat') {
      refuse(`${file}: extensions.compatObjectFormat is ${value}; modelreg writes objects without the second object-id map that setting keeps. Remove the setting (git config --unset extensions.compatObjectFormat) or use Git to write this repository.`, { file, field: 'extensions.compatobjectformat', value });
    }
    refuse(`${file}: the repository uses extensions.${key} (= ${value}), which modelreg does not know, so it cannot read the repository safely. Git refuses unknown extensions the same way; use a tool that knows it, or remove it if it is not needed.`, { file, field: `extensions.${key}`, value });
  }
  for (const [k, v] of config) {
    if (/^remote\..+\.promisor$/.test(k) && /^(true|yes|on|1)$/i.test(v)) refusePartial(file, `${k} is ${v}`);
  }
  const packs = join(commonDir(gitdir), 'objects', 'pack');
  let names: string[] = [];
  try { names = readdirSync(packs); } catch { /* no packs */ }
  const promisor = names.find((n) => n.endsWith('.promisor'));
  if (promisor) refusePartial(join(packs, promisor), 'a promisor pack');
}

function refusePartial(file: string, what: string): never {
  refuse(`${file}: ${what}, so this is a partial clone: objects modelreg reads may be missing, and only Git can fetch them on demand. Clone the repository again without --filter (git clone URL), and run modelreg there.`, { file, partialClone: true });
}
