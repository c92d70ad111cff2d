/**
 * `check`: validates the registry. Without a ref it reads the checked-out files (what CI has);
 * with `ref` it reads a commit. With `base`, it also compares base and head and evaluates every
 * change against the policy as it is at base (see check-base.ts).
 */
import { CONFIG_FILE } from '../domain/state.js';
import type { Issue } from '../domain/issues.js';
import { checkResult, type CheckResult } from '../domain/check-result.js';
import { readTreeFiles, readWorktreeFiles } from '../storage/files.js';
import { changedPaths } from '../storage/history.js';
import { issue } from '../domain/issues.js';
import { DEPLOYMENTS_DIR, placeOfDeployment } from '../domain/deployments.js';
import { checkFiles, checkConfig, type CheckFile } from './check-rules.js';
import { checkAgainstBase, pinpoint } from './check-base.js';
import { forgeApprovers, forgeBase } from './forge-approvals.js';
import { promotionsOf } from './promotions.js';
import type { ForgeName } from '../forge/index.js';
import type { Context } from './context.js';

export interface CheckInput {
  /** Read the registry at this ref instead of the working tree. */
  ref?: string;
  /** Compare with this base ref and evaluate the changes against its policy. */
  base?: string;
  /** The head to compare (default: the working tree's HEAD commit). */
  head?: string;
  /** Count approving pull-request reviews through a forge adapter; on GitLab the base defaults to CI_MERGE_REQUEST_DIFF_BASE_SHA. */
  forge?: ForgeName;
  /** An unreachable `origin` source is an error (default: a warning). */
  verifyOrigin?: boolean;
  /** Identities (`github:login`) already known to approve the change, e.g. a listed pull request's reviewers; instead of asking `forge`. */
  forgeApprovers?: string[];
}

export type { CheckResult };

async function changedScope(ctx: Context, base: string, head: string) {
  const store = ctx.store();
  const baseSnap = await ctx.snapshotAt(base, store);
  const headSnap = await ctx.snapshotAt(head, store);
  const cfgFiles = await readTreeFiles(store, headSnap.tree, [], [CONFIG_FILE]);
  const cfg = checkConfig(cfgFiles, []);
  const changed = await changedPaths(store, baseSnap.tree, headSnap.tree);
  const dirs = new Set<string>();
  const deployments: string[] = [];
  for (const c of changed) {
    // A changed deployment file is checked with the folder of the model it names.
    const place = placeOfDeployment(c.path);
    if (place) {
      deployments.push(c.path);
      dirs.add(`${cfg.registry}/${place.model}`);
      continue;
    }
    if (!c.path.startsWith(`${cfg.registry}/`)) continue;
    const rel = c.path.slice(cfg.registry.length + 1);
    const m = /^(.+?)\/(?:model\.yaml|versions\/.*)$/.exec(rel);
    dirs.add(`${cfg.registry}/${m ? m[1] : rel}`);
  }
  const files = [...cfgFiles, ...(await readTreeFiles(store, headSnap.tree, [cfg.policies, ...dirs], deployments))];
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

/** The files a check reads: what changed (with base), a commit's, or the checked-out ones. */
async function filesToCheck(ctx: Context, input: CheckInput): Promise<{ files: CheckFile[]; scope?: string }> {
  // A pull request check validates what changed: the changed files and every file of the
  // models they belong to, so its cost follows the size of the change. (Base passed its own check.)
  if (input.base !== undefined) return changedScope(ctx, input.base, input.head ?? 'HEAD');
  const readAt = input.head ?? input.ref;
  if (readAt !== undefined || !ctx.repo.dir) {
    const snap = await ctx.snapshotAt(readAt);
    const first = await readTreeFiles(snap.store, snap.tree, [], [CONFIG_FILE]);
    const cfg = checkConfig(first, []);
    return { files: [...first, ...(await readTreeFiles(snap.store, snap.tree, [cfg.registry, cfg.policies, DEPLOYMENTS_DIR], []))] };
  }
  const first = await readWorktreeFiles(ctx.repo.dir, [], [CONFIG_FILE]);
  const cfg = checkConfig(first, []);
  return { files: [...first, ...(await readWorktreeFiles(ctx.repo.dir, [cfg.registry, cfg.policies, DEPLOYMENTS_DIR], []))] };
}

export async function check(ctx: Context, given: CheckInput = {}): Promise<CheckResult> {
  const input = given.base === undefined && given.forge ? { ...given, base: await forgeBase(ctx, given.forge) } : given;
  const { files, scope } = await filesToCheck(ctx, input);
  const checked = checkFiles(files);
  const totals = { files: checked.files, models: checked.models.size, versions: [...checked.models.values()].reduce((n, m) => n + m.versions.size, 0) };
  if (input.base === undefined) return checkResult({ ...totals, problems: checked.issues, events: [], decisions: [] });
  if (scope) checked.issues.push(...(await caseCollisions(ctx, input.head ?? 'HEAD', checked)));
  const forgeApproved = input.forgeApprovers ?? (input.forge ? await forgeApprovers(ctx, input.forge) : []);
  const compared = await checkAgainstBase(ctx, { base: input.base, head: input.head, forgeApprovers: forgeApproved, verifyOrigin: input.verifyOrigin });
  const store = ctx.store();
  const headSnap = ctx.snapshot(store, compared.head, (await store.readCommit(compared.head)).tree);
  await pinpoint(headSnap, checked.issues);
  const promotions = await promotionsOf(compared.events, ctx.snapshot(store, compared.base, (await store.readCommit(compared.base)).tree), headSnap);
  return checkResult({ ...totals, base: compared.base, head: compared.head, events: compared.events, decisions: compared.decisions, problems: [...checked.issues, ...compared.problems], promotions });
}
