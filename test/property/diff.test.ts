/**
 * Property tests of the state diff (src/domain/diff.ts): the events of diffModel(a, b), applied
 * to a by the small applier below, give b, for the mutable fields. Immutable fields only ever
 * produce an `immutable-change` event (which the applier checks against the field that really
 * changed), so they are not compared.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffModel } from '../../src/domain/diff.js';
import type { RegistryEvent } from '../../src/domain/events.js';
import type { ModelState, ModelVersion, RegisteredModel, VersionState } from '../../src/domain/state.js';

type Approval = NonNullable<ModelVersion['approvals']>[number];

// ------------------------------------------------------------------ generators

const MODEL = 'churn';
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0', '2.0.1-rc.1', '3.0.0'];
const STAGES = ['None', 'Staging', 'Production', 'Archived'];
const PEOPLE = ['ada@example.com', 'bob@example.com', 'carol@example.com', 'github:dana'];
const TIMES = ['2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'];
const TAG_KEYS = ['dataset', 'team', 'owner', 'region'];
const TAG_VALUES = ['a', 'b', 'churn-2024', ''];
const ALIASES = ['champion', 'challenger', 'canary'];

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const tags = maybe(fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.constantFrom(...TAG_VALUES), { maxKeys: 4 }));
const description = maybe(fc.constantFrom('', 'first cut', 'retrained on March data', 'better recall'));

/**
 * Approvals of one version: one record per (person, stage, time), as `approve` records them, or
 * (`oncePerStage`) at most one per person and stage.
 */
const approvals = (withComments: boolean, oncePerStage: boolean) => maybe(fc.uniqueArray(
  fc.record({
    by: fc.constantFrom(...PEOPLE),
    stage: fc.constantFrom('Staging', 'Production', 'alias:champion', 'rollback'),
    at: fc.constantFrom(...TIMES),
    comment: withComments ? maybe(fc.constantFrom('lgtm', 'ship it', 'checked the eval')) : fc.constant(undefined),
  }).map((a) => (a.comment === undefined ? { by: a.by, stage: a.stage, at: a.at } : a) as Approval),
  { selector: (a) => (oncePerStage ? `${a.by}|${a.stage}` : `${a.by}|${a.stage}|${a.at}`), maxLength: 4 },
));

interface Options {
  /** Approvals may carry comments. */
  comments?: boolean;
  /** A person may have approved the same stage more than once (at different times). */
  reapprovals?: boolean;
}

const deprecated = maybe(fc.record({ at: fc.constantFrom(...TIMES), by: fc.constantFrom(...PEOPLE), reason: maybe(fc.constantFrom('leaks', 'superseded')) })
  .map((d) => (d.reason === undefined ? { at: d.at, by: d.by } : d)));

/** The immutable part of a version: the same in a and b (a registered version's record does not change). */
function baseRecord(version: string): ModelVersion {
  return { model: MODEL, version, stage: 'None', artifact: { uri: `s3://models/${MODEL}/${version}` }, created: { at: TIMES[0], by: PEOPLE[0] } };
}

function versionArb(version: string, o: Options): fc.Arbitrary<ModelVersion> {
  return fc.record({ stage: fc.constantFrom(...STAGES), tags, description, approvals: approvals(!!o.comments, !o.reapprovals), deprecated }).map((m) => {
    const r: ModelVersion = { ...baseRecord(version), stage: m.stage };
    if (m.tags !== undefined) r.tags = m.tags;
    if (m.description !== undefined) r.description = m.description;
    if (m.approvals !== undefined) r.approvals = m.approvals;
    if (m.deprecated !== undefined) r.deprecated = m.deprecated;
    return r;
  });
}

function modelRecordArb(versions: string[]): fc.Arbitrary<RegisteredModel> {
  return fc.record({
    description,
    owners: maybe(fc.uniqueArray(fc.constantFrom(...PEOPLE), { maxLength: 3 })),
    tags,
    aliases: maybe(fc.dictionary(fc.constantFrom(...ALIASES), fc.constantFrom(...(versions.length ? versions : VERSIONS)), { maxKeys: 3 })),
    policy: maybe(fc.constantFrom('default', 'strict')),
    deletedVersions: maybe(fc.uniqueArray(fc.constantFrom('0.1.0', '0.2.0', '0.9.0'), { maxLength: 2 })),
  }).map((m) => {
    const r: RegisteredModel = { name: MODEL, created: { at: TIMES[0], by: PEOPLE[0] } };
    for (const [k, v] of Object.entries(m)) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
    return r;
  });
}

/** A model state over `versions` (a subset of the pool). */
function stateArb(versions: fc.Arbitrary<string[]>, o: Options = {}): fc.Arbitrary<ModelState> {
  return versions.chain((vs) => fc.tuple(modelRecordArb(vs), fc.tuple(...vs.map((v) => versionArb(v, o))))
    .map(([record, recs]) => ({
      name: MODEL, dir: `registry/${MODEL}`, file: `registry/${MODEL}/model.yaml`, record,
      versions: new Map<string, VersionState>(recs.map((r) => [r.version, { record: r, file: `registry/${MODEL}/versions/${r.version}.yaml` }])),
    })));
}

