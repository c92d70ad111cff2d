import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, writeOptions } from '../io.js';

/** `model rename` and `model delete`: whole-model changes, one commit each, refused while a version serves. */
export function modelCommands(program: Command): void {
  const model = program.command('model').description('rename or delete a whole model (one commit; refused while a version is in a protected stage)');
  writeOptions(model.command('rename').description('move a model to a new name: its folder and every file, in one commit')
    .argument('<model>').argument('<new-name>').option('--reason <text>'))
    .action(async (name: string, to: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { renameModel } = await import('../../ops/model-admin.js');
      const r = await renameModel(ctx, { model: name, to, reason: o.reason, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `rename model ${r.model} to ${r.to}`);
      if (globals(cmd).json) return json(r);
      out(`Renamed ${r.model} to ${r.to} (${r.versions} version${r.versions === 1 ? '' : 's'}) in ${r.commit?.slice(0, 12)} on ${r.branch}`);
    });
  writeOptions(model.command('delete').description('delete a model and all its versions (one commit)')
    .argument('<model>').option('--reason <text>'))
    .action(async (name: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { deleteModel } = await import('../../ops/model-admin.js');
      const r = await deleteModel(ctx, { model: name, reason: o.reason, push: o.push, branch: o.branch });
      await afterWrite(cmd, r, `delete model ${r.model}`);
      if (globals(cmd).json) return json(r);
      out(`Deleted model ${r.model} (${r.versions} version${r.versions === 1 ? '' : 's'}) in ${r.commit?.slice(0, 12)} on ${r.branch}`);
    });
}
