/** `register`: a new model version as one commit; the model is created on its first registration. */
import { RegistryError } from '../errors/index.js';
import { parseKey, parseModelName } from '../domain/names.js';
import { bumpBetween, compareVersions, highestVersion, nextVersion, parseBump, parseVersion, type Bump } from '../domain/versions.js';
import { renderModel, renderVersion } from '../domain/render.js';
import { modelFile, versionFile, type ModelVersion, type RegisteredModel } from '../domain/state.js';
import * as validators from '../generated/validators.js';
import { defaultBump, evaluateRegister } from '../policy/index.js';
import { hashFile } from '../storage/artifacts.js';
import type { Context } from './context.js';
import { policyFor } from './policies.js';
import { runWrite, type WriteOptions, type WriteOutcome } from './write.js';
import { transition, type TransitionResult } from './transition.js';
import { deniedError } from './decisions.js';

export interface RegisterInput extends WriteOptions {
  model: string;
  artifact: string;
  /** A local copy of the artifact: its sha256 digest and size are recorded. */
  file?: string;
  digest?: string;
  size?: number;
  format?: string;
  version?: string;
  bump?: Bump;
  metrics?: Record<string, number | string>;
  params?: Record<string, string | number | boolean>;
  tags?: Record<string, string>;
  description?: string;
  framework?: { name: string; version?: string };
  signature?: ModelVersion['signature'];
  runId?: string;
  runUri?: string;
  experiment?: string;
  sourceRepo?: string;
  sourceCommit?: string;
  /** `name@version` or `name` */
  datasets?: string[];
  parent?: string;
  /** For a new model: owners, description of the model, policy name. */
  owners?: string[];
  modelDescription?: string;
  policy?: string;
  /** Skip automations (the automation's transition is a second commit). */
  noAutomations?: boolean;
}

export interface RegisterResult extends WriteOutcome {
  model: string;
  version: string;
  stage: string;
  file: string;
  created: boolean;
  automation?: TransitionResult | { stage: string; allowed: false; error: string };
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

function lineage(i: RegisterInput): ModelVersion['lineage'] | undefined {
  const run = { ...(i.runId ? { id: i.runId } : {}), ...(i.runUri ? { uri: i.runUri } : {}), ...(i.experiment ? { experiment: i.experiment } : {}) };
  const code = { ...(i.sourceRepo ? { repo: i.sourceRepo } : {}), ...(i.sourceCommit ? { commit: i.sourceCommit } : {}) };
  const data = (i.datasets ?? []).map((d) => {
    const at = d.lastIndexOf('@');
    return at > 0 ? { name: d.slice(0, at), version: d.slice(at + 1) } : { name: d };
  });
  const out = { ...(Object.keys(run).length ? { run } : {}), ...(Object.keys(code).length ? { code } : {}), ...(data.length ? { data } : {}), ...(i.parent ? { parent: i.parent } : {}) };
  return Object.keys(out).length ? out : undefined;
}

function schemaErrors(kind: 'version' | 'model', record: unknown): string | undefined {
  const v = validators[kind];
  if (v(record)) return undefined;
  return (v.errors ?? []).map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || '(record)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${e.params.additionalProperty}'` : ''}`).join('; ');
}

/**
 * Registers a model version.
 * @example await register(ctx, { model: 'churn', artifact: 's3://models/churn/7', metrics: { auc: 0.91 } })
 */
