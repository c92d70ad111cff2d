import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, positiveInt, writeOptions } from '../io.js';
import { exitFor } from '../errors.js';

export function governanceCommands(program: Command): void {
  writeOptions(program.command('approve').description('approve a version\'s move to a stage (a commit you author)')
    .argument('<model>').argument('<version>')
    .requiredOption('--stage <stage>', 'the stage the approval is for (or alias:NAME, rollback, delete)')
    .option('--comment <text>', 'why'))
    .action(async (model: string, version: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { approve } = await import('../../ops/approve.js');
      const r = await approve(ctx, { model, version, stage: o.stage, comment: o.comment, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `approve ${r.model} ${r.version} for ${r.stage}`);
      if (globals(cmd).json) return json(r);
      out(`${r.by} approved ${r.model} ${r.version} for ${r.stage} in ${r.commit?.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}`);
      if (!r.eligible) process.stderr.write(`warning: ${r.by} is not among the approvers the policy counts for ${r.stage}; this approval is recorded but will not count.\n`);
    });

  const policy = program.command('policy').description('inspect the policy');
  policy.command('explain').description('the checklist of a transition, without changing anything')
    .argument('<model>').argument('<version>').argument('<stage>')
    .action(async (model: string, version: string, stage: string, _o, cmd: Command) => {
      const ctx = await context(cmd);
      const { explain } = await import('../../ops/explain.js');
      const { renderChecklist } = await import('../../report/text.js');
      const r = await explain(ctx, { model, version, stage });
      exitFor(r.decision);
      if (globals(cmd).json) return json({ ...r, allowed: r.decision.allowed, checks: r.decision.checks });
      out(`${r.model} ${r.version}: ${r.from} -> ${r.stage} under policy ${r.policy}: ${r.decision.allowed ? 'allowed' : 'denied'}\n${r.decision.message}\n${renderChecklist(r.decision.checks)}`);
    });

  writeOptions(program.command('rollback').description('revert the commit that put the current holder of a stage there (or restore --to VERSION)')
    .argument('<model>')
    .option('--stage <stage>', 'the stage to roll back (default: the policy\'s exclusive stage, e.g. Production)')
    .option('--to <version>', 'restore this version to the stage instead')
    .option('--reason <text>', 'why, recorded in the commit'))
    .action(async (model: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { rollback } = await import('../../ops/rollback.js');
      const r = await rollback(ctx, { model, stage: o.stage, to: o.to, reason: o.reason, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `rollback ${r.model} ${r.stage}`);
      if (globals(cmd).json) return json(r);
      out(`Rolled back ${r.model} ${r.stage}: ${r.from ?? '(none)'} -> ${r.restored ?? '(none)'}${r.reverts ? ` (reverts ${r.reverts.slice(0, 12)})` : ''} in ${r.commit?.slice(0, 12)} on ${r.branch}`);
    });

  writeOptions(program.command('deprecate').description('mark a version deprecated (or --undo)')
    .argument('<model>').argument('<version>').option('--reason <text>').option('--undo', 'remove the deprecation'))
    .action(async (model: string, version: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { deprecate } = await import('../../ops/lifecycle.js');
      const r = await deprecate(ctx, { model, version, reason: o.reason, undo: o.undo, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `deprecate ${r.model} ${r.version}`);
      if (globals(cmd).json) return json(r);
      out(`${r.model} ${r.version} ${r.deprecated ? 'deprecated' : 'no longer deprecated'} in ${r.commit?.slice(0, 12)}`);
    });

  writeOptions(program.command('delete').description('delete a version (policy-governed; its number is never reused)')
    .argument('<model>').argument('<version>').option('--reason <text>'))
    .action(async (model: string, version: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { deleteVersion } = await import('../../ops/lifecycle.js');
      const r = await deleteVersion(ctx, { model, version, reason: o.reason, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `delete ${r.model} ${r.version}`);
      if (globals(cmd).json) return json(r);
      out(`Deleted ${r.model} ${r.version} in ${r.commit?.slice(0, 12)}`);
    });

  program.command('search').description('versions across all models matching a CEL filter')
    .argument('[filter]', 'CEL over version and model, e.g. \'version.stage == "Production" && version.metrics.auc > 0.9\'')
    .option('--order-by <field>', 'a version field: metrics.auc, created.at, version, model', 'created.at')
    .option('--desc', 'descending order')
    .option('--limit <n>', 'at most n results', positiveInt)
    .option('--at <ref|date>', 'the registry as it was at a ref or date')
    .action(async (filter: string | undefined, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { search } = await import('../../ops/search.js');
      const r = await search(ctx, { filter, orderBy: o.orderBy, desc: o.desc, limit: o.limit, at: o.at });
      if (globals(cmd).json) return json(r);
      const { renderSearch } = await import('../../report/text.js');
      out(renderSearch(r.versions, o.orderBy));
    });

  program.command('compare').description('two versions side by side: metrics, params, tags, signature')
    .argument('<model>').argument('<v1>').argument('<v2>')
    .option('--at <ref|date>')
    .action(async (model: string, a: string, b: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { compare } = await import('../../ops/search.js');
      const r = await compare(ctx, { model, a, b, at: o.at });
      if (globals(cmd).json) return json(r);
      const { renderCompare } = await import('../../report/text.js');
      out(renderCompare(r));
    });

  program.command('best').description('the version with the best value of a metric')
    .argument('<model>')
    .requiredOption('--metric <name>')
    .option('--min', 'lower is better')
    .option('--stage <stage>', 'only versions in this stage')
    .option('--at <ref|date>')
    .action(async (model: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { best } = await import('../../ops/search.js');
      const r = await best(ctx, { model, metric: o.metric, min: o.min, stage: o.stage, at: o.at });
      if (globals(cmd).json) return json(r);
      out(`${r.model} ${r.version.version} (${r.version.stage}): ${r.metric}=${r.value} (best of ${r.candidates})`);
    });
}
