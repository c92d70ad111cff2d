/**
 * `register`: a new model version as one commit; the model is created on its first registration.
 *
 * The input is grouped by what it describes (artifact, lineage, the new model); the flat fields
 * of earlier releases are still accepted. The steps are small functions: normalise and check the
 * input, choose the version, build the records, check the policy, plan the commit; the policy's
 * automations run after it, as a second commit.
 */
import { RegistryError } from '../errors/index.js';
import { parseKey, parseModelName } from '../domain/names.js';
import { bumpBetween, compareVersions, nextVersion, parseBump, parseVersion, type Bump } from '../domain/versions.js';
import { renderModel, renderVersion } from '../domain/render.js';
import { modelFile, versionFile, type ModelState, type ModelVersion, type RegisteredModel, type ResolvedConfig } from '../domain/state.js';
import * as validators from '../generated/validators.js';
import { defaultBump, evaluateRegister, type LoadedPolicy } from '../policy/index.js';
import { hashFile } from '../storage/artifacts.js';
import type { Identity } from '../storage/repo.js';
import type { Snapshot } from '../storage/snapshot.js';
import { highestOf, releaseBelow } from '../storage/version-folder.js';
import type { Context } from './context.js';
import { policyFor } from './policies.js';
import { runWrite, type Planned, type WriteOptions, type WriteOutcome } from './write.js';
import { transition, type TransitionResult } from './transition.js';
import { deniedError } from './decisions.js';
import { nextNumber, nextNumberOf } from '../domain/numbering.js';

/** Where the artifact lives and what is known of it. */
export interface ArtifactInput {
  uri: string;
  /** A local copy: its sha256 digest and size are recorded. */
  file?: string;
  digest?: string;
  size?: number;
  format?: string;
}

/** Where the version came from. */
export interface LineageInput {
  run?: { id?: string; uri?: string; experiment?: string };
  code?: { repo?: string; commit?: string };
  /** `name@version` or `name` */
  datasets?: string[];
  /** The model URI of the version this one was derived from. */
  parent?: string;
}

/** For a model created by this registration. */
export interface NewModelInput {
  owners?: string[];
  description?: string;
  /** Name of the model's policy document (default: `default`). */
  policy?: string;
}

/** The flat fields of earlier releases; each is the same as its grouped field. */
export interface FlatRegisterFields {
  /** @deprecated use `artifact.file` */ file?: string;
  /** @deprecated use `artifact.digest` */ digest?: string;
  /** @deprecated use `artifact.size` */ size?: number;
  /** @deprecated use `artifact.format` */ format?: string;
  /** @deprecated use `lineage.run.id` */ runId?: string;
  /** @deprecated use `lineage.run.uri` */ runUri?: string;
  /** @deprecated use `lineage.run.experiment` */ experiment?: string;
  /** @deprecated use `lineage.code.repo` */ sourceRepo?: string;
  /** @deprecated use `lineage.code.commit` */ sourceCommit?: string;
  /** @deprecated use `lineage.datasets` */ datasets?: string[];
  /** @deprecated use `lineage.parent` */ parent?: string;
  /** @deprecated use `newModel.owners` */ owners?: string[];
  /** @deprecated use `newModel.description` */ modelDescription?: string;
  /** @deprecated use `newModel.policy` */ policy?: string;
}

export interface RegisterInput extends WriteOptions, FlatRegisterFields {
  model: string;
  /** The artifact's URI (s3://, gs://, file://, https://, runs:/), or the artifact with what is known of it. */
  artifact: string | ArtifactInput;
  version?: string;
  bump?: Bump;
  metrics?: Record<string, number | string>;
  params?: Record<string, string | number | boolean>;
  tags?: Record<string, string>;
  description?: string;
  framework?: { name: string; version?: string };
  signature?: ModelVersion['signature'];
  lineage?: LineageInput;
  newModel?: NewModelInput;
  /** Skip automations (the automation's transition is a second commit). */
  noAutomations?: boolean;
  /** Copied verbatim from another registry's record (`import`): its provenance and its lineage as it was. */
  imported?: Pick<ModelVersion, 'origin' | 'lineage'>;
  /** The integer number to record (`import mlflow`: MLflow's own version number); default the next one. Refused when another version has it. */
  number?: number;
}

export interface RegisterResult extends WriteOutcome {
  model: string;
  version: string;
  stage: string;
  file: string;
  created: boolean;
  automation?: TransitionResult | { stage: string; allowed: false; error: string };
}

