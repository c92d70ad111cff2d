/**
 * The shapes of the values a guard sees (`version`, `model`, `actor`, `now`, `deployments`), so a guard that
 * names a field the records do not have (`version.metricz.auc`) is an error when the policy
 * loads, not a silent deny at evaluation. Mirrors schemas/version.schema.json and
 * schemas/model.schema.json; test/policy/shapes.test.ts fails when the two drift.
 */

export type Shape =
  | { kind: 'object'; fields: Record<string, Shape> }
  | { kind: 'map'; values: Shape }
  | { kind: 'list'; items: Shape }
  | { kind: 'scalar'; type: string };

const scalar = (type: string): Shape => ({ kind: 'scalar', type });
const object = (fields: Record<string, Shape>): Shape => ({ kind: 'object', fields });
const map = (values: Shape): Shape => ({ kind: 'map', values });
const list = (items: Shape): Shape => ({ kind: 'list', items });

const STRING = scalar('string');
const stamp = object({ at: STRING, by: STRING });
const columnSpec = object({ name: STRING, type: STRING, required: scalar('bool'), dtype: STRING, shape: list(scalar('double')) });

export const VERSION_SHAPE: Shape = object({
  model: STRING,
  version: STRING,
  number: scalar('double'),
  stage: STRING,
  description: STRING,
  tags: map(STRING),
  artifact: object({ uri: STRING, digest: STRING, size: scalar('double'), format: STRING }),
  framework: object({ name: STRING, version: STRING }),
  signature: object({ inputs: list(columnSpec), outputs: list(columnSpec), params: list(object({ name: STRING, type: STRING, default: scalar('dyn'), shape: list(scalar('double')) })) }),
  metrics: map(scalar('double')),
  params: map(scalar('dyn')),
  lineage: object({
    run: object({ id: STRING, uri: STRING, experiment: STRING }),
    code: object({ repo: STRING, commit: STRING }),
    data: list(object({ name: STRING, version: STRING, uri: STRING })),
    parent: STRING,
  }),
  created: stamp,
  origin: object({ registry: STRING, commit: STRING, model: STRING, version: STRING, stage: STRING }),
  approvals: list(object({ by: STRING, stage: STRING, at: STRING, comment: STRING })),
  deprecated: object({ at: STRING, by: STRING, reason: STRING }),
});

export const MODEL_SHAPE: Shape = object({
  name: STRING,
  description: STRING,
  owners: list(STRING),
  tags: map(STRING),
  aliases: map(STRING),
  policy: STRING,
  created: stamp,
  deletedVersions: list(STRING),
});

export const ACTOR_SHAPE: Shape = object({ email: STRING, name: STRING, github: STRING, groups: list(STRING) });

/** env → the version's deployment there (schemas/deployment.schema.json, less model and env). */
export const DEPLOYMENTS_SHAPE: Shape = map(object({ version: STRING, status: STRING, url: STRING, at: STRING, by: STRING }));

/** The variables a guard may use, and their shapes. */
export const ROOT_SHAPES: Record<string, Shape> = {
  version: VERSION_SHAPE,
  model: MODEL_SHAPE,
  actor: ACTOR_SHAPE,
  now: scalar('timestamp'),
  deployments: DEPLOYMENTS_SHAPE,
};

/**
 * The shape of `base.field`, or why there is none.
 * @example selectField(VERSION_SHAPE, 'metrics') // { shape: { kind: 'map', ... } }
 */
export function selectField(base: Shape | undefined, field: string): { shape?: Shape; error?: string } {
  if (!base) return {};
  switch (base.kind) {
    case 'object':
      return Object.hasOwn(base.fields, field) ? { shape: base.fields[field] } : { error: `has no field '${field}'; its fields are ${Object.keys(base.fields).join(', ')}` };
    case 'map':
      return { shape: base.values };
    case 'list':
      return { error: `is a list and has no field '${field}'; use an index or a macro such as exists()` };
    case 'scalar':
      return base.type === 'dyn' ? {} : { error: `is a ${base.type} and has no field '${field}'` };
  }
}
