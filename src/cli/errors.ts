/**
 * The one place errors and results become output and exit codes: `handleError` for what a
 * command threw, `exitFor` for what a command returned (a check result or a policy decision).
 */
import { CommanderError } from 'commander';
import { exitCode } from '../domain/check-result.js';
import type { RegistryError } from '../errors/index.js';

/** Sets the exit code a command's result calls for (0 clean or allowed, 1 failed or denied). */
export function exitFor(result: Parameters<typeof exitCode>[0]): void {
  process.exitCode = exitCode(result);
}

/**
 * `watch`'s exit code by analysis phase. Inconclusive is 75 (EX_TEMPFAIL of sysexits.h, "try
 * again later"): no other command uses it, and a job runner can retry on it.
 */
export const WATCH_EXIT_CODES = { Successful: 0, Failed: 1, Inconclusive: 75 } as const;

/** A policy denial under --json: the decision (what was judged, its checklist) beside the error. */
function denialJson(e: RegistryError): Record<string, unknown> | undefined {
  const d = e.data.decision as { checks?: unknown[]; message?: string } | undefined;
  if (e.code !== 'DENIED' || !d) return undefined;
  return { allowed: false, ...(e.data.subject as Record<string, unknown> | undefined), checks: d.checks, message: d.message, error: e.toJSON() };
}

export async function handleError(e: unknown, o: { json: boolean; debug: boolean }): Promise<number> {
  // Usage errors: commander has printed the message and the help (--help and --version exit 0).
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  const { RegistryError } = await import('../errors/index.js');
  if (e instanceof RegistryError) {
    if (o.json) process.stdout.write(`${JSON.stringify(denialJson(e) ?? { error: e.toJSON() }, null, 2)}\n`);
    const { printable } = await import('../domain/issues.js');
    process.stderr.write(`modelreg: ${printable(e.message)}\n`);
    if (o.debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && (err.code === 'ENOSPC' || err.code === 'EROFS' || err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EDQUOT')) {
    const what = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'the disk is full' : 'the file system refused the write (read-only or no permission)';
    const message = `${what}${err.path ? `: ${err.path}` : ''}. Nothing was committed; free space or fix permissions and run the command again.`;
    if (o.json) process.stdout.write(`${JSON.stringify({ error: { code: 'IO', message, data: { errno: err.code, ...(err.path ? { path: err.path } : {}) } } }, null, 2)}\n`);
    process.stderr.write(`modelreg: ${message}\n`);
    if (o.debug) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
  process.stderr.write(`modelreg: unexpected error: ${(e as Error)?.message ?? String(e)}\nThis is a bug in modelreg; please report it with the output of the same command run with --debug.\n`);
  if (o.debug) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  return 70;
}
