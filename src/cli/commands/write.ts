import type { Command } from 'commander';
import { afterWrite, context, globals, json, out, writeOptions } from '../io.js';

async function done(cmd: Command, r: { commit?: string; branch: string; pushed?: boolean }, what: string): Promise<void> {
  if (globals(cmd).json) json(r);
  else out(r.commit ? `${what} in ${r.commit.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}` : `${what}: nothing to change`);
  await afterWrite(cmd, r, what);
}

function parseTags(items: string[]): { set: Record<string, string>; del: string[] } {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const i of items) {
    const eq = i.indexOf('=');
    if (eq > 0) set[i.slice(0, eq)] = i.slice(eq + 1);
    else del.push(i);
  }
  return { set, del };
}

/** `tag set MODEL [VERSION] K=V…`: a VERSION-looking second argument is the version. */
function splitTarget(args: string[]): { version?: string; rest: string[] } {
  if (args.length && /^\d+\.\d+\.\d+/.test(args[0]) && !args[0].includes('=')) return { version: args[0], rest: args.slice(1) };
  return { rest: args };
}

export function writeCommands(program: Command): void {
  const tag = program.command('tag').description('set or delete tags on a model or a version');
  writeOptions(tag.command('set').argument('<model>').argument('<args...>', '[VERSION] KEY=VALUE…').description('set tags (one commit)'))
    .action(async (model: string, args: string[], o, cmd: Command) => {
      const ctx = await context(cmd);
      const { tag: run } = await import('../../ops/metadata.js');
      const { version, rest } = splitTarget(args);
      const { set, del } = parseTags(rest);
      if (del.length) {
        const { RegistryError } = await import('../../errors/index.js');
        throw new RegistryError('BAD_INPUT', `tag set needs KEY=VALUE, got ${del.map((d) => `'${d}'`).join(', ')}.`, {});
      }
      const r = await run(ctx, { model, version, set, push: o.push, branch: o.branch });
      await done(cmd, r, `Tagged ${r.model}${r.version ? ` ${r.version}` : ''}`);
    });
  writeOptions(tag.command('delete').argument('<model>').argument('<args...>', '[VERSION] KEY…').description('delete tags (one commit)'))
    .action(async (model: string, args: string[], o, cmd: Command) => {
      const ctx = await context(cmd);
      const { tag: run } = await import('../../ops/metadata.js');
      const { version, rest } = splitTarget(args);
      const r = await run(ctx, { model, version, delete: rest.map((k) => k.split('=')[0]), push: o.push, branch: o.branch });
      await done(cmd, r, `Untagged ${r.model}${r.version ? ` ${r.version}` : ''}`);
    });

  writeOptions(program.command('describe').description('set the description of a model or a version (one commit)')
    .argument('<model>').argument('<args...>', '[VERSION] TEXT'))
    .action(async (model: string, args: string[], o, cmd: Command) => {
      const ctx = await context(cmd);
      const { describe } = await import('../../ops/metadata.js');
      const { version, rest } = args.length > 1 ? splitTarget(args) : { version: undefined, rest: args };
      const r = await describe(ctx, { model, version, description: rest.join(' '), push: o.push, branch: o.branch });
      await done(cmd, r, `Described ${r.model}${r.version ? ` ${r.version}` : ''}`);
    });

  const alias = program.command('alias').description('point an alias (e.g. champion) at a version, or remove it');
  writeOptions(alias.command('set').argument('<model>').argument('<alias>').argument('<version>').description('set an alias (one commit; gated by the policy)'))
    .action(async (model: string, name: string, version: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { alias: run } = await import('../../ops/metadata.js');
      const r = await run(ctx, { model, alias: name, version, push: o.push, branch: o.branch });
      await done(cmd, r, `${r.model}@${r.alias} -> ${r.version}${r.previous ? ` (was ${r.previous})` : ''}`);
    });
  writeOptions(alias.command('delete').argument('<model>').argument('<alias>').description('remove an alias (one commit)'))
    .action(async (model: string, name: string, o, cmd: Command) => {
      const ctx = await context(cmd);
      const { alias: run } = await import('../../ops/metadata.js');
      const r = await run(ctx, { model, alias: name, push: o.push, branch: o.branch });
      await done(cmd, r, `Removed ${r.model}@${r.alias} (was ${r.previous})`);
    });
}
