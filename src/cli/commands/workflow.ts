import { promises } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, writeOptions } from '../io.js';
import { exitFor } from '../errors.js';

async function runTransition(cmd: Command, model: string, version: string, stage: string, o: Record<string, unknown>) {
  const ctx = await context(cmd);
  const { transition } = await import('../../ops/transition.js');
  const { renderChecklist } = await import('../../report/text.js');
  const r = await transition(ctx, { model, version, stage, message: o.message as string | undefined, dryRun: !!o.dryRun, push: !!o.push, branch: o.branch as string | boolean | undefined, allowPending: !!o.branch });
  if (!r.dryRun) await afterWrite(cmd, r, `promote ${r.model} ${r.version}: ${r.from} -> ${r.stage}`);
  if (r.dryRun) exitFor(r);
  if (globals(cmd).json) return json(r);
  if (r.dryRun) return out(`${r.allowed ? 'Allowed' : 'Denied'}: ${r.model} ${r.version} ${r.from} -> ${r.stage} (dry run, nothing written)\n${renderChecklist(r.decision.checks)}`);
  out(`${r.model} ${r.version}: ${r.from} -> ${r.stage}${r.archived.length ? `, archived ${r.archived.join(', ')}` : ''} in ${r.commit?.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}`);
  if (!r.allowed) out(`Not yet allowed on the registry branch; the pull request check lists what is missing:\n${renderChecklist(r.decision.checks)}`);
}

export function workflowCommands(program: Command): void {
  writeOptions(program.command('transition').description('move a version to a stage under the model\'s policy (one commit)')
    .argument('<model>').argument('<version>').argument('<stage>')
    .option('-m, --message <text>', 'why, recorded in the commit')
    .option('--dry-run', 'evaluate the policy and print the checklist; write nothing'))
    .action((model: string, version: string, stage: string, o, cmd: Command) => runTransition(cmd, model, version, stage, o));

  writeOptions(program.command('promote').description('same as transition: promote MODEL VERSION --to STAGE')
    .argument('<model>').argument('<version>')
    .requiredOption('--to <stage>', 'the target stage')
    .option('-m, --message <text>', 'why, recorded in the commit')
    .option('--dry-run', 'evaluate the policy and print the checklist; write nothing'))
    .action((model: string, version: string, o, cmd: Command) => runTransition(cmd, model, version, o.to, o));

  program.command('check')
    .description('validate every registry file and invariant; with --base, evaluate the changes against the base branch\'s policy')
    .option('--base <ref>', 'compare with this ref (the pull request\'s target) and check every change against its policy')
    .option('--head <ref>', 'the head to check (default: the working tree / HEAD)')
    .option('--ref <ref>', 'check the registry at a ref instead of the working tree')
    .option('--format <format>', 'text, json, github or gitlab (gitlab also writes Code Quality, JUnit and metrics reports)', 'text')
    .option('--output-dir <dir>', 'where --format gitlab writes its report files', '.')
    .option('--forge <name>', 'count pull-request approvals: github, or gitlab (whose merge request pipelines also give the base)')
    .option('--verify-origin', 'with --base: an imported version whose source registry cannot be read is an error, not a warning')
    .action(async (o, cmd: Command) => {
      const { rendererFor } = await import('../../report/render.js');
      // --format is checked even under --json, so a misspelt format is never silently ignored.
      const chosen = rendererFor(o.format);
      const render = globals(cmd).json ? rendererFor('json') : chosen;
      const ctx = await context(cmd);
      const { check } = await import('../../ops/check.js');
      const r = await check(ctx, { base: o.base, head: o.head, ref: o.ref, forge: o.forge, verifyOrigin: o.verifyOrigin });
      const rendered = render(r, process.env);
      process.stdout.write(rendered.stdout);
      // node:fs's `promises` loads fs/promises on first use: imported at the top of this module,
      // every command would load it at start-up.
      const { appendFile, mkdir, writeFile } = promises;
      for (const a of rendered.appends ?? []) await appendFile(a.path, a.text);
      for (const f of rendered.files ?? []) {
        const path = resolve(o.outputDir, f.path);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, f.text);
      }
      exitFor(r);
    });

  program.command('init')
    .description('create (or adopt) a Git repository as a registry, with an initial commit')
    .argument('[dir]', 'folder of the registry repository', '.')
    .option('--branch <name>', 'branch of a new repository', 'main')
    .option('--ci <forges>', 'CI files to write: github, gitlab or github,gitlab (default: the forge of the remote url, else github)')
    .option('--cli-source <spec>', 'where CI installs modelreg from: a tarball, a Git URL or a path (default: modelreg@<this version> from the npm registry)')
    .action(async (dir: string, o, cmd: Command) => {
      const { init } = await import('../../ops/init.js');
      const r = await init({ dir, branch: o.branch, ci: o.ci ? [o.ci] : undefined, cliSource: o.cliSource });
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      if (globals(cmd).json) return json(r);
      out(r.created.length ? `${r.newRepository ? 'Created' : 'Adopted'} registry in ${r.dir} (${r.created.join(', ')})${r.commit ? `, commit ${r.commit.slice(0, 12)}` : ''}` : `${r.dir} is already a registry; nothing to add`);
    });
}
