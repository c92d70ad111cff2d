import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODEL_SHAPE, VERSION_SHAPE, type Shape } from '../../src/policy/shapes.js';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; $ref?: string; additionalProperties?: unknown; definitions?: Record<string, JsonSchema> };

const schema = (name: string): JsonSchema => JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8'));

/** The object fields of a schema, as paths, so the guard shapes can be compared with it. */
function schemaPaths(s: JsonSchema, root: JsonSchema, prefix: string, out: string[]): string[] {
  const node = s.$ref ? root.definitions![s.$ref.split('/').pop()!] : s;
  if (node.properties) for (const [k, v] of Object.entries(node.properties)) { out.push(`${prefix}${k}`); schemaPaths(v, root, `${prefix}${k}.`, out); }
  if (node.items) schemaPaths(node.items, root, `${prefix}[].`, out);
  return out;
}

function shapePaths(s: Shape, prefix: string, out: string[]): string[] {
  if (s.kind === 'object') for (const [k, v] of Object.entries(s.fields)) { out.push(`${prefix}${k}`); shapePaths(v, `${prefix}${k}.`, out); }
  if (s.kind === 'list') shapePaths(s.items, `${prefix}[].`, out);
  return out;
}

describe('guard shapes', () => {
  it('have exactly the fields of the version schema', () => {
    const s = schema('version');
    expect(shapePaths(VERSION_SHAPE, '', []).sort()).toEqual(schemaPaths(s, s, '', []).sort());
  });

  it('have exactly the fields of the model schema', () => {
    const s = schema('model');
    expect(shapePaths(MODEL_SHAPE, '', []).sort()).toEqual(schemaPaths(s, s, '', []).sort());
  });
});
