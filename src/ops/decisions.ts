import { RegistryError } from '../errors/index.js';
import { renderFailedChecks, type Decision } from '../policy/index.js';

/** A policy denial as an error (exit 1) that carries the checklist. */
export function deniedError(what: string, d: Decision, subject: Record<string, unknown> = {}): RegistryError {
  const lines = renderFailedChecks(d);
  return new RegistryError('DENIED', `Denied by policy: ${d.message}${lines ? `\n${lines}` : ''}`, { action: what, decision: d as unknown as Record<string, unknown>, ...(Object.keys(subject).length ? { subject } : {}) });
}
