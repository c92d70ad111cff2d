/** `modelreg watch models:/NAME/STAGE`: the stage's monitor analysis, and a rollback or alert on failure. */
import type { Command } from 'commander';
import { context, globals, json, out, writeOptions, afterWrite } from '../io.js';
import { WATCH_EXIT_CODES } from '../errors.js';
import type { WatchResult } from '../../ops/watch.js';

function line(r: WatchResult): string {
  const head = `${r.model} ${r.version} in ${r.stage}: analysis ${r.phase.toLowerCase()}`;
  const metrics = r.analysis.metrics.map((m) => `  ${m.name} (${m.provider}): ${m.phase.toLowerCase()} — ${m.measurements.map((x) => (x.value !== undefined ? JSON.stringify(x.value) : '?')).join(', ')}${m.measurements.filter((x) => x.message).slice(-1).map((x) => `; ${x.message}`).join('')}`);
  const verb = r.dryRun ? 'would ' : '';
  const act = r.action === 'rolled-back' ? `${r.dryRun ? 'would roll' : 'rolled'} back to ${r.restored ?? '(none)'}${r.commit ? ` in ${r.commit.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}` : ''}`
    : r.action === 'alerted' ? `${verb}record the analysis (onFailure: alert)${r.commit ? ` in ${r.commit.slice(0, 12)}` : ''}`
      : r.action === 'refused' ? `rollback refused: ${r.refusal}. ${r.dryRun ? 'Would record' : 'Recorded'} the analysis${r.commit ? ` in ${r.commit.slice(0, 12)}` : ''}`
        : '';
  return [head, ...metrics, ...(act ? [`${act}${r.file ? ` (${r.file})` : ''}`] : [])].join('\n');
}

export function watchCommand(program: Command): void {
  writeOptions(program.command('watch')
    .description('analyse the version holding a stage by its policy monitor: (Prometheus, HTTP, file metrics); roll back or alert when it fails')
    .argument('<uri>', 'models:/NAME/STAGE')
    .option('--once', 'one analysis, then exit: 0 successful, 1 failed, 75 inconclusive (for an Argo Rollouts or Kargo job)')
    .option('--dry-run', 'measure and say what would be done; write nothing'))
    .action(async (uri: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { watch } = await import('../../ops/watch.js');
      for (;;) {
        const r = await watch(ctx, { uri, dryRun: o.dryRun, push: o.push, branch: o.branch });
        if (r.commit) await afterWrite(cmd, r as WatchResult & { branch: string }, `analysis failed: ${r.model} ${r.version} in ${r.stage}`);
        if (globals(cmd).json) json(r);
        else out(line(r));
        process.exitCode = WATCH_EXIT_CODES[r.phase];
        if (o.once || r.phase === 'Failed') return;
        await new Promise((res) => setTimeout(res, r.intervalMs));
      }
    });
}
