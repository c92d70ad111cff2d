/** `sync`: fetch the registry branch and fast-forward to it, refusing when local commits diverge. */
import type { Context } from './context.js';
import { shortRef, syncFromRemote } from './fast-forward.js';

export async function sync(ctx: Context): Promise<{ branch: string; from?: string; to?: string; changed: boolean }> {
  const { remoteToken } = await import('../storage/remote.js');
  const ref = await ctx.targetRef();
  const r = await syncFromRemote(ctx, ref, remoteToken(ctx.env));
  return { branch: shortRef(ref), ...r };
}
