/**
 * What a registration and `check --base` ask of all of a model's version names, by the id of its
 * versions/ tree, under `.git/modelreg/cache/folders-v1/<tree>.json`: how many versions, the
 * highest and the highest release (no pre-release). Deriving them lists and compares every name
 * (10,000 in a big model: 15-25 ms of interpreted code in a short process); a summary is one
 * small file.
 *
 * A tree id names the folder's exact content, so an entry is never stale. An entry is checked
 * before use (its format, its tree, and that the versions it names are in that tree); a
 * corrupt or foreign one is ignored and rewritten. A registration stores the summary of the
 * folder it commits (the one before, plus its version). Files are written to a temporary name
 * and renamed; the folder is safe to delete, and `modelreg doctor` prunes it.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, highestReleaseBelow, highestVersion } from '../domain/versions.js';
import { commonDir } from './worktree.js';
import { writeCacheFile } from './cache-file.js';

const FORMAT = 'modelreg-folder-summary';
export const FOLDER_SUMMARY_DIR = 'folders-v1';

export interface FolderSummary {
  /** Version files (`*.yaml` entries) of the folder. */
  count: number;
  highest?: string;
  highestRelease?: string;
}

function dir(gitdir: string): string {
  return join(commonDir(gitdir), 'modelreg', 'cache', FOLDER_SUMMARY_DIR);
}

/** The summary of a list of version names. */
export function summarize(names: readonly string[]): FolderSummary {
  const highest = highestVersion(names);
  const highestRelease = highest && !highest.includes('-') ? highest : highestReleaseBelow(names, highest ?? '0.0.0');
  return { count: names.length, ...(highest ? { highest } : {}), ...(highestRelease ? { highestRelease } : {}) };
}

/** The summary after `version` is added to a folder summarised by `s` (what a registration commits). */
export function withVersion(s: FolderSummary, version: string): FolderSummary {
  const up = (cur: string | undefined) => (!cur || compareVersions(version, cur) > 0 ? version : cur);
  return {
    count: s.count + 1,
    highest: up(s.highest),
    ...(version.includes('-') ? (s.highestRelease ? { highestRelease: s.highestRelease } : {}) : { highestRelease: up(s.highestRelease) }),
  };
}

/** The stored summary of versions tree `tree`, when it checks out: `has(version)` says whether the tree holds a version. */
export function readSummary(gitdir: string, tree: string, has: (version: string) => boolean): FolderSummary | undefined {
  if (!/^[0-9a-f]{40}$/.test(tree)) return undefined;
  try {
    const d = JSON.parse(readFileSync(join(dir(gitdir), `${tree}.json`), 'utf8')) as { format?: string; tree?: string } & Partial<FolderSummary>;
    if (d.format !== FORMAT || d.tree !== tree || !Number.isSafeInteger(d.count) || d.count! < 0) return undefined;
    for (const v of [d.highest, d.highestRelease]) if (v !== undefined && (typeof v !== 'string' || !has(v))) return undefined;
    if ((d.count === 0) !== (d.highest === undefined) || (d.highestRelease !== undefined && d.highest === undefined)) return undefined;
    return { count: d.count!, ...(d.highest ? { highest: d.highest } : {}), ...(d.highestRelease ? { highestRelease: d.highestRelease } : {}) };
  } catch {
    return undefined;
  }
}

export function writeSummary(gitdir: string, tree: string, s: FolderSummary): void {
  if (!/^[0-9a-f]{40}$/.test(tree)) return;
  const file = join(dir(gitdir), `${tree}.json`);
  writeCacheFile(file, JSON.stringify({ format: FORMAT, tree, ...s }));
}

/** Removes the summaries of trees not in `keep` (and temporary files); returns how many. */
export function pruneSummaries(gitdir: string, keep: Set<string>): number {
  let removed = 0;
  let names: string[] = [];
  try { names = readdirSync(dir(gitdir)); } catch { return 0; }
  for (const n of names) {
    const tree = /^([0-9a-f]{40})\.json$/.exec(n)?.[1];
    if (tree && keep.has(tree)) continue;
    try { unlinkSync(join(dir(gitdir), n)); removed++; } catch { /* gone */ }
  }
  return removed;
}
