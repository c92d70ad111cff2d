import type { Command } from 'commander';
import { afterWrite, collect, context, globals, json, keyValue, out, typedParams, writeOptions } from '../io.js';

function importFromCommand(program: Command): Command {
  return writeOptions(program.command('import')
    .description('import a version from another registry (dev → prod), an MLflow model folder (`import mlmodel`) or an MLflow registry (`import mlflow`)')
    .argument('[model]', 'the model in the source registry')
    .argument('[version]', 'its version')
    .option('--from <source>', 'the source registry: a folder or an http(s) Git URL')
    .option('--ref <ref>', 'branch or commit of the source (default: its registry branch tip)')
    .option('--as <name>', 'the model name here (default: the same)')
    .option('--stage <stage>', 'require the version to be in this stage in the source at that commit')
    .option('--copy-artifact <dest>', 'copy the artifact (file://, http(s)://) into this folder and verify its digest (default: keep the URI)'))
    .action(async (model: string | undefined, version: string | undefined, o, cmd: Command) => {
      const { RegistryError } = await import('../../errors/index.js');
      if (!o.from || !model || !version) throw new RegistryError('BAD_INPUT', 'import needs --from SOURCE MODEL VERSION (or `import mlmodel …`, `import mlflow …`). See modelreg import --help.', {});
      const ctx = await context(cmd);
      const { importVersion } = await import('../../ops/import.js');
      const r = await importVersion(ctx, { from: o.from, ref: o.ref, model, version, as: o.as, stage: o.stage, copyArtifact: o.copyArtifact, push: o.push, branch: o.branch });
      if (r.imported && r.commit) await afterWrite(cmd, { commit: r.commit, branch: r.branch! }, `import ${r.model} ${r.version} from ${r.origin.registry}`);
      if (globals(cmd).json) return json(r);
      const src = `${r.origin.model} ${r.origin.version} (${r.origin.stage ?? 'no stage'}) of ${r.origin.registry} at ${r.origin.commit.slice(0, 12)}`;
      if (!r.imported) return out(`${r.model} ${r.version} is already imported from ${src}: nothing to do.`);
      out(`Imported ${src} as ${r.model} ${r.version} (${r.stage}) in ${r.commit?.slice(0, 12)}${r.branch ? ` on ${r.branch}` : ''}${r.pushed ? ', pushed' : ''}`);
      if (r.copiedTo) out(`Artifact copied to ${r.copiedTo}, digest ${r.artifact.digest} verified.`);
    });
}

function mlmodelCommand(imp: Command): void {
  writeOptions(imp.command('mlmodel')
    .description('register a model saved by MLflow: framework, signature, run and tags from its MLmodel file; digest over the folder\'s files')
    .argument('<path>', 'the model folder (holding MLmodel) or its MLmodel file')
    .argument('<model>', 'model name here')
    .requiredOption('--artifact <uri>', 'where the model folder is stored: s3://, gs://, file://, https://, runs:/')
    .option('--version <x.y.z>', 'the version (default: bump the highest)')
    .option('--bump <part>', 'major, minor or patch')
    .option('--metric <k=v>', 'a metric (repeatable)', keyValue('metric'))
    .option('--param <k=v>', 'a training parameter (repeatable)', keyValue('param'))
    .option('--tag <k=v>', 'a tag (repeatable)', keyValue('tag'))
    .option('--description <text>', 'what this version is')
    .option('--experiment <name>', 'the experiment of the run')
    .option('--dataset <name@version>', 'a training dataset (repeatable)', collect)
    .option('--owner <identity>', 'owner of a new model (repeatable)', collect)
    .option('--policy <name>', 'policy of a new model')
    .option('--no-automations', 'do not run the policy\'s automations'))
    .action(async (path: string, model: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { importMLmodel } = await import('../../ops/import-mlmodel.js');
      const r = await importMLmodel(ctx, {
        path, model, artifact: o.artifact, version: o.version, bump: o.bump, metrics: o.metric, params: typedParams(o.param), tags: o.tag,
        description: o.description, experiment: o.experiment, datasets: o.dataset, owners: o.owner, policy: o.policy,
        noAutomations: o.automations === false, push: o.push, branch: o.branch,
      });
      await afterWrite(cmd, r, `register ${r.model} ${r.version}`);
      if (globals(cmd).json) return json(r);
      out(`Registered ${r.model} ${r.version} (${r.stage}) from MLmodel, digest ${r.digest} over ${r.files} files, in ${r.commit?.slice(0, 12)}${r.branch ? ` on ${r.branch}` : ''}`);
    });
}

function mlflowImportCommand(imp: Command): void {
  imp.command('mlflow')
    .description('migrate an MLflow Model Registry over its REST API: every version one commit, then stages and aliases (rerun to resume)')
    .requiredOption('--registry-uri <url>', 'the MLflow tracking server, e.g. http://localhost:5000')
    .option('--model <name>', 'only this model (repeatable)', collect)
    .option('--push', 'push after each commit')
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { importMlflow } = await import('../../ops/import-mlflow.js');
      const r = await importMlflow(ctx, { registryUri: o.registryUri, models: o.model, push: o.push });
      // Something left undone (a model not imported, a stage or alias the policy refused) is exit 1.
      if (r.models.some((m) => m.error || m.stages.some((s) => !s.applied) || m.aliases.some((a) => !a.applied))) process.exitCode = 1;
      if (globals(cmd).json) return json(r);
      for (const m of r.models) {
        if (m.error) { out(`${m.model}: not imported: ${m.error}`); continue; }
        out(`${m.model}: ${m.imported.length} version(s) imported${m.skipped.length ? `, ${m.skipped.length} already here` : ''}`);
        for (const s of m.stages) out(`  ${m.model} ${s.version} -> ${s.stage}${s.applied ? '' : ` not applied: ${s.reason}`}`);
        for (const a of m.aliases) out(`  ${m.model}@${a.alias} -> ${a.version}${a.applied ? '' : ` not applied: ${a.reason}`}`);
      }
      out(`${r.commits} commit(s).`);
    });
}

function exportCommand(program: Command): void {
  program.command('export').description('mirror the registry elsewhere').command('mlflow')
    .description('mirror models, versions, stages and aliases into an MLflow Model Registry (rerun to add what is new)')
    .requiredOption('--registry-uri <url>', 'the MLflow tracking server, e.g. http://localhost:5000')
    .option('--model <name>', 'only this model (repeatable)', collect)
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { exportMlflow } = await import('../../ops/export-mlflow.js');
      const r = await exportMlflow(ctx, { registryUri: o.registryUri, models: o.model });
      if (globals(cmd).json) return json(r);
      for (const m of r.models) {
        const made = Object.entries(m.exported);
        out(`${m.model}${m.created ? ' (created)' : ''}: ${made.length} version(s) exported${made.length ? ` (${made.map(([s, n]) => `${s} as ${n}`).join(', ')})` : ''}${m.skipped.length ? `, ${m.skipped.length} already there` : ''}`);
        for (const n of m.notes) out(`  ${n}`);
      }
    });
}

export function importCommands(program: Command): void {
  const imp = importFromCommand(program);
  mlmodelCommand(imp);
  mlflowImportCommand(imp);
  exportCommand(program);
}