/** The input, grouped, checked and with numbers parsed. */
interface Registration {
  model: string;
  artifact: ArtifactInput;
  version?: string;
  bump?: Bump;
  metrics: Record<string, number>;
  params?: Record<string, string | number | boolean>;
  tags?: Record<string, string>;
  description?: string;
  framework?: { name: string; version?: string };
  signature?: ModelVersion['signature'];
  lineage?: ModelVersion['lineage'];
  newModel: NewModelInput;
  imported?: Pick<ModelVersion, 'origin' | 'lineage'>;
  number?: number;
}

function numericMetrics(input: Record<string, number | string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(input)) {
    parseKey('metric', k);
    const n = typeof v === 'number' ? v : /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RegistryError('BAD_INPUT', `Metric ${k}=${v} is not a finite number. Give metrics as --metric name=0.91.`, { metric: k, value: v });
    out[k] = n;
  }
  return out;
}

function lineageRecord(l: LineageInput): ModelVersion['lineage'] | undefined {
  const run = { ...(l.run?.id ? { id: l.run.id } : {}), ...(l.run?.uri ? { uri: l.run.uri } : {}), ...(l.run?.experiment ? { experiment: l.run.experiment } : {}) };
  const code = { ...(l.code?.repo ? { repo: l.code.repo } : {}), ...(l.code?.commit ? { commit: l.code.commit } : {}) };
  const data = (l.datasets ?? []).map((d) => {
    const at = d.lastIndexOf('@');
    return at > 0 ? { name: d.slice(0, at), version: d.slice(at + 1) } : { name: d };
  });
  const out = { ...(Object.keys(run).length ? { run } : {}), ...(Object.keys(code).length ? { code } : {}), ...(data.length ? { data } : {}), ...(l.parent ? { parent: l.parent } : {}) };
  return Object.keys(out).length ? out : undefined;
}

/** Groups the flat fields of earlier releases with the grouped ones (a grouped field wins). */
function grouped(i: RegisterInput): { artifact: ArtifactInput; lineage: LineageInput; newModel: NewModelInput } {
  const a = typeof i.artifact === 'string' ? { uri: i.artifact } : i.artifact ?? { uri: '' };
  const l = i.lineage ?? {};
  return {
    artifact: { uri: a.uri, file: a.file ?? i.file, digest: a.digest ?? i.digest, size: a.size ?? i.size, format: a.format ?? i.format },
    lineage: {
      run: { id: l.run?.id ?? i.runId, uri: l.run?.uri ?? i.runUri, experiment: l.run?.experiment ?? i.experiment },
      code: { repo: l.code?.repo ?? i.sourceRepo, commit: l.code?.commit ?? i.sourceCommit },
      datasets: l.datasets ?? i.datasets, parent: l.parent ?? i.parent,
    },
    newModel: { owners: i.newModel?.owners ?? i.owners, description: i.newModel?.description ?? i.modelDescription, policy: i.newModel?.policy ?? i.policy },
  };
}

/** Checks the input at the edge (bad input changes nothing) and returns it grouped. */
function normalise(i: RegisterInput): Registration {
  parseModelName(i.model);
  const { artifact, lineage, newModel } = grouped(i);
  if (!artifact.uri) throw new RegistryError('BAD_INPUT', 'register needs --artifact URI: where the model artifact lives (s3://, gs://, file://, https://, runs:/).', {});
  if (i.version !== undefined && i.bump !== undefined) throw new RegistryError('BAD_INPUT', 'Give either --version or --bump, not both.', {});
  if (i.version !== undefined) parseVersion(i.version);
  if (i.bump !== undefined) parseBump(i.bump);
  if (i.number !== undefined && (!Number.isSafeInteger(i.number) || i.number < 1)) throw new RegistryError('BAD_INPUT', `A version number must be a positive integer, not ${i.number}.`, { number: i.number });
  const metrics = numericMetrics(i.metrics);
  for (const k of Object.keys(i.params ?? {})) parseKey('param', k);
  for (const k of Object.keys(i.tags ?? {})) parseKey('tag', k);
  return {
    model: i.model, artifact, metrics, newModel,
    ...(i.version !== undefined ? { version: i.version } : {}), ...(i.bump !== undefined ? { bump: i.bump } : {}),
    ...(i.params ? { params: i.params } : {}), ...(i.tags ? { tags: i.tags } : {}), ...(i.description ? { description: i.description } : {}),
    ...(i.framework ? { framework: i.framework } : {}), ...(i.signature ? { signature: i.signature } : {}),
    ...(lineageRecord(lineage) ? { lineage: lineageRecord(lineage) } : {}),
    ...(i.imported ? { imported: i.imported } : {}),
    ...(i.number !== undefined ? { number: i.number } : {}),
  };
}

