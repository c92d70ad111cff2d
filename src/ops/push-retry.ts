/**
 * `--push`: push the commit the write path made; when the remote rejects it because others
 * pushed first, take it back off the local branch, fetch, fast-forward, plan and commit again on
 * the new tip (so an auto-bumped version is re-derived and the policy re-evaluated), wait a
 * jittered, growing time and push again; after `maxAttempts` rejections, CONFLICT.
 *
 * The loop (`retryPush`) sees the repository only through its steps, so its order and limits are
 * tested on their own; `pushWithRetry` gives it the steps against the repository and its remote.
 */
import { RegistryError, isRegistryError } from '../errors/index.js';
import { acquireLock } from '../storage/lock.js';
import { compareAndSwapRef, fullBranchRef } from '../storage/refs.js';
import { checkedOutElsewhere } from '../storage/worktree.js';
import { personAt } from '../storage/repo.js';
import { fastForwardLocked, shortRef, syncFromRemote } from './fast-forward.js';
import type { Context } from './context.js';

/** What one attempt of the write path returns, as far as the loop needs it. */
export interface Attempt {
  /** The commit written; undefined when nothing changed (nothing to push). */
  commit?: string;
  /** The branch written (short name). */
  branch: string;
}

export interface RetrySteps<O extends Attempt> {
  /** Before each attempt: bring the local branch up to the remote's tip. */
  sync(): Promise<void>;
  /** Plan on the local tip and write one commit. */
  commit(): Promise<O>;
  /** Push the commit; throws CONFLICT when the remote rejects it because its branch moved. */
  push(out: O): Promise<void>;
  /** Take a rejected commit back off the local branch (it is recomputed on the new tip). */
  drop(out: O & { commit: string }): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for the jitter. */
  random(): number;
  onProgress?(message: string): void;
}

export const MAX_PUSH_ATTEMPTS = 16;

/**
 * Full-jitter exponential back-off: a uniformly random wait below 100 ms × 2^attempt, at most
 * 3 s. A fetch and push take about a second, so the waits must grow past that; the jitter keeps
 * writers that were rejected together from retrying together.
 * @example backoffMs(3, 0.5) // 400
 */
export function backoffMs(attempt: number, random: number): number {
  return random * Math.min(3000, 100 * 2 ** attempt);
}

/** The retry loop over its steps. Errors other than a rejected push end it unchanged. */
export async function retryPush<O extends Attempt>(steps: RetrySteps<O>, maxAttempts = MAX_PUSH_ATTEMPTS): Promise<O & { pushed: boolean; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    await steps.sync();
    const out = await steps.commit();
    if (!out.commit) return { ...out, pushed: false, attempts: attempt };
    try {
      await steps.push(out);
      return { ...out, pushed: true, attempts: attempt };
    } catch (e) {
      if (!isRegistryError(e, 'CONFLICT')) throw e;
      await steps.drop({ ...out, commit: out.commit });
      if (attempt >= maxAttempts) {
        throw new RegistryError('CONFLICT', `The push was rejected ${attempt} times because others pushed at the same time. Nothing was lost; run the command again.`, { attempts: attempt });
      }
      steps.onProgress?.(`push rejected (attempt ${attempt}); fetching and retrying`);
      await steps.sleep(backoffMs(attempt, steps.random()));
    }
  }
}

/**
 * Runs `commit` (one pass of the write path) and pushes its commit, retrying as above.
 * @example await pushWithRetry(ctx, {}, () => commitOnce(ctx, opts, plan))
 */
export async function pushWithRetry<O extends Attempt>(ctx: Context, opts: { branch?: string | boolean; maxAttempts?: number }, commit: () => Promise<O>): Promise<O & { pushed: boolean; attempts: number }> {
  const remote = await import('../storage/remote.js');
  const token = remote.remoteToken(ctx.env);
  const target = await ctx.targetRef();
  // With --branch, the target branch is only the base: when another checkout has it checked
  // out, it is not moved (Git refuses as well) and the change is planned on its local tip.
  const baseElsewhere = opts.branch ? checkedOutElsewhere(ctx.repo.gitdir, target) : undefined;
  return retryPush<O>({
    async sync() {
      if (baseElsewhere) ctx.options.onProgress?.(`${shortRef(target)} is checked out in ${baseElsewhere}: not fast-forwarding it; the branch starts from its local tip`);
      else await syncFromRemote(ctx, target, token);
    },
    commit,
    async push(out) {
      const ref = fullBranchRef(out.branch);
      await remote.pushBranch(ctx.repo, ref, ref, { token, onProgress: ctx.options.onProgress, ...(ctx.options.remote ? { remote: ctx.options.remote } : {}) });
    },
    drop: (out) => dropRejected(ctx, target, fullBranchRef(out.branch), out.commit),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: () => ctx.random(),
    onProgress: ctx.options.onProgress,
  }, opts.maxAttempts ?? MAX_PUSH_ATTEMPTS);
}

/** Moves `ref` back from the rejected `commit` to its parent (with the working tree when `ref` is the target). */
async function dropRejected(ctx: Context, target: string, ref: string, commit: string): Promise<void> {
  const lock = await acquireLock(ctx.repo.gitdir, { ref, timeoutMs: ctx.options.lockTimeoutMs });
  try {
    const parent = (await ctx.store().readCommit(commit)).parents[0];
    if (parent && ref === target) await fastForwardLocked(ctx, ref, commit, parent);
    else if (ref !== target) await compareAndSwapRef(ctx.repo.gitdir, ref, commit, parent ?? commit, { who: personAt(await ctx.identity(), ctx.now().getTime()), message: 'modelreg: drop rejected commit' });
  } finally {
    await lock.release();
  }
}
