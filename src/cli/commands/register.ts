import type { Command } from 'commander';
import { afterWrite, collect, context, globals, json, keyValue, out, typedParams, writeOptions } from '../io.js';

export function registerCommand(program: Command): void {
  writeOptions(program.command('register')
    .description('register a new model version (one commit); creates the model on its first registration')
    .argument('<model>', 'model name, e.g. churn or fraud/churn')
    .requiredOption('--artifact <uri>', 'where the artifact lives: s3://, gs://, file://, https://, runs:/')
    .option('--file <path>', 'a local copy of the artifact: records its sha256 digest and size')
    .option('--version <x.y.z>', 'the version (default: bump the highest)')
    .option('--bump <part>', 'major, minor or patch (default: the policy\'s defaultBump, minor)')
    .option('--metric <k=v>', 'a metric (repeatable)', keyValue('metric'))
    .option('--param <k=v>', 'a training parameter (repeatable)', keyValue('param'))
    .option('--tag <k=v>', 'a tag (repeatable)', keyValue('tag'))
    .option('--description <text>', 'what this version is')
    .option('--run-id <id>', 'the training run (e.g. MLflow run id)')
    .option('--run-uri <uri>', 'link to the training run')
    .option('--experiment <name>', 'the experiment of the run')
    .option('--source-repo <url>', 'repository of the training code')
    .option('--source-commit <sha>', 'commit of the training code')
    .option('--dataset <name@version>', 'a training dataset (repeatable)', collect)
    .option('--signature <file>', 'model signature (JSON or YAML with inputs and outputs)')
    .option('--framework <name[@version]>', 'e.g. sklearn@1.5.0')
    .option('--format <format>', 'artifact format, e.g. pickle, onnx')
    .option('--owner <identity>', 'owner of a new model (repeatable; default: you)', collect)
    .option('--policy <name>', 'policy of a new model (default: default)')
    .option('--no-automations', 'do not run the policy\'s automations after registering'))
    .action(async (model: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { register } = await import('../../ops/register.js');
      const { readSignature } = await import('../signature.js');
      const fw = o.framework ? { name: o.framework.split('@')[0], ...(o.framework.includes('@') ? { version: o.framework.split('@')[1] } : {}) } : undefined;
      const r = await register(ctx, {
        model, artifact: { uri: o.artifact, file: o.file, format: o.format }, version: o.version, bump: o.bump,
        metrics: o.metric, params: typedParams(o.param), tags: o.tag, description: o.description,
        lineage: { run: { id: o.runId, uri: o.runUri, experiment: o.experiment }, code: { repo: o.sourceRepo, commit: o.sourceCommit }, datasets: o.dataset },
        signature: o.signature ? await readSignature(o.signature) : undefined, framework: fw,
        newModel: { owners: o.owner, policy: o.policy }, noAutomations: o.automations === false, push: o.push, branch: o.branch,
      });
      await afterWrite(cmd, r, `register ${r.model} ${r.version}`);
      if (globals(cmd).json) return json(r);
      out(`Registered ${r.model} ${r.version} (${r.stage}) in ${r.commit?.slice(0, 12)}${r.branch ? ` on ${r.branch}` : ''}${r.pushed ? ', pushed' : ''}`);
      if (r.automation) {
        const a = r.automation;
        if ('error' in a) out(`Automation to ${a.stage} did not apply: ${a.error}`);
        else out(`Automation: ${r.model} ${r.version} ${a.from} -> ${a.stage} in ${a.commit?.slice(0, 12)}`);
      }
    });
}
