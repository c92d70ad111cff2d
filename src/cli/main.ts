/**
 * The `modelreg` command. Commands load their modules lazily so `--help` and light commands
 * start fast; one handler turns errors into a message and an exit code.
 */
import { Command } from 'commander';
import { registerCommand } from './commands/register.js';
import { readCommands } from './commands/read.js';
import { writeCommands } from './commands/write.js';
import { workflowCommands } from './commands/workflow.js';
import { governanceCommands } from './commands/governance.js';
import { collaborationCommands } from './commands/collab.js';
import { importCommands } from './commands/import.js';
import { eventsCommand } from './commands/events.js';
import { notifyCommand } from './commands/notify.js';
import { deployCommands } from './commands/deploy.js';
import { watchCommand } from './commands/watch.js';
import { handleError } from './errors.js';
import { serveCommands } from './commands/serve.js';
import { modelCommands } from './commands/model.js';

/**
 * Each module's registrar and the commands it adds. A command line that names one of them
 * registers only that module's commands: building all of them (commander objects for some 45
 * commands and their options) was about 1 % of a `resolve`'s instructions. Help, usage and an
 * unknown command (for commander's suggestions) register everything. test/cli/program.test.ts
 * checks the names against what each registrar adds.
 */
const REGISTRARS: ReadonlyArray<readonly [(program: Command) => void, readonly string[]]> = [
  [registerCommand, ['register']],
  [readCommands, ['list', 'show', 'resolve', 'download', 'history']],
  [writeCommands, ['tag', 'describe', 'alias']],
  [workflowCommands, ['transition', 'promote', 'check', 'init']],
  [governanceCommands, ['approve', 'policy', 'explain', 'rollback', 'deprecate', 'delete', 'search', 'compare', 'best']],
  [collaborationCommands, ['diff', 'sync', 'codeowners', 'doctor']],
  [importCommands, ['import', 'export']],
  [serveCommands, ['serve', 'renumber']],
  [eventsCommand, ['events']],
  [notifyCommand, ['notify']],
  [deployCommands, ['deploy']],
  [modelCommands, ['model']],
  [watchCommand, ['watch']],
];

/** The program with every command, or with only the module of `command` when one adds it. */
export function buildProgram(command?: string): Command {
  const program = new Command('modelreg')
    .description('A model registry that lives in a Git repository.')
    .option('-C, --registry <dir>', 'a folder inside the registry repository (default: the current one)')
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const only = command === undefined ? undefined : REGISTRARS.find(([, names]) => names.includes(command));
  for (const [register] of only ? [only] : REGISTRARS) register(program);
  return program;
}

/** The command a command line names: its first argument that is neither an option nor the value of -C. */
export function commandOf(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-C' || a === '--registry') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<void> {
  // `modelreg --version` / `-V` only before a command: `register --version 2.0.0` is the model version.
  if (argv[2] === '--version' || argv[2] === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const program = buildProgram(commandOf(argv));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = await handleError(e, { json: argv.includes('--json'), debug: argv.includes('--debug') });
  }
}
