/**
 * `check`: validates the registry. Without a ref it reads the checked-out files (what CI has);
 * with `ref` it reads a commit. With `base`, it also compares base and head and evaluates every
 * change against the policy as it is at base (see check-base.ts).
 */
import { CONFIG_FILE } from '../domain/state.js';
import type { Issue } from '../domain/issues.js';
import type { RegistryEvent } from '../domain/events.js';
import { readTreeFiles, readWorktreeFiles } from '../storage/files.js';
import { changedPaths } from '../storage/history.js';
import { issue } from '../domain/issues.js';
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

async function changedScope(ctx: Context, base: string, head: string) {
  const store = ctx.store();
  const baseSnap = await ctx.snapshotAt(base, store);
  const headSnap = await ctx.snapshotAt(head, store);
  const cfgFiles = await readTreeFiles(store, headSnap.tree, [], [CONFIG_FILE]);
  const cfg = checkConfig(cfgFiles, []);
  const changed = await changedPaths(store, baseSnap.tree, headSnap.tree);
  const dirs = new Set<string>();
  for (const c of changed) {
    if (!c.path.startsWith(`${cfg.registry}/`)) continue;
    const rel = c.path.slice(cfg.registry.length + 1);
    const m = /^(.+?)\/(?:model\.yaml|versions\/.*)$/.exec(rel);
    dirs.add(`${cfg.registry}/${m ? m[1] : rel}`);
  }
  const files = [...cfgFiles, ...(await readTreeFiles(store, headSnap.tree, [cfg.policies, ...dirs], []))];
  return { files, scope: [...dirs].join(',') };
}

/** Touched models whose names differ only by case from another model folder (walking only their paths). */
async function caseCollisions(ctx: Context, head: string, checked: ReturnType<typeof checkFiles>): Promise<Issue[]> {
  const snap = await ctx.snapshotAt(head);
  const out: Issue[] = [];
  for (const m of checked.models.values()) {
    const [twin] = await snap.caseTwins(m.name);
    if (twin) out.push(issue(m.file, 'case-collision', `model '${m.name}' differs only by case from '${twin}'; names that differ only by case are the same model`));
  }
  return out;
}

export async function check(ctx: Context, input: CheckInput = {}): Promise<CheckResult> {
  const readAt = input.head ?? input.ref;
  let files;
  let scope: string | undefined;
  if (input.base !== undefined) {
    // A pull request check validates what changed: the changed files and every file of the
    // models they belong to, so its cost follows the size of the change. (Base passed its own check.)
    const scoped = await changedScope(ctx, input.base, input.head ?? 'HEAD');
    files = scoped.files;
    scope = scoped.scope;
  } else if (readAt !== undefined || !ctx.repo.dir) {
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
  if (scope) checked.issues.push(...(await caseCollisions(ctx, input.head ?? 'HEAD', checked)));
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