/** Records a local copy's digest and size; a given digest must match it. */
async function artifactFacts(a: ArtifactInput): Promise<ArtifactInput> {
  if (!a.file) return a;
  const facts = await hashFile(a.file);
  if (a.digest && a.digest !== facts.digest) throw new RegistryError('BAD_INPUT', `--digest ${a.digest} does not match ${a.file} (${facts.digest}).`, {});
  return { ...a, digest: facts.digest, size: facts.size };
}

function schemaErrors(kind: 'version' | 'model', record: unknown): string | undefined {
  const v = validators[kind];
  if (v(record)) return undefined;
  return (v.errors ?? []).map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || '(record)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${e.params.additionalProperty}'` : ''}`).join('; ');
}

function newModelRecord(r: Registration, name: string, id: Identity, now: string): RegisteredModel {
  return {
    name,
    ...(r.newModel.description ? { description: r.newModel.description } : {}),
    owners: r.newModel.owners?.length ? r.newModel.owners : [id.email],
    ...(r.newModel.policy ? { policy: r.newModel.policy } : {}),
    created: { at: now, by: id.email },
  };
}

/** The version to register: the one given (new, and above every version ever used), or the next by `bump`. */
function chooseVersion(r: Registration, name: string, existing: ModelState | undefined, policy: LoadedPolicy, cfg: ResolvedConfig): string {
  // Version names come from the folder (its summary: storage/folder-summary.ts); deleted numbers are never reused.
  const deletedVersions = existing?.record.deletedVersions ?? [];
  const top = existing ? highestOf(existing.versions, deletedVersions) : undefined;
  if (!r.version) return nextVersion(top ? [top] : [], r.bump ?? defaultBump(policy), cfg.firstVersion);
  const version = r.version;
  if (existing?.versions.has(version) || deletedVersions.includes(version)) {
    const deleted = deletedVersions.includes(version);
    throw new RegistryError('VERSION_EXISTS', `${name} ${version} ${deleted ? 'was deleted, and version numbers are never reused' : 'is already registered'}. Register a new version (--bump ${defaultBump(policy)} picks the next one).`, { model: name, version });
  }
  if (top && compareVersions(version, top) < 0) {
    throw new RegistryError('INVALID_VERSION', `${name} ${version} is lower than the highest version ${top}; versions only go up. Use a version above ${top}, or --bump.`, { model: name, version, highest: top });
  }
  return version;
}

function versionRecord(r: Registration, name: string, version: string, stage: string, id: Identity, now: string): ModelVersion {
  const a = r.artifact;
  return {
    model: name,
    version,
    stage,
    ...(r.description ? { description: r.description } : {}),
    ...(r.tags && Object.keys(r.tags).length ? { tags: r.tags } : {}),
    artifact: { uri: a.uri, ...(a.digest ? { digest: a.digest } : {}), ...(a.size !== undefined ? { size: a.size } : {}), ...(a.format ? { format: a.format } : {}) },
    ...(r.framework ? { framework: r.framework } : {}),
    ...(r.signature ? { signature: r.signature } : {}),
    ...(Object.keys(r.metrics).length ? { metrics: r.metrics } : {}),
    ...(r.params && Object.keys(r.params).length ? { params: r.params } : {}),
    ...(r.lineage ? { lineage: r.lineage } : {}),
    created: { at: now, by: id.email },
    ...r.imported,
  };
}

/** The release just below `version` (found by name, so only its file is read). */
function previousRelease(existing: ModelState | undefined, version: string): ModelVersion | undefined {
  const below = existing ? releaseBelow(existing.versions, version) : undefined;
  return below ? existing!.versions.get(below)?.record : undefined;
}

/** Throws DENIED, with what to do about a signature change, when the policy refuses the registration. */
function checkPolicy(policy: LoadedPolicy, model: RegisteredModel, record: ModelVersion, previous: ModelVersion | undefined): void {
  const decision = evaluateRegister({ policy, model, version: record, previous, bump: previous ? bumpBetween(previous.version, record.version) : 'none' });
  if (decision.allowed) return;
  const err = deniedError(`register ${record.model} ${record.version}`, decision);
  if (decision.checks.some((c) => !c.ok && c.name === 'signature')) {
    err.message += record.signature === undefined
      ? `\n${previous?.version} declares a signature and this registration does not: pass the same signature (--signature FILE), or register a new major version (--bump major).`
      : `\nThe signature differs from ${previous?.version}'s: register it as a new major version (--bump major).`;
  }
  throw err;
}

/** What a plan learned of the model's version numbers, for the number cache once the commit exists. */
interface Learned {
  model: string; numbers: Record<string, number>; existing?: ModelState; version: string;
  /** Whether the policy the plan evaluated has an `on: register` automation (a registration changes no policy file). */
  automates: boolean;
}

