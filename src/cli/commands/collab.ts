import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, writeOptions } from '../io.js';

export function collaborationCommands(program: Command): void {
  program.command('diff').description('the registry changes between two refs, in words a reviewer reads')
    .argument('<base>').argument('[head]', 'default HEAD')
    .action(async (base: string, head: string | undefined, _o, cmd: Command) => {
      const ctx = await context(cmd);
      const { diff } = await import('../../ops/diff.js');
      const r = await diff(ctx, { base, head });
      if (globals(cmd).json) return json(r);
      out(r.lines.length ? r.lines.map((l) => l.text).join('\n') : 'No registry changes.');
    });

  program.command('sync').description('fetch the registry branch and fast-forward to it (refuses when local commits diverge)')
    .action(async (_o, cmd: Command) => {
      const ctx = await context(cmd);
      const { sync } = await import('../../ops/sync.js');
      const r = await sync(ctx);
      if (globals(cmd).json) return json(r);
      out(r.changed ? `${r.branch}: ${r.from?.slice(0, 12) ?? '(none)'} -> ${r.to?.slice(0, 12)}` : `${r.branch} is up to date`);
    });

  writeOptions(program.command('codeowners').description('write CODEOWNERS from the models\' owners and the policy groups (one commit)')
    .option('--path <file>', 'where to write it (default .github/CODEOWNERS; on GitLab .gitlab/CODEOWNERS, or the CODEOWNERS that exists)')
    .option('--forge <name>', 'whose syntax: github, or gitlab (sections); default: the forge of the remote url')
    .option('--dry-run', 'print it; write nothing'))
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { codeowners } = await import('../../ops/codeowners.js');
      const r = await codeowners(ctx, { path: o.path, forge: o.forge, dryRun: o.dryRun, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, 'codeowners');
      if (globals(cmd).json) return json(r);
      out(o.dryRun ? r.content : r.commit ? `Wrote ${r.path} in ${r.commit.slice(0, 12)}` : `${r.path} is up to date`);
    });

  program.command('doctor').description('repair what an interrupted command left: stale locks, temp files, working tree and index behind the branch')
    .action(async (_o, cmd: Command) => {
      const ctx = await context(cmd);
      const { doctor } = await import('../../ops/doctor.js');
      const r = await doctor(ctx);
      if (globals(cmd).json) return json(r);
      const lines = [
        r.removedLocks.length ? `Removed stale locks: ${r.removedLocks.join(', ')}` : 'No stale locks.',
        r.removedTempFiles ? `Removed ${r.removedTempFiles} temporary files.` : '',
        r.prunedCacheEntries ? `Pruned ${r.prunedCacheEntries} cached model states no longer at the tip.` : '',
        r.repaired.length ? `Repaired working tree and index: ${r.repaired.join(', ')}` : 'Working tree and index agree with the branch.',
        ...r.advice,
      ].filter(Boolean);
      out(lines.join('\n'));
    });
}
