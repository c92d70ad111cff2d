/**
 * Rendering records as files: a `$schema` line so editors validate, keys in a fixed order,
 * maps whose order carries no meaning sorted, so the tool's output is stable.
 */
import { posix } from 'node:path';
import { yamlLibrary } from './yaml-file.js';
import type { ModelVersion, RegisteredModel, RegistryConfig } from './schema-types.js';
import type { ResolvedConfig } from './state.js';

const VERSION_ORDER = ['model', 'version', 'stage', 'number', 'description', 'tags', 'artifact', 'framework', 'signature', 'metrics', 'params', 'lineage', 'created', 'approvals', 'deprecated'];
const MODEL_ORDER = ['name', 'description', 'owners', 'tags', 'aliases', 'policy', 'created', 'deletedVersions'];
const SORTED_MAPS = new Set(['tags', 'metrics', 'params', 'aliases']);

function ordered(record: object, order: string[]): Record<string, unknown> {
  const src = record as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of [...order, ...Object.keys(src).filter((k) => !order.includes(k)).sort()]) {
    const v = src[k];
    if (v === undefined) continue;
    if (SORTED_MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      if (Object.keys(v).length === 0) continue;
      out[k] = Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    } else out[k] = v;
  }
  return out;
}

/** The `$schema` path from a file to the registry's schema folder. */
export function schemaRef(cfg: ResolvedConfig, file: string, schema: 'version' | 'model' | 'policy' | 'config' | 'deployment' | 'analysis'): string {
  return posix.relative(posix.dirname(file), `${cfg.schemas}/${schema}.schema.json`);
}

export function renderYaml(value: unknown, schemaPath?: string): string {
  // The yaml library loads here, on first use: a `tag set` imports this module for
  // `normalizeField` and, its edit done by a line scan, never loads it.
  const body = yamlLibrary().stringify(value, { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });
  return (schemaPath ? `# yaml-language-server: $schema=${schemaPath}\n` : '') + body;
}

export function renderVersion(cfg: ResolvedConfig, file: string, record: ModelVersion): string {
  return renderYaml(ordered(record, VERSION_ORDER), schemaRef(cfg, file, 'version'));
}

export function renderModel(cfg: ResolvedConfig, file: string, record: RegisteredModel): string {
  return renderYaml(ordered(record, MODEL_ORDER), schemaRef(cfg, file, 'model'));
}

export function renderConfig(cfg: RegistryConfig): string {
  return renderYaml(cfg, '.modelreg/schemas/config.schema.json');
}

/** Value in the order and form a renderer would write it (used for edits of one field). */
export function normalizeField(key: string, value: unknown): unknown {
  if (SORTED_MAPS.has(key) && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return value;
}
