/** `modelreg notify`: deliver the event feed to the webhooks of modelreg.yaml. */
import type { Command } from 'commander';
import { context, globals, json, out } from '../io.js';

export function notifyCommand(program: Command): void {
  program.command('notify')
    .description('deliver every event not yet delivered to the webhooks of modelreg.yaml (signed, retried, one cursor ref per webhook)')
    .option('--since <ref>', 'deliver the events after this ref, whatever the cursors say')
    .option('--webhook <name>', 'only this webhook')
    .option('--dry-run', 'list what would be sent; send nothing, move no cursor')
    .option('--push', 'push each cursor ref (refs/modelreg/notify/<name>) to the remote afterwards')
    .option('--log', 'print the delivery log of each webhook instead of delivering')
    .option('--max-attempts <n>', 'attempts per event (default 6)', (v) => Number(v))
    .option('--backoff <ms>', 'the first wait between attempts, doubled each time, with jitter (default 1000)', (v) => Number(v))
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { notify, notifyLog } = await import('../../ops/notify.js');
      if (o.log) {
        const log = await notifyLog(ctx, { webhook: o.webhook });
        if (globals(cmd).json) return json({ webhooks: log });
        const lines: string[] = [];
        for (const h of log) {
          lines.push(`${h.webhook}:${h.entries.length ? '' : ' nothing delivered yet'}`);
          for (const e of h.entries) lines.push(`  ${e.time}  ${e.sent ? `sent ${e.sent} (${e.status}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'})` : `skipped through ${e.through}`}`);
        }
        return out(lines.join('\n') || 'No webhooks in modelreg.yaml.');
      }
      const retry = { ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}), ...(o.backoff !== undefined ? { baseMs: o.backoff } : {}) };
      const r = await notify(ctx, { since: o.since, webhook: o.webhook, dryRun: o.dryRun, push: o.push, retry });
      const failed = r.webhooks.filter((w) => w.failed);
      if (failed.length) process.exitCode = 1;
      if (globals(cmd).json) return json(r);
      const lines = r.webhooks.map((w) => w.failed
        ? `${w.name}: ${w.sent} sent, then failed at ${w.failed}. The cursor stays before it; run notify again.`
        : `${w.name}: ${r.dryRun ? `would send ${r.deliveries.filter((d) => d.webhook === w.name).length}` : `${w.sent} sent`}${w.cursor ? ` (through ${w.cursor})` : ''}`);
      if (r.dryRun) for (const d of r.deliveries) lines.push(`  ${d.webhook} ← ${d.id} ${d.type}`);
      out(lines.join('\n') || 'No webhooks in modelreg.yaml.');
    });
}
