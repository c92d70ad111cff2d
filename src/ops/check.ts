/**
 * `check`: validates the registry. Without a ref it reads the checked-out files (what CI has);
 * with `ref` it reads a commit. With `base`, it also compares base and head and evaluates every
 * change against the policy as it is at base (see check-base.ts).
 */
import { CONFIG_FILE } from '../domain/state.js';
import { isValidVersion } from '../domain/versions.js';
import type { Issue } from '../domain/issues.js';
import { checkResult, type CheckResult } from '../domain/check-result.js';
import { readTreeFiles, readWorktreeFiles, treeSourceFile } from '../storage/files.js';
import { changedFiles, rawEntryAt, rawEntryAtOffset, rawIsRegularFile, rawNames } from '../storage/tree-diff.js';
import { cachedTreeBytes } from '../storage/tree-file-cache.js';
import { issue } from '../domain/issues.js';
import { DEPLOYMENTS_DIR, placeOfDeployment } from '../domain/deployments.js';
import { ANALYSIS_DIR } from '../storage/analysis-events.js';
import { isAnalysisPath } from './check-analysis.js';
import { checkFiles, checkConfig, type CheckFile, type UnchangedVersions } from './check-rules.js';
import { checkAgainstBase, pinpoint } from './check-base.js';
import { forgeApprovers, forgeBase } from './forge-approvals.js';
import { promotionsOf } from './promotions.js';
import { policyLoaderAt, type PolicyLoader } from './policies.js';
import type { ForgeName } from '../forge/index.js';
import type { Context } from './context.js';
import type { Snapshot } from '../storage/snapshot.js';
import type { StageTable } from '../storage/stage-cache.js';

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
  // A big model's versions/ trees from their files by id (a delta chain each, else).
  const changed = changedFiles(store, baseSnap.tree, headSnap.tree, '', cachedTreeBytes);
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
    // So is an analysis file (analysis/<model>/<version>/<time>.yaml).
    if (isAnalysisPath(c.path)) {
      deployments.push(c.path);
      const parts = c.path.split('/');
      if (parts.length >= 4) dirs.add(`${cfg.registry}/${parts.slice(1, -2).join('/')}`);
      continue;
    }
    if (!c.path.startsWith(`${cfg.registry}/`)) continue;
    const rel = c.path.slice(cfg.registry.length + 1);
    const m = /^(.+?)\/(?:model\.yaml|versions\/.*)$/.exec(rel);
    dirs.add(`${cfg.registry}/${m ? m[1] : rel}`);
  }
  const versionDirs = new Set([...dirs].map((d) => `${d}/versions`));
  const files: CheckFile[] = [...cfgFiles, ...(await readTreeFiles(store, headSnap.tree, [cfg.policies, ...dirs], deployments, versionDirs))];
  const changedSet = new Set(changed.map((c) => c.path));
  // What decides whether an unchanged version file passes — modelreg.yaml (where policies and
  // schemas live), the policies, the schemas and the model's model.yaml — as it was at base?
  const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  const settingsChanged = changed.some((c) => c.path === CONFIG_FILE || inside(c.path, cfg.policies) || inside(c.path, cfg.schemas));
  const unchanged: UnchangedVersions[] = [];
  for (const dir of dirs) {
    const settled = !settingsChanged && !changedSet.has(`${dir}/model.yaml`);
    const v = await versionFiles(headSnap, dir, dir.slice(cfg.registry.length + 1), changedSet, settled);
    files.push(...v.files);
    if (v.unchanged) unchanged.push(v.unchanged);
  }
  return { files, unchanged, scope: [...dirs].join(','), loadPolicy: policyLoaderAt(headSnap) };
}

/** A plain `X.Y.Z` file name is a valid version without asking semver (10,000 names a check). */
const PLAIN_VERSION = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;

/**
 * The files under a touched model's versions/ folder. Those the change left as they were at
 * base are not read again (base passed its own check): the cross-file rules take their stages
 * from the stage cache (storage/stage-cache.ts), so a one-file change in a model of 10,000
 * versions reads one file. Anything else — a changed file, one whose stage is not known, a
 * link, a folder — is listed to be read and checked as usual.
 *
 * `settled` (modelreg.yaml, the policies, the schemas and the model's model.yaml are as at base):
 * then the folder's names are not walked either, only the changed paths are listed, and the
 * unchanged versions come from the stage cache's names alone (see `settledVersions`).
 */
async function versionFiles(head: Snapshot, dir: string, name: string, changed: Set<string>, settled: boolean): Promise<{ files: CheckFile[]; unchanged?: UnchangedVersions }> {
  const store = head.store;
  const folder = `${dir}/versions`;
  const entry = rawEntryAt(store, head.tree, folder);
  if (!entry?.isTree) return { files: await readTreeFiles(store, head.tree, [folder], []) };
  let table: StageTable | undefined;
  try {
    const model = await head.modelOnDemand(name);
    if (model?.dir === dir) table = await head.stages(model);
  } catch {
    table = undefined; // a file the stage scan cannot read: every file is checked
  }
  if (settled && table) return settledVersions(head, folder, name, changed, table);
  const stages = table?.toRecord();
  const files: CheckFile[] = [];
  const known = new Map<string, string>();
  const buf = cachedTreeBytes(store, entry.oid);
  for (const { name: file, offset } of rawNames(buf)) {
    const path = `${folder}/${file}`;
    const stage = file.endsWith('.yaml') ? stages?.[file.slice(0, -5)] : undefined;
    if (stage !== undefined && !changed.has(path) && rawIsRegularFile(buf, offset) && (PLAIN_VERSION.test(file.slice(0, -5)) || isValidVersion(file.slice(0, -5)))) {
      known.set(file.slice(0, -5), stage);
      continue;
    }
    const e = rawEntryAtOffset(buf, offset);
    if (e.isTree) files.push(...(await readTreeFiles(store, head.tree, [path], [])));
    else files.push(treeSourceFile(store, path, e.mode, e.oid, e.mode === '160000' ? 'commit' : 'blob'));
  }
  return { files, ...(known.size ? { unchanged: { model: name, stages: known } } : {}) };
}

