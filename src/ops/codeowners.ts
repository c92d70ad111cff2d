/** `codeowners`: a CODEOWNERS file from the models' owners and the policy groups, so the forge asks the right reviewers. */
import { renderCodeowners } from '../domain/codeowners.js';
import type { Context } from './context.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { loadPolicyAt } from './policies.js';

export async function codeowners(ctx: Context, input: WriteOptions & { path?: string; dryRun?: boolean } = {}): Promise<WriteOutcome & { path: string; content: string }> {
  const path = input.path ?? '.github/CODEOWNERS';
  return runWrite(ctx, input, async (snap) => {
    const cfg = await snap.config();
    const models = await snap.models();
    const groups: Record<string, string[]> = {};
    const policyNames = new Set(['default', ...models.map((m) => m.record.policy ?? 'default')]);
    for (const name of policyNames) {
      const p = await loadPolicyAt(snap, name).catch(() => undefined);
      for (const [g, members] of Object.entries(p?.doc.groups ?? {})) groups[g] = [...new Set([...(groups[g] ?? []), ...members])];
    }
    const content = renderCodeowners({ registryDir: cfg.registry, policiesDir: cfg.policies, models: models.map((m) => ({ name: m.name, owners: m.record.owners ?? [] })), groups });
    const current = await snap.text(path);
    return {
      changes: current === content ? [] : [{ path, content }],
      message: { subject: `codeowners: ${models.length} models`, trailers: [['Modelreg-Action', 'codeowners']] },
      result: { path, content },
    };
  });
}
