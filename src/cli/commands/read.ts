import type { Command } from 'commander';
import { bufferedStdout, context, globals, json, out, positiveInt } from '../io.js';

export function readCommands(program: Command): void {
  program.command('list')
    .description('every model with its latest version, stages and aliases')
    .option('--at <ref|date>', 'the registry as it was at a ref (branch, tag, commit) or date')
    .option('--ref <ref>', 'same as --at')
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { list } = await import('../../ops/read.js');
      const r = await list(ctx, { at: o.at ?? o.ref });
      if (globals(cmd).json) return json(r);
      const { renderList } = await import('../../report/text.js');
      out(renderList(r.models));
    });

  program.command('show')
    .description('a model with all its versions (newest first), or one version\'s full record')
    .argument('<model>')
    .argument('[version]')
    .option('--at <ref|date>', 'the registry as it was at a ref or date')
    .option('--ref <ref>', 'same as --at')
    .action(async (model: string, version: string | undefined, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { show } = await import('../../ops/read.js');
      const { renderModel, renderVersion } = await import('../../report/text.js');
      if (version) {
        const r = await show(ctx, { model, version, at: o.at ?? o.ref });
        if (globals(cmd).json) return json(r);
        // The environments this version is deployed in (the record itself stays the file's content).
        const { versionDeployments } = await import('../../ops/deployments.js');
        return out(renderVersion(r, await versionDeployments(ctx, { model: r.model, version: r.version, at: o.at ?? o.ref })));
      }
      const r = await show(ctx, { model, at: o.at ?? o.ref });
      return globals(cmd).json ? json(r) : out(renderModel(r));
    });

  program.command('resolve')
    .description('which version a model URI names: models:/NAME/VERSION, /STAGE, @ALIAS, /latest, /^2')
    .argument('<uri>')
    .option('--at <ref|date>', 'the registry as it was at a ref or date')
    .option('--ref <ref>', 'same as --at')
    .action(async (uri: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { resolve } = await import('../../ops/read.js');
      const r = await resolve(ctx, { uri, at: o.at ?? o.ref });
      if (globals(cmd).json) {
        const { record, ...rest } = r;
        return json({ ...rest, created: record.created, metrics: record.metrics ?? {} });
      }
      const deployed = Object.entries(r.deployments).map(([env, d]) => `${env}${d.status === 'succeeded' ? '' : ` (${d.status})`}`);
      out(`${r.model} ${r.version} (${r.stage}${r.aliases.length ? `, @${r.aliases.join(' @')}` : ''})\n${r.artifact.uri}${r.artifact.digest ? `\n${r.artifact.digest}` : ''}${deployed.length ? `\ndeployed in ${deployed.join(', ')}` : ''}`);
    });

  program.command('download')
    .description('resolve a model URI and fetch its artifact (file://, http(s)://), verifying size and digest')
    .argument('<uri>')
    .option('--dest <dir>', 'where to save it', '.')
    .option('--at <ref|date>', 'the registry as it was at a ref or date')
    .action(async (uri: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { download } = await import('../../ops/download.js');
      const r = await download(ctx, { uri, dest: o.dest, at: o.at });
      if (globals(cmd).json) return json(r);
      out(r.path);
    });

  program.command('history')
    .description('what happened, newest first: registrations, transitions, approvals, alias moves, rollbacks')
    .argument('[model]')
    .option('--since <ref|date>', 'stop at this ref or date')
    .option('--limit <n>', 'at most n commits', positiveInt)
    .option('--ref <ref>', 'start from this ref instead of the registry branch')
    .action(async (model: string | undefined, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { historyStream } = await import('../../ops/history.js');
      const { renderHistory } = await import('../../report/text.js');
      // Printed as the walk finds them (a deep history never waits for, or holds, its whole list).
      const asJson = globals(cmd).json;
      const w = bufferedStdout();
      let n = 0;
      for await (const e of historyStream(ctx, { model, since: o.since, limit: o.limit, ref: o.ref, smallYoungGeneration: true })) {
        if (asJson) w.write(`${n ? ',\n' : '{\n  "entries": [\n'}${JSON.stringify(e, null, 2).replace(/^/gm, '    ')}`);
        else w.write(`${n ? '\n' : ''}${renderHistory([e])}`);
        n++;
      }
      if (asJson) w.write(n ? '\n  ]\n}\n' : '{\n  "entries": []\n}\n');
      else w.write(n ? '\n' : 'No history.\n');
      w.flush();
    });
}