/**
 * A settled folder (see `versionFiles`): the changed paths under it are read and checked; the
 * others are not looked at. Each rule an unchanged version file is under gives the result it gave
 * at base, where the same file was checked against the same settings:
 * - its schema, its name (`version-file-name`), `version-mismatch`, `model-mismatch`, and being a
 *   regular small UTF-8 file: the file's bytes, mode and path are those at base;
 * - `unknown-stage`: its stage (the file), the model's policy name (model.yaml) and that policy's
 *   stages (the policies folder, or the built-in default) are those at base;
 * - `version-reused`: model.yaml's deletedVersions is that at base; `missing-model`: model.yaml
 *   is unchanged, and checkFiles still reports it when the file is missing at head.
 * What still involves them — `alias-target`, `exclusive-stage`, the deployments' and analyses'
 * versions and the totals — takes each unchanged version's name and stage from the stage cache
 * (keyed by the folder's tree id, so exact for head), as the walk in `versionFiles` does.
 * A name of the stage cache that is not a version name is left out (such a file fails at base).
 */
async function settledVersions(head: Snapshot, folder: string, name: string, changed: Set<string>, stages: StageTable): Promise<{ files: CheckFile[]; unchanged?: UnchangedVersions }> {
  const store = head.store;
  const files: CheckFile[] = [];
  const mine: string[] = [];
  for (const path of changed) {
    if (!path.startsWith(`${folder}/`)) continue;
    mine.push(path);
    const e = rawEntryAt(store, head.tree, path);
    if (!e) continue; // deleted at head
    if (e.isTree) files.push(...(await readTreeFiles(store, head.tree, [path], [])));
    else files.push(treeSourceFile(store, path, e.mode, e.oid, e.mode === '160000' ? 'commit' : 'blob'));
  }
  const known = new Map<string, string>();
  for (const stage of stages.stageNames()) for (const version of stages.versionsIn(stage)) if (PLAIN_VERSION.test(version) || isValidVersion(version)) known.set(version, stage);
  // A changed version file is read and checked (and counted) like any other.
  for (const path of mine) if (path.endsWith('.yaml') && path.lastIndexOf('/') === folder.length) known.delete(path.slice(folder.length + 1, -5));
  return { files, ...(known.size ? { unchanged: { model: name, stages: known, settled: true } } : {}) };
}

/** Touched models whose names differ only by case from another model folder (walking only their paths). */
async function caseCollisions(ctx: Context, head: string, checked: Awaited<ReturnType<typeof checkFiles>>): Promise<Issue[]> {
  const snap = await ctx.snapshotAt(head);
  const out: Issue[] = [];
  for (const m of checked.models.values()) {
    const [twin] = await snap.caseTwins(m.name);
    if (twin) out.push(issue(m.file, 'case-collision', `model '${m.name}' differs only by case from '${twin}'; names that differ only by case are the same model`));
  }
  return out;
}

/** The files a check reads: what changed (with base), a commit's, or the checked-out ones. */
async function filesToCheck(ctx: Context, input: CheckInput): Promise<{ files: CheckFile[]; unchanged?: UnchangedVersions[]; scope?: string; loadPolicy?: PolicyLoader }> {
  // A pull request check validates what changed: the changed files and the model files of the
  // models they belong to, with the stages of their other versions from the stage cache, so its
  // cost follows the size of the change. (Base passed its own check.)
  if (input.base !== undefined) return changedScope(ctx, input.base, input.head ?? 'HEAD');
  const readAt = input.head ?? input.ref;
  if (readAt !== undefined || !ctx.repo.dir) {
    const snap = await ctx.snapshotAt(readAt);
    const first = await readTreeFiles(snap.store, snap.tree, [], [CONFIG_FILE]);
    const cfg = checkConfig(first, []);
    return { files: [...first, ...(await readTreeFiles(snap.store, snap.tree, [cfg.registry, cfg.policies, DEPLOYMENTS_DIR, ANALYSIS_DIR], []))] };
  }
  const first = await readWorktreeFiles(ctx.repo.dir, [], [CONFIG_FILE]);
  const cfg = checkConfig(first, []);
  return { files: [...first, ...(await readWorktreeFiles(ctx.repo.dir, [cfg.registry, cfg.policies, DEPLOYMENTS_DIR, ANALYSIS_DIR], []))] };
}

export async function check(ctx: Context, given: CheckInput = {}): Promise<CheckResult> {
  const input = given.base === undefined && given.forge ? { ...given, base: await forgeBase(ctx, given.forge) } : given;
  const { files, unchanged, scope, loadPolicy } = await filesToCheck(ctx, input);
  const checked = await checkFiles(files, unchanged, loadPolicy);
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
