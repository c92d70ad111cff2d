/**
 * `check`: validates the registry. Without a ref it reads the checked-out files (what CI has);
 * with `ref` it reads a commit. With `base`, it also compares base and head and evaluates every
 * change against the policy as it is at base (see check-base.ts).
 */
import { CONFIG_FILE } from '../domain/state.js';
import type { Issue } from '../domain/issues.js';
import type { RegistryEvent } from '../domain/events.js';
import { readTreeFiles, readWorktreeFiles } from '../storage/files.js';
import { checkFiles, checkConfig } from './check-rules.js';
import type { Context } from './context.js';

export interface CheckInput {
  /** Read the registry at this ref instead of the working tree. */
  ref?: string;
  /** Compare with this base ref and evaluate the changes against its policy. */
  base?: string;
  /** The head to compare (default: the working tree's HEAD commit). */
  head?: string;
  /** Count approving pull-request reviews through a forge adapter. */
  forge?: 'github';
}

export interface CheckResult {
  ok: boolean;
  files: number;
  models: number;
  versions: number;
  problems: Issue[];
  events: Array<RegistryEvent & { description: string }>;
  base?: string;
  head?: string;
  /** Per-change policy checklists (with base). */
  decisions?: Array<{ event: string; model: string; version?: string; allowed: boolean; checks: Array<{ name: string; ok: boolean; expected: string; actual: string }>; message: string }>;
}

export async function check(ctx: Context, input: CheckInput = {}): Promise<CheckResult> {
  const readAt = input.head ?? input.ref;
  let files;
  if (readAt !== undefined || !ctx.repo.dir) {
    const snap = await ctx.snapshotAt(readAt);
    const probe: Issue[] = [];
    const first = await readTreeFiles(snap.store, snap.tree, [], [CONFIG_FILE]);
    const cfg = checkConfig(first, probe);
    files = [...first, ...(await readTreeFiles(snap.store, snap.tree, [cfg.registry, cfg.policies], []))];
  } else {
    const first = await readWorktreeFiles(ctx.repo.dir, [], [CONFIG_FILE]);
    const cfg = checkConfig(first, []);
    files = [...first, ...(await readWorktreeFiles(ctx.repo.dir, [cfg.registry, cfg.policies], []))];
  }
  const checked = checkFiles(files);
  const result: CheckResult = {
    ok: true,
    files: checked.files,
    models: checked.models.size,
    versions: [...checked.models.values()].reduce((n, m) => n + m.versions.size, 0),
    problems: checked.issues,
    events: [],
  };
  if (input.base !== undefined) {
    const { checkAgainstBase } = await import('./check-base.js');
    await checkAgainstBase(ctx, input, result);
  }
  result.ok = !result.problems.some((p) => p.severity === 'error');
  return result;
}