const someVersions = fc.subarray(VERSIONS);

// ------------------------------------------------------------------ the applier

function clone<T>(v: T): T {
  return structuredClone(v);
}

function setOrDelete(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

/** Applies events to a model state (undefined: no model), as a consumer of the event stream would. */
function applyEvents(start: ModelState | undefined, events: RegistryEvent[]): ModelState | undefined {
  let s = start ? clone(start) : undefined;
  const version = (v: string): ModelVersion => {
    const found = s?.versions.get(v)?.record;
    if (!found) throw new Error(`event for ${v}, which the state does not have`);
    return found;
  };
  for (const e of events) {
    switch (e.type) {
      case 'model-create':
        if (s) throw new Error('model-create for an existing model');
        s = { name: e.model, dir: `registry/${e.model}`, file: `registry/${e.model}/model.yaml`, record: { name: e.model, created: { at: TIMES[0], by: PEOPLE[0] } }, versions: new Map() };
        break;
      case 'model-delete':
        s = undefined;
        break;
      case 'model-update':
        setOrDelete(s!.record as unknown as Record<string, unknown>, e.field, clone(e.to));
        break;
      case 'description':
        if (e.version) setOrDelete(version(e.version) as unknown as Record<string, unknown>, 'description', e.to);
        else setOrDelete(s!.record as unknown as Record<string, unknown>, 'description', e.to);
        break;
      case 'tag': {
        const holder = (e.version ? version(e.version) : s!.record) as { tags?: Record<string, string> };
        const t = { ...(holder.tags ?? {}) };
        setOrDelete(t, e.key, e.to);
        holder.tags = t;
        break;
      }
      case 'alias': {
        const a = { ...(s!.record.aliases ?? {}) };
        setOrDelete(a, e.alias, e.to);
        s!.record.aliases = a;
        break;
      }
      case 'register':
        if (s!.versions.has(e.version)) throw new Error(`register of ${e.version}, which exists`);
        s!.versions.set(e.version, { record: { ...baseRecord(e.version), stage: e.stage }, file: `registry/${e.model}/versions/${e.version}.yaml` });
        break;
      case 'delete':
        if (!s!.versions.delete(e.version)) throw new Error(`delete of ${e.version}, which does not exist`);
        break;
      case 'transition': {
        const r = version(e.version);
        if (r.stage !== e.from) throw new Error(`transition of ${e.version} from ${e.from}, but it is in ${r.stage}`);
        r.stage = e.to;
        break;
      }
      case 'approval': {
        const r = version(e.version);
        r.approvals = [...(r.approvals ?? []), { by: e.by, stage: e.stage, at: e.at, ...(e.comment ? { comment: e.comment } : {}) }];
        break;
      }
      case 'approval-removed': {
        const r = version(e.version);
        const list = [...(r.approvals ?? [])];
        const i = list.findIndex((a) => a.by.toLowerCase() === e.by.toLowerCase() && a.stage === e.stage && a.at === e.at && (a.comment ?? '') === (e.comment ?? ''));
        if (i < 0) throw new Error(`approval-removed of ${e.by} for ${e.stage}, which ${e.version} does not have`);
        list.splice(i, 1);
        r.approvals = list;
        break;
      }
      case 'deprecate': {
        const r = version(e.version);
        // The event says only whether the version is deprecated; the applier records that much.
        if (e.deprecated) r.deprecated = { at: '(deprecated)', by: '(deprecated)' };
        else delete r.deprecated;
        break;
      }
      case 'immutable-change':
        break;
      case 'policy-change':
      case 'config-change':
        throw new Error(`${e.type} from diffModel`);
    }
  }
  return s;
}

// ------------------------------------------------------------------ comparing mutable fields

const emptyToUndefined = <T extends object>(o: T | undefined) => (o && Object.keys(o).length ? o : undefined);
const emptyListToUndefined = <T>(l: T[] | undefined) => (l && l.length ? l : undefined);

function sortedObject(o: Record<string, unknown> | undefined) {
  return o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : undefined;
}

/** The mutable fields of a state, normalised: absent and empty maps alike, approvals as a set, deprecation as a flag. */
function mutable(s: ModelState | undefined) {
  if (!s) return undefined;
  const r = s.record;
  return {
    description: r.description,
    owners: emptyListToUndefined(r.owners),
    policy: r.policy,
    deletedVersions: emptyListToUndefined(r.deletedVersions),
    tags: sortedObject(emptyToUndefined(r.tags)),
    aliases: sortedObject(emptyToUndefined(r.aliases)),
    versions: [...s.versions.values()].map((v) => v.record).sort((a, b) => (a.version < b.version ? -1 : 1)).map((v) => ({
      version: v.version,
      stage: v.stage,
      description: v.description,
      tags: sortedObject(emptyToUndefined(v.tags)),
      approvals: (v.approvals ?? []).map((a) => `${a.by.toLowerCase()}|${a.stage}|${a.at}|${a.comment ?? ''}`).sort(),
      deprecated: !!v.deprecated,
    })),
  };
}

function roundTrip(a: ModelState | undefined, b: ModelState | undefined) {
  const events = diffModel(a, b);
  const applied = applyEvents(a, events);
  expect(mutable(applied), `events: ${JSON.stringify(events)}`).toEqual(mutable(b));
}

/** a and b over the same versions, with independent mutable fields (at most one approval per person and stage unless `reapprovals`). */
function sameVersions(o: Options = {}): fc.Arbitrary<[ModelState, ModelState]> {
  return someVersions.chain((vs) => fc.tuple(stateArb(fc.constant(vs), o), stateArb(fc.constant(vs), o)));
}

/** b over a subset of a's versions (deletions only). */
function deletions(): fc.Arbitrary<[ModelState, ModelState]> {
  return someVersions.chain((vs) => fc.tuple(stateArb(fc.constant(vs)), stateArb(fc.subarray(vs))));
}

describe('diffModel: events applied to a give b', () => {
  it('for the mutable fields of the model and of the versions present in both states', () => {
    fc.assert(fc.property(sameVersions(), ([a, b]) => roundTrip(a, b)), { numRuns: 1000 });
  });

  it('for states where versions were deleted in between', () => {
    fc.assert(fc.property(deletions(), ([a, b]) => roundTrip(a, b)), { numRuns: 500 });
  });

  it('for a model deleted altogether', () => {
    fc.assert(fc.property(stateArb(someVersions), (m) => roundTrip(m, undefined)), { numRuns: 200 });
  });

  it('reports an immutable-change event exactly for the immutable fields that changed', () => {
    const change = fc.record({
      artifact: fc.boolean(), metrics: fc.boolean(), params: fc.boolean(), signature: fc.boolean(), framework: fc.boolean(), lineage: fc.boolean(), created: fc.boolean(),
    });
    fc.assert(fc.property(stateArb(fc.constant(['1.0.0'])), change, (a, ch) => {
      const b = clone(a);
      const rec = b.versions.get('1.0.0')!.record;
      if (ch.artifact) rec.artifact = { uri: 's3://evil/swapped' };
      if (ch.metrics) rec.metrics = { auc: 0.99 };
      if (ch.params) rec.params = { lr: 0.1 };
      if (ch.signature) rec.signature = { inputs: [{ type: 'double' }] };
      if (ch.framework) rec.framework = { name: 'sklearn' };
      if (ch.lineage) rec.lineage = { parent: 'models:/churn/0.9.0' };
      if (ch.created) rec.created = { at: TIMES[2], by: PEOPLE[3] };
      const fields = diffModel(a, b).filter((e) => e.type === 'immutable-change').map((e) => (e as { field: string }).field).sort();
      const want = Object.entries(ch).filter(([, v]) => v).map(([k]) => k).sort();
      expect(fields).toEqual(want);
      roundTrip(a, b);
    }), { numRuns: 300 });
  });

  // The properties below fail on the current src/domain/diff.ts: each names what an event lacks.

  it('for states where versions were registered in between (a new version\'s tags, description and deprecation travel with it)', () => {
    fc.assert(fc.property(stateArb(someVersions), stateArb(someVersions), (a, b) => roundTrip(a, b)), { numRuns: 1000 });
  });

  it('for a model created between a and b (its owners, description, tags and policy travel with it)', () => {
    fc.assert(fc.property(stateArb(someVersions), (m) => roundTrip(undefined, m)), { numRuns: 300 });
  });

  it('when a person approved the same stage twice and one of the two approvals is removed (approval-removed must say which)', () => {
    // a: the person approved at two times; b keeps one of them. The removal event names the person and the stage only.
    const scenario = fc.record({
      base: stateArb(fc.constant(['1.0.0'])),
      by: fc.constantFrom(...PEOPLE),
      stage: fc.constantFrom('Staging', 'Production'),
      times: fc.shuffledSubarray(TIMES, { minLength: 2, maxLength: 2 }),
      keep: fc.nat(1),
    });
    fc.assert(fc.property(scenario, ({ base, by, stage, times, keep }) => {
      const a = clone(base);
      const ra = a.versions.get('1.0.0')!.record;
      ra.approvals = [...(ra.approvals ?? []).filter((x) => !(x.by === by && x.stage === stage)), ...times.map((at) => ({ by, stage, at }))];
      const b = clone(a);
      const rb = b.versions.get('1.0.0')!.record;
      rb.approvals = rb.approvals!.filter((x) => !(x.by === by && x.stage === stage && x.at === times[1 - keep]));
      roundTrip(a, b);
    }), { numRuns: 200 });
  });

  it('when only the comment of an approval changes', () => {
    fc.assert(fc.property(sameVersions({ comments: true }), ([a, b]) => roundTrip(a, b)), { numRuns: 1000 });
  });
});