export async function register(ctx: Context, input: RegisterInput): Promise<RegisterResult> {
  parseModelName(input.model);
  if (!input.artifact) throw new RegistryError('BAD_INPUT', 'register needs --artifact URI: where the model artifact lives (s3://, gs://, file://, https://, runs:/).', {});
  if (input.version !== undefined && input.bump !== undefined) throw new RegistryError('BAD_INPUT', 'Give either --version or --bump, not both.', {});
  if (input.version !== undefined) parseVersion(input.version);
  if (input.bump !== undefined) parseBump(input.bump);
  const metrics = numericMetrics(input.metrics);
  for (const k of Object.keys(input.params ?? {})) parseKey('param', k);
  for (const k of Object.keys(input.tags ?? {})) parseKey('tag', k);
  const fileFacts = input.file ? await hashFile(input.file) : undefined;
  if (fileFacts && input.digest && input.digest !== fileFacts.digest) throw new RegistryError('BAD_INPUT', `--digest ${input.digest} does not match ${input.file} (${fileFacts.digest}).`, {});
  const id = await ctx.identity();
  const now = ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const result: RegisterResult = await runWrite(ctx, input, async (snap) => {
    const cfg = await snap.config();
    const existing = await snap.modelOnDemand(input.model);
    const name = existing?.name ?? input.model;
    const modelRecord: RegisteredModel = existing?.record ?? {
      name,
      ...(input.modelDescription ? { description: input.modelDescription } : {}),
      owners: input.owners?.length ? input.owners : [id.email],
      ...(input.policy ? { policy: input.policy } : {}),
      created: { at: now, by: id.email },
    };
    const policy = await policyFor(snap, modelRecord);
    const taken = [...(existing?.versions.keys() ?? []), ...(existing?.record.deletedVersions ?? [])];
    let version: string;
    if (input.version) {
      version = input.version;
      if (taken.includes(version)) {
        const deleted = existing?.record.deletedVersions?.includes(version);
        throw new RegistryError('VERSION_EXISTS', `${name} ${version} ${deleted ? 'was deleted, and version numbers are never reused' : 'is already registered'}. Register a new version (--bump ${defaultBump(policy)} picks the next one).`, { model: name, version });
      }
      const top = highestVersion(taken);
      if (top && compareVersions(version, top) < 0) {
        throw new RegistryError('INVALID_VERSION', `${name} ${version} is lower than the highest version ${top}; versions only go up. Use a version above ${top}, or --bump.`, { model: name, version, highest: top });
      }
    } else {
      version = nextVersion(taken, input.bump ?? defaultBump(policy), cfg.firstVersion);
    }
    const record: ModelVersion = {
      model: name,
      version,
      stage: policy.initialStage,
      ...(input.description ? { description: input.description } : {}),
      ...(input.tags && Object.keys(input.tags).length ? { tags: input.tags } : {}),
      artifact: {
        uri: input.artifact,
        ...(fileFacts || input.digest ? { digest: fileFacts?.digest ?? input.digest } : {}),
        ...(fileFacts || input.size !== undefined ? { size: fileFacts?.size ?? input.size } : {}),
        ...(input.format ? { format: input.format } : {}),
      },
      ...(input.framework ? { framework: input.framework } : {}),
      ...(input.signature ? { signature: input.signature } : {}),
      ...(Object.keys(metrics).length ? { metrics } : {}),
      ...(input.params && Object.keys(input.params).length ? { params: input.params } : {}),
      ...(lineage(input) ? { lineage: lineage(input) } : {}),
      created: { at: now, by: id.email },
    };
    const bad = schemaErrors('version', record) ?? (existing ? undefined : schemaErrors('model', modelRecord));
    if (bad) throw new RegistryError('BAD_INPUT', `The version record would be invalid: ${bad}.`, { model: name, version });
    // The release just below: found by name, so only its file is read.
    const below = [...(existing?.versions.keys() ?? [])].filter((n) => !n.includes('-') && compareVersions(n, version) < 0).sort((a, b) => compareVersions(b, a))[0];
    const previous = below ? existing!.versions.get(below)?.record : undefined;
    const decision = evaluateRegister({ policy, model: modelRecord, version: record, previous, bump: previous ? bumpBetween(previous.version, version) : 'none' });
    if (!decision.allowed) {
      const err = deniedError(`register ${name} ${version}`, decision);
      if (decision.checks.some((c) => !c.ok && c.name === 'signature')) {
        err.message += record.signature === undefined
          ? `\n${previous?.version} declares a signature and this registration does not: pass the same signature (--signature FILE), or register a new major version (--bump major).`
          : `\nThe signature differs from ${previous?.version}'s: register it as a new major version (--bump major).`;
      }
      throw err;
    }
    const vfile = versionFile(cfg, name, version);
    const changes = [{ path: vfile, content: renderVersion(cfg, vfile, record) }];
    if (!existing) changes.unshift({ path: modelFile(cfg, name), content: renderModel(cfg, modelFile(cfg, name), modelRecord) });
    return {
      changes,
      branchName: `modelreg/register-${name.replace('/', '-')}-${version}`,
      message: {
        subject: `register ${name} ${version}`,
        body: input.description,
        trailers: [['Modelreg-Action', 'register'], ['Modelreg-Model', name], ['Modelreg-Version', version], ['Modelreg-Stage', record.stage]],
      },
      result: { model: name, version, stage: record.stage, file: vfile, created: !existing },
    };
  });

  if (result.commit && !input.noAutomations && !input.branch) {
    const snap = await ctx.snapshotAt();
    const model = await snap.modelOnDemand(result.model);
    const policy = await policyFor(snap, model?.record);
    const { automationTarget } = await import('../policy/index.js');
    const rec = model?.versions.get(result.version)?.record;
    const target = rec && model ? automationTarget(policy, 'register', rec, model.record, { email: id.email, name: id.name }, ctx.now()) : undefined;
    if (target) {
      try {
        result.automation = await transition(ctx, { model: result.model, version: result.version, stage: target, push: input.push, automation: true });
      } catch (e) {
        result.automation = { stage: target, allowed: false, error: (e as Error).message };
      }
    }
  }
  return result;
}