/** The plan: one commit with the version file (and the model file, for a new model). */
async function planRegistration(snap: Snapshot, r: Registration, id: Identity, now: string, learn: (n: Learned) => void): Promise<Planned<Omit<RegisterResult, keyof WriteOutcome>>> {
  const cfg = await snap.config();
  const existing = await snap.modelOnDemand(r.model);
  const name = existing?.name ?? r.model;
  const modelRecord = existing?.record ?? newModelRecord(r, name, id, now);
  const policy = await policyFor(snap, modelRecord);
  const version = chooseVersion(r, name, existing, policy, cfg);
  const record = versionRecord(r, name, version, policy.initialStage, id, now);
  // MLflow's integer number (domain/numbering.ts): from the numbers of the model's versions,
  // which the folder's number cache holds (a model of 10,000 versions is not read file by file).
  // A write that fails leaves nothing behind, so they are stored once it committed (`learn`).
  const numbers = existing ? await snap.numbers(existing, false) : {};
  if (r.number !== undefined) {
    const holder = Object.keys(numbers).find((v) => numbers[v] === r.number);
    if (holder) throw new RegistryError('VERSION_EXISTS', `${name} ${holder} has number ${r.number} already; every version of a model has its own number.`, { model: name, version: holder, number: r.number });
    record.number = r.number;
  }
  record.number ??= existing ? nextNumberOf(existing.record, existing.versions.size, Object.values(numbers)) : nextNumber(undefined, []);
  learn({ model: name, numbers: { ...numbers, [version]: record.number }, existing, version, automates: (policy.doc.automations ?? []).some((a) => a.on === 'register') });
  const bad = schemaErrors('version', record) ?? (existing ? undefined : schemaErrors('model', modelRecord));
  if (bad) throw new RegistryError('BAD_INPUT', `The version record would be invalid: ${bad}.`, { model: name, version });
  checkPolicy(policy, modelRecord, record, previousRelease(existing, version));
  const vfile = versionFile(cfg, name, version);
  const changes = [{ path: vfile, content: renderVersion(cfg, vfile, record) }];
  if (!existing) changes.unshift({ path: modelFile(cfg, name), content: renderModel(cfg, modelFile(cfg, name), modelRecord) });
  return {
    changes,
    branchName: `modelreg/register-${name.replace('/', '-')}-${version}`,
    message: {
      subject: `register ${name} ${version}`,
      body: r.description,
      trailers: [['Modelreg-Action', 'register'], ['Modelreg-Model', name], ['Modelreg-Version', version], ['Modelreg-Stage', record.stage]],
    },
    result: { model: name, version, stage: record.stage, file: vfile, created: !existing },
  };
}

/** The policy's `on: register` automation, as a second commit; its failure is reported, not thrown. */
async function runAutomation(ctx: Context, result: RegisterResult, input: RegisterInput, id: Identity): Promise<RegisterResult['automation']> {
  const snap = await ctx.snapshotAt();
  const model = await snap.modelOnDemand(result.model);
  const policy = await policyFor(snap, model?.record);
  const { automationTarget } = await import('../policy/index.js');
  const rec = model?.versions.get(result.version)?.record;
  const target = rec && model ? automationTarget(policy, 'register', rec, model.record, { email: id.email, name: id.name, ...(id.groups ? { groups: id.groups } : {}) }, ctx.now()) : undefined;
  if (!target) return undefined;
  try {
    return await transition(ctx, { model: result.model, version: result.version, stage: target, push: input.push, automation: true });
  } catch (e) {
    return { stage: target, allowed: false, error: (e as Error).message };
  }
}

/**
 * Registers a model version.
 * @example await register(ctx, { model: 'churn', artifact: 's3://models/churn/7', metrics: { auc: 0.91 }, lineage: { run: { id: 'a1b2' } } })
 */
export async function register(ctx: Context, input: RegisterInput): Promise<RegisterResult> {
  const normalised = normalise(input);
  const r = { ...normalised, artifact: await artifactFacts(normalised.artifact) };
  const id = await ctx.identity();
  const now = ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  let learned: Learned | undefined;
  const result: RegisterResult = await runWrite(ctx, input, (snap) => planRegistration(snap, r, id, now, (n) => { learned = n; }));
  if (result.commit && learned) await (await ctx.snapshotAt(result.commit)).keepNumbers(learned.model, learned.numbers, learned.existing, learned.version);
  // Without an automation in the policy, the model is not read again at the new commit.
  if (result.commit && !input.noAutomations && !input.branch && learned?.automates) {
    const automation = await runAutomation(ctx, result, input, id);
    if (automation) result.automation = automation;
  }
  return result;
}
