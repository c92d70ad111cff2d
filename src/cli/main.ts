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

export function buildProgram(): Command {
  const program = new Command('modelreg')
    .description('A model registry that lives in a Git repository.')
    .option('-C, --registry <dir>', 'a folder inside the registry repository (default: the current one)')
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommand(program);
  readCommands(program);
  writeCommands(program);
  workflowCommands(program);
  governanceCommands(program);
  collaborationCommands(program);
  importCommands(program);
  serveCommands(program);
  eventsCommand(program);
  notifyCommand(program);
  deployCommands(program);
  modelCommands(program);
  watchCommand(program);
  return program;
}

export const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<void> {
  // `modelreg --version` / `-V` only before a command: `register --version 2.0.0` is the model version.
  if (argv[2] === '--version' || argv[2] === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = await handleError(e, { json: argv.includes('--json'), debug: argv.includes('--debug') });
  }
}
