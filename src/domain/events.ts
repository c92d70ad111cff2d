/**
 * What changed in a registry, as a typed union that can describe itself to a person.
 * History, diff and the pull-request check all speak in these events.
 */
export type RegistryEvent =
  | { type: 'model-create'; model: string }
  | { type: 'model-delete'; model: string }
  | { type: 'model-update'; model: string; field: string; from?: unknown; to?: unknown; initial?: boolean }
  | { type: 'register'; model: string; version: string; stage: string }
  | { type: 'transition'; model: string; version: string; from: string; to: string; archives?: string[]; replaces?: string[] }
  | { type: 'alias'; model: string; alias: string; from?: string; to?: string }
  | { type: 'tag'; model: string; version?: string; key: string; from?: string; to?: string; initial?: boolean }
  | { type: 'description'; model: string; version?: string; from?: string; to?: string; initial?: boolean }
  | { type: 'approval'; model: string; version: string; by: string; stage: string; at: string; comment?: string }
  | { type: 'approval-removed'; model: string; version: string; by: string; stage: string; at: string; comment?: string }
  | { type: 'deprecate'; model: string; version: string; deprecated: boolean; initial?: boolean }
  | { type: 'delete'; model: string; version: string }
  | { type: 'immutable-change'; model: string; version: string; field: string }
  | { type: 'policy-change'; policy: string; file: string; change: 'added' | 'modified' | 'deleted' }
  | { type: 'config-change'; file: string }
  | { type: 'deployment'; model: string; env: string; version: string; status: string; url?: string; previous?: string }
  | { type: 'deployment-removed'; model: string; env: string; version: string }
  // A failed monitoring analysis recorded under analysis/ (`modelreg watch`); `action` says what watch did.
  | { type: 'analysis'; model: string; version: string; stage: string; action: string; file: string; restored?: string; reason?: string };

/**
 * Whether an event only describes the starting content of a model or version created in the
 * same change (its owners, tags, description): part of the creation, not a change of its own.
 */
export function isInitial(e: RegistryEvent): boolean {
  return 'initial' in e && e.initial === true;
}

function q(v: unknown): string {
  return v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** One line a reviewer reads. */
export function describeEvent(e: RegistryEvent): string {
  switch (e.type) {
    case 'model-create': return `${e.model}: new model`;
    case 'model-delete': return `${e.model}: model removed`;
    case 'model-update': return `${e.model}: ${e.field} ${q(e.from)} → ${q(e.to)}`;
    case 'register': return `${e.model} ${e.version}: registered (${e.stage})`;
    case 'transition': return `${e.model} ${e.version}: ${e.from} → ${e.to}${e.archives?.length ? `, archives ${e.archives.join(', ')}` : ''}${e.replaces?.length ? `, replaces ${e.replaces.join(', ')}` : ''}`;
    case 'alias': return e.to === undefined ? `${e.model}@${e.alias}: removed (was ${e.from})` : `${e.model}@${e.alias}: ${e.from ?? '(none)'} → ${e.to}`;
    case 'tag': return `${e.model}${e.version ? ` ${e.version}` : ''}: tag ${e.key} ${e.to === undefined ? `removed (was ${q(e.from)})` : `${q(e.from)} → ${q(e.to)}`}`;
    case 'description': return `${e.model}${e.version ? ` ${e.version}` : ''}: description changed`;
    case 'approval': return `${e.model} ${e.version}: approved for ${e.stage} by ${e.by}`;
    case 'approval-removed': return `${e.model} ${e.version}: approval for ${e.stage} by ${e.by} removed`;
    case 'deprecate': return `${e.model} ${e.version}: ${e.deprecated ? 'deprecated' : 'no longer deprecated'}`;
    case 'delete': return `${e.model} ${e.version}: deleted`;
    case 'immutable-change': return `${e.model} ${e.version}: immutable field ${e.field} changed`;
    case 'policy-change': return `policy ${e.policy} (${e.file}) ${e.change}`;
    case 'config-change': return `${e.file} changed`;
    case 'deployment': return `${e.model} ${e.version}: deployed to ${e.env} (${e.status})${e.previous ? `, was ${e.previous}` : ''}${e.url ? ` at ${e.url}` : ''}`;
    case 'deployment-removed': return `${e.model} ${e.version}: deployment record for ${e.env} removed`;
    case 'analysis': return `${e.model} ${e.version}: analysis in ${e.stage} failed (${e.action}${e.restored ? `, ${e.restored} restored` : ''})`;
  }
}
