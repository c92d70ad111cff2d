import { RegistryError } from '../errors/index.js';
import type { Decision } from '../policy/index.js';

/** A policy denial as an error (exit 1) that carries the checklist. */
export function deniedError(what: string, d: Decision): RegistryError {
  const failed = d.checks.filter((c) => !c.ok);
  const lines = failed.map((c) => `  ✗ ${c.name}: needs ${c.expected}, found ${c.actual}`);
  return new RegistryError('DENIED', `Denied by policy: ${d.message}${lines.length ? `\n${lines.join('\n')}` : ''}`, { action: what, decision: d as unknown as Record<string, unknown> });
}
