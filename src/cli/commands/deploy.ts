/** `modelreg deploy`: record which version serves in which environment, and say what is deployed where. */
import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, writeOptions } from '../io.js';

export function deployCommands(program: Command): void {
  const deploy = program.command('deploy').description('which version serves in which environment (deployments/<env>/<model>.yaml)');
  writeOptions(deploy.command('record')
    .description('record that a version now serves in an environment (one commit; event deployment.recorded)')
    .argument('<model>')
    .argument('<version>')
    .requiredOption('--env <env>', 'the environment: lower-case letters, digits, _ and - (staging, production, eu-west)')
    .option('--url <url>', 'where it serves (http or https); default: the url recorded before for this environment')
    .option('--status <status>', 'succeeded, failed or rolled-back', 'succeeded'))
    .action(async (model: string, version: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { recordDeployment } = await import('../../ops/deploy.js');
      const r = await recordDeployment(ctx, { model, version, env: o.env, url: o.url, status: o.status, push: o.push, branch: o.branch });
      const what = `${r.model} ${r.version} in ${r.env}: ${r.status}${r.previous && r.previous.version !== r.version ? ` (was ${r.previous.version})` : ''}`;
      if (globals(cmd).json) json(r);
      else out(r.commit ? `Recorded ${what} in ${r.commit.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}` : `Recorded ${what}: nothing to change`);
      await afterWrite(cmd, r, `deploy ${r.model} ${r.version} to ${r.env}`);
    });
  deploy.command('list')
    .description('what is deployed where: every environment of every model (or of one)')
    .argument('[model]')
    .option('--at <ref|date>', 'the registry as it was at a ref or date')
    .action(async (model: string | undefined, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { deployments } = await import('../../ops/deployments.js');
      const r = await deployments(ctx, { model, at: o.at });
      if (globals(cmd).json) return json({ deployments: r });
      const lines: string[] = [];
      for (const [m, envs] of Object.entries(r)) {
        for (const [env, d] of Object.entries(envs)) lines.push(`${m}  ${env}  ${d.version}  ${d.status}${d.url ? `  ${d.url}` : ''}  (${d.at} by ${d.by})`);
      }
      out(lines.join('\n') || 'No deployments recorded.');
    });
}
