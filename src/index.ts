/**
 * modelreg's library: the product. The CLI is one client of these functions.
 *
 * @example
 * import { openRegistry } from 'modelreg';
 * const reg = await openRegistry({ dir: '/path/to/registry-repo' });
 * const { version } = await reg.register({ model: 'churn', artifact: 's3://models/churn/7', metrics: { auc: 0.91 } });
 * const prod = await reg.resolve({ uri: 'models:/churn/Production' });
 */
import { Context, type RegistryOptions } from './ops/context.js';
import { register, type RegisterInput } from './ops/register.js';
import { list, showModel, showVersion, resolve, type ReadInput, type ShowModelResult } from './ops/read.js';
import { tag, describe, alias, type TagInput, type DescribeInput, type AliasInput } from './ops/metadata.js';
import { history, historyStream, type HistoryInput } from './ops/history.js';
import { check, type CheckInput } from './ops/check.js';
import { transition, type TransitionInput } from './ops/transition.js';
import { download } from './ops/download.js';
import { init, type InitInput } from './ops/init.js';
import { approve, type ApproveInput } from './ops/approve.js';
import { explain } from './ops/explain.js';
import { rollback, type RollbackInput } from './ops/rollback.js';
import { watch, type WatchInput } from './ops/watch.js';
import { deprecate, deleteVersion, type DeprecateInput, type DeleteInput } from './ops/lifecycle.js';
import { search, compare, best, type SearchInput } from './ops/search.js';
import { diff } from './ops/diff.js';
import { sync } from './ops/sync.js';
import { codeowners } from './ops/codeowners.js';
import { doctor } from './ops/doctor.js';
import type { WriteOptions } from './ops/write.js';

export { RegistryError, isRegistryError, EXIT_CODES, type ErrorCode } from './errors/index.js';
export { parseModelName, modelKey } from './domain/names.js';
export { parseVersion, nextVersion, compareVersions } from './domain/versions.js';
export { parseModelUri, formatModelUri, type ModelRef } from './domain/uri.js';
export { describeEvent, type RegistryEvent } from './domain/events.js';
export type { Issue } from './domain/issues.js';
export { exitCode, type CheckResult, type PolicyDecision } from './domain/check-result.js';
export type { ModelVersion, RegisteredModel, Policy, RegistryConfig } from './domain/state.js';
export type { ShowModelResult, ModelSummary, Resolved } from './ops/read.js';
export type { RegistryOptions, RegisterInput, ReadInput, TagInput, DescribeInput, AliasInput, HistoryInput, CheckInput, TransitionInput, InitInput, ApproveInput, RollbackInput, DeprecateInput, DeleteInput, SearchInput, WriteOptions };
export type { Decision, Check } from './policy/index.js';
export type { ArtifactInput, LineageInput, NewModelInput } from './ops/register.js';
export type { HistoryEntry } from './ops/history.js';
export { FEED_TYPES, FEED_FORMATS, type CloudEvent, type FeedData, type FeedFormat, type FeedType } from './domain/cloudevents.js';
export { DEPLOY_STATUSES, type Deployment, type DeploymentView, type DeployStatus } from './domain/deployments.js';
export type { EventsInput, FeedItem, FollowOptions } from './ops/events.js';
export type { NotifyInput, NotifyResult, Delivery } from './ops/notify.js';
export type { DeployRecordInput, DeployRecordResult } from './ops/deploy.js';
export type { DeploymentsInput } from './ops/deployments.js';

