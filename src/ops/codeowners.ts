/**
 * `codeowners`: a CODEOWNERS file from the models' owners and the policy groups, so the forge
 * asks the right reviewers. On GitLab (the remote's host, or `forge: 'gitlab'`) it writes
 * GitLab's sectioned syntax to the CODEOWNERS GitLab reads (an existing root or docs/ one,
 * else .gitlab/CODEOWNERS); on GitHub, .github/CODEOWNERS.
 */
import { renderCodeowners, type CodeownersSyntax } from '../domain/codeowners.js';
import { forgeName, forgeOfRemote } from '../forge/index.js';
import type { Context } from './context.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { loadPolicyAt } from './policies.js';

export interface CodeownersInput extends WriteOptions {
  path?: string;
  dryRun?: boolean;
  /** Whose syntax to write; default: the forge the remote url names, else github. */
  forge?: string;
}

async function forgeOfRegistry(ctx: Context, forge?: string): Promise<CodeownersSyntax> {
  if (forge) return forgeName(forge);
  const { remoteUrl } = await import('../storage/remote.js');
  const url = await remoteUrl(ctx.repo).catch(() => undefined);
  return (url ? forgeOfRemote(url, ctx.env)?.forge : undefined) ?? (ctx.env.MODELREG_FORGE?.toLowerCase() === 'gitlab' ? 'gitlab' : 'github');
}

export async function codeowners(ctx: Context, input: CodeownersInput = {}): Promise<WriteOutcome & { path: string; content: string; syntax: CodeownersSyntax }> {
  const syntax = await forgeOfRegistry(ctx, input.forge);
  return runWrite(ctx, input, async (snap) => {
    // GitLab reads the first of CODEOWNERS, docs/CODEOWNERS, .gitlab/CODEOWNERS: keep writing the one that exists.
    let path = input.path ?? (syntax === 'gitlab' ? '.gitlab/CODEOWNERS' : '.github/CODEOWNERS');
    if (!input.path && syntax === 'gitlab') {
      for (const p of ['CODEOWNERS', 'docs/CODEOWNERS']) if ((await snap.entry(p)) !== undefined) { path = p; break; }
    }
    const cfg = await snap.config();
    const models = await snap.models();
    const groups: Record<string, string[]> = {};
    const policyNames = new Set(['default', ...models.map((m) => m.record.policy ?? 'default')]);
    for (const name of policyNames) {
      const p = await loadPolicyAt(snap, name).catch(() => undefined);
      for (const [g, members] of Object.entries(p?.doc.groups ?? {})) groups[g] = [...new Set([...(groups[g] ?? []), ...members])];
    }
    const content = renderCodeowners({ registryDir: cfg.registry, policiesDir: cfg.policies, models: models.map((m) => ({ name: m.name, owners: m.record.owners ?? [] })), groups, syntax });
    const current = await snap.text(path);
    return {
      changes: current === content ? [] : [{ path, content }],
      message: { subject: `codeowners: ${models.length} models`, trailers: [['Modelreg-Action', 'codeowners']] },
      result: { path, content, syntax },
    };
  });
}
