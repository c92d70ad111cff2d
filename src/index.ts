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
import { list, show, resolve, type ReadInput } from './ops/read.js';
import { tag, describe, alias, type TagInput, type DescribeInput, type AliasInput } from './ops/metadata.js';
import { history, type HistoryInput } from './ops/history.js';
import { check, type CheckInput } from './ops/check.js';
import { transition, type TransitionInput } from './ops/transition.js';
import { download } from './ops/download.js';
import { init, type InitInput } from './ops/init.js';

export { RegistryError, isRegistryError, EXIT_CODES, type ErrorCode } from './errors/index.js';
export { parseModelName, modelKey } from './domain/names.js';
export { parseVersion, nextVersion, compareVersions } from './domain/versions.js';
export { parseModelUri, formatModelUri, type ModelRef } from './domain/uri.js';
export { describeEvent, type RegistryEvent } from './domain/events.js';
export type { Issue } from './domain/issues.js';
export type { ModelVersion, RegisteredModel, Policy, RegistryConfig } from './domain/state.js';
export type { RegistryOptions, RegisterInput, ReadInput, TagInput, DescribeInput, AliasInput, HistoryInput, CheckInput, TransitionInput, InitInput };

/** A registry repository and every operation on it. */
export interface Registry {
  readonly dir: string | undefined;
  register(input: RegisterInput): ReturnType<typeof register>;
  list(input?: ReadInput): ReturnType<typeof list>;
  show(input: ReadInput & { model: string; version?: string }): Promise<Awaited<ReturnType<typeof show>> | import('./domain/state.js').ModelVersion>;
  resolve(input: ReadInput & { uri: string }): ReturnType<typeof resolve>;
  download(input: ReadInput & { uri: string; dest?: string }): ReturnType<typeof download>;
  tag(input: TagInput): ReturnType<typeof tag>;
  describe(input: DescribeInput): ReturnType<typeof describe>;
  alias(input: AliasInput): ReturnType<typeof alias>;
  history(input?: HistoryInput): ReturnType<typeof history>;
  check(input?: CheckInput): ReturnType<typeof check>;
  transition(input: TransitionInput): ReturnType<typeof transition>;
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
    show: (i) => (i.version ? show(ctx, { ...i, version: i.version }) : show(ctx, { ...i, version: undefined as never })),
    resolve: (i) => resolve(ctx, i),
    download: (i) => download(ctx, i),
    tag: (i) => tag(ctx, i),
    describe: (i) => describe(ctx, i),
    alias: (i) => alias(ctx, i),
    history: (i = {}) => history(ctx, i),
    check: (i = {}) => check(ctx, i),
    transition: (i) => transition(ctx, i),
  };
}

/** Creates (or adopts) a Git repository as a registry. */
export function initRegistry(input: InitInput = {}, options: RegistryOptions = {}) {
  return init(input, options);
}
