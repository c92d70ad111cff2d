/** What every command shares: global options, output, and argument parsers. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

export interface GlobalOptions {
  registry?: string;
  json?: boolean;
  debug?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export async function context(cmd: Command) {
  const { Context } = await import('../ops/context.js');
  return Context.open({ dir: globals(cmd).registry, onProgress: (m) => process.stderr.write(`${m}\n`) });
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** stdout in chunks: one write per 16 kB or 100 ms, not one per line. */
export function bufferedStdout(): { write(text: string): void; flush(): void } {
  let buf = '';
  let last = Date.now();
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as git log does.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const flush = () => {
    if (buf) process.stdout.write(buf);
    buf = '';
    last = Date.now();
  };
  return { write: (t) => { buf += t; if (buf.length >= 16_384 || Date.now() - last > 100) flush(); }, flush };
}

export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Collects repeated `--metric k=v` options into a map. */
export function keyValue(kind: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected ${kind} as KEY=VALUE, got '${value}'`);
    return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
  };
}

/** `--limit 20`: a whole number of at least 1; anything else is refused (exit 2), not ignored. */
export function positiveInt(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`expected a whole number of at least 1, got '${value}'`);
  return Number(value);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--param lr=0.01`: numbers and booleans keep their type; everything else is a string. */
export function typedParams(input: Record<string, string> = {}): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === 'true' || v === 'false') out[k] = v === 'true';
    else if (/^-?\d+(\.\d+)?$/.test(v) && String(Number(v)) === v) out[k] = Number(v); // "1.0" stays a string, as MLflow keeps it
    else out[k] = v;
  }
  return out;
}

/** Write options shared by every command that commits. */
export function writeOptions(cmd: Command): Command {
  return cmd
    .option('--push', 'push after committing; a rejected push is retried on the new remote tip')
    .option('--branch [name]', 'commit on a new branch (for a pull request) instead of the registry branch')
    .option('--pr', 'with --branch: push the branch and open a pull request (GitHub) or merge request (GitLab); prints what to open by hand without a token')
    .hook('preAction', (_this, action) => {
      const o = action.opts();
      if (o.pr) {
        if (!o.branch) action.setOptionValue('branch', true);
        action.setOptionValue('push', true);
      }
    });
}

/** After a write with `--pr`: open the pull request and say where it is. */
export async function afterWrite(cmd: Command, result: { commit?: string; branch: string; subject?: string }, title: string): Promise<void> {
  const o = cmd.opts();
  if (!o.pr || !result.commit) return;
  const ctx = await context(cmd);
  const { openPullRequest } = await import('../ops/pull-request.js');
  const pr = await openPullRequest(ctx, { branch: result.branch, title });
  if (pr.url) process.stderr.write(`Opened ${pr.forge === 'gitlab' ? 'merge request' : 'pull request'} ${pr.url}\n`);
  else process.stderr.write(`${pr.manual}\n`);
}