/** A registry repository and every operation on it. */
export interface Registry {
  readonly dir: string | undefined;
  register(input: RegisterInput): ReturnType<typeof register>;
  list(input?: ReadInput): ReturnType<typeof list>;
  /** One version's full record, or (without `version`) a model with all its versions, newest first. */
  show(input: ReadInput & { model: string; version: string }): Promise<import('./domain/state.js').ModelVersion>;
  show(input: ReadInput & { model: string }): Promise<ShowModelResult>;
  resolve(input: ReadInput & { uri: string }): ReturnType<typeof resolve>;
  download(input: ReadInput & { uri: string; dest?: string }): ReturnType<typeof download>;
  tag(input: TagInput): ReturnType<typeof tag>;
  describe(input: DescribeInput): ReturnType<typeof describe>;
  alias(input: AliasInput): ReturnType<typeof alias>;
  history(input?: HistoryInput): ReturnType<typeof history>;
  /** The history as a stream, newest first: for any depth (each entry as soon as it is known). */
  historyStream(input?: HistoryInput): ReturnType<typeof historyStream>;
  check(input?: CheckInput): ReturnType<typeof check>;
  transition(input: TransitionInput): ReturnType<typeof transition>;
  approve(input: ApproveInput): ReturnType<typeof approve>;
  explain(input: { model: string; version: string; stage: string; at?: string }): ReturnType<typeof explain>;
  rollback(input: RollbackInput): ReturnType<typeof rollback>;
  /** One analysis of a stage's monitor: for its holder; a rollback or alert when it fails (`modelreg watch`). */
  watch(input: WatchInput): ReturnType<typeof watch>;
  deprecate(input: DeprecateInput): ReturnType<typeof deprecate>;
  deleteVersion(input: DeleteInput): ReturnType<typeof deleteVersion>;
  search(input?: SearchInput): ReturnType<typeof search>;
  compare(input: { model: string; a: string; b: string; at?: string }): ReturnType<typeof compare>;
  best(input: { model: string; metric: string; min?: boolean; stage?: string; at?: string }): ReturnType<typeof best>;
  diff(input: { base: string; head?: string }): ReturnType<typeof diff>;
  sync(): ReturnType<typeof sync>;
  codeowners(input?: WriteOptions & { path?: string; dryRun?: boolean }): ReturnType<typeof codeowners>;
  doctor(): ReturnType<typeof doctor>;
  /** Imports a version of another registry (dev → prod) with its provenance (docs/import.md). */
  importVersion(input: import('./ops/import.js').ImportInput): Promise<import('./ops/import.js').ImportResult>;
  /** Registers a model folder saved by MLflow (its MLmodel file). */
  importMLmodel(input: import('./ops/import-mlmodel.js').ImportMLmodelInput): ReturnType<typeof import('./ops/import-mlmodel.js').importMLmodel>;
  /** Migrates an MLflow Model Registry over its REST API; resumable. */
  importMlflow(input: import('./ops/import-mlflow.js').ImportMlflowInput): Promise<import('./ops/import-mlflow.js').ImportMlflowResult>;
  /** Mirrors this registry into an MLflow Model Registry. */
  exportMlflow(input: import('./ops/export-mlflow.js').ExportMlflowInput): ReturnType<typeof import('./ops/export-mlflow.js').exportMlflow>;
  /** The event feed, oldest first, as `modelreg events` prints it (docs/events.md). */
  events(input?: import('./ops/events.js').EventsInput): AsyncGenerator<import('./ops/events.js').FeedItem>;
  /** The feed, then each new event as commits arrive, until `opts.signal` aborts (`modelreg events --follow`). */
  followEvents(input?: import('./ops/events.js').EventsInput, opts?: import('./ops/events.js').FollowOptions): AsyncGenerator<import('./ops/events.js').FeedItem>;
  /** Delivers every event not yet delivered to the webhooks of modelreg.yaml (`modelreg notify`). */
  notify(input?: import('./ops/notify.js').NotifyInput): Promise<import('./ops/notify.js').NotifyResult>;
  /** Each webhook's delivery log, newest first (`modelreg notify --log`). */
  notifyLog(input?: { webhook?: string; limit?: number }): ReturnType<typeof import('./ops/notify.js').notifyLog>;
  /** Records which version serves in an environment: one commit, event `deployment.recorded` (`modelreg deploy record`). */
  recordDeployment(input: import('./ops/deploy.js').DeployRecordInput): ReturnType<typeof import('./ops/deploy.js').recordDeployment>;
  /** What is deployed where: model -> env -> deployment (`modelreg deploy list`). */
  deployments(input?: import('./ops/deployments.js').DeploymentsInput): ReturnType<typeof import('./ops/deployments.js').deployments>;
}

/** A stream whose module loads when it is first read (importers that never stream never load it). */
async function* lazyStream<T>(open: () => Promise<AsyncGenerator<T>>): AsyncGenerator<T> {
  yield* await open();
}

/**
 * Opens the registry repository that contains `options.dir` (default: the current directory).
 * @example const reg = await openRegistry({ dir: '.' })
 */
export async function openRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const ctx = await Context.open(options);
  return {
    dir: ctx.repo.dir,
    register: (i) => register(ctx, i),
    list: (i = {}) => list(ctx, i),
    show: ((i: ReadInput & { model: string; version?: string }) => (i.version ? showVersion(ctx, { ...i, version: i.version }) : showModel(ctx, i))) as Registry['show'],
    resolve: (i) => resolve(ctx, i),
    download: (i) => download(ctx, i),
    tag: (i) => tag(ctx, i),
    describe: (i) => describe(ctx, i),
    alias: (i) => alias(ctx, i),
    history: (i = {}) => history(ctx, i),
    historyStream: (i = {}) => historyStream(ctx, i),
    check: (i = {}) => check(ctx, i),
    transition: (i) => transition(ctx, i),
    approve: (i) => approve(ctx, i),
    explain: (i) => explain(ctx, i),
    rollback: (i) => rollback(ctx, i),
    watch: (i) => watch(ctx, i),
    deprecate: (i) => deprecate(ctx, i),
    deleteVersion: (i) => deleteVersion(ctx, i),
    search: (i = {}) => search(ctx, i),
    compare: (i) => compare(ctx, i),
    best: (i) => best(ctx, i),
    diff: (i) => diff(ctx, i),
    sync: () => sync(ctx),
    codeowners: (i = {}) => codeowners(ctx, i),
    doctor: () => doctor(ctx),
    // Loaded on first use: most clients never import.
    importVersion: async (i) => (await import('./ops/import.js')).importVersion(ctx, i),
    importMLmodel: async (i) => (await import('./ops/import-mlmodel.js')).importMLmodel(ctx, i),
    importMlflow: async (i) => (await import('./ops/import-mlflow.js')).importMlflow(ctx, i),
    exportMlflow: async (i) => (await import('./ops/export-mlflow.js')).exportMlflow(ctx, i),
    events: (i = {}) => lazyStream(async () => (await import('./ops/events.js')).events(ctx, i)),
    followEvents: (i = {}, o = {}) => lazyStream(async () => (await import('./ops/events.js')).followEvents(ctx, i, o)),
    notify: async (i = {}) => (await import('./ops/notify.js')).notify(ctx, i),
    notifyLog: async (i = {}) => (await import('./ops/notify.js')).notifyLog(ctx, i),
    recordDeployment: async (i) => (await import('./ops/deploy.js')).recordDeployment(ctx, i),
    deployments: async (i = {}) => (await import('./ops/deployments.js')).deployments(ctx, i),
  };
}

/** Creates (or adopts) a Git repository as a registry. */
export function initRegistry(input: InitInput = {}, options: RegistryOptions = {}) {
  return init(input, options);
}
