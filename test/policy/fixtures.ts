/** Shared inputs of the policy tests: the DESIGN.md §3 policy, a model, a version, people. */
import { loadPolicy, type Actor, type ApprovalRecord, type LoadedPolicy } from '../../src/policy/index.js';
import type { ModelVersion, RegisteredModel } from '../../src/domain/schema-types.js';

/** DESIGN.md §3, verbatim. */
export const DESIGN_POLICY = `apiVersion: modelreg/v1
kind: Policy
name: default
groups:
  ml-leads: [alice@example.com, bob@example.com, "github:carol"]
stages:
  - name: None
  - name: Staging
  - name: Production
    exclusive: true            # at most one version; entering it archives the previous holder
  - name: Archived
initialStage: None
transitions:
  - from: None
    to: Staging
    when: version.metrics.accuracy >= 0.85 && has(version.tags.dataset)
  - from: Staging
    to: Production
    when: version.metrics.f1 >= 0.8
    approvals: { min: 2, from: [ml-leads], allowAuthor: false }
    minTimeInStage: 24h
  - from: "*"
    to: Archived
rollback:
  approvals: { min: 0 }        # on-call may roll back at once; it is still recorded
aliases:
  champion: { requireStage: Production, approvals: { min: 1, from: [ml-leads] } }
versioning:
  defaultBump: minor
  signatureChangeRequires: major
automations:
  - on: register
    when: version.metrics.accuracy >= 0.95
    transition: Staging        # applied by the tool as a second commit, itself checked
`;

/** Loads a policy that must have no errors. */
export async function policyOf(text: string, file = 'policies/test.yaml'): Promise<LoadedPolicy> {
  const { policy, issues } = await loadPolicy(text, file);
  if (!policy) throw new Error(`policy did not load: ${JSON.stringify(issues, null, 2)}`);
  return policy;
}

/** A minimal policy with the given extra YAML appended (stages A, B, C, Archived). */
export async function smallPolicy(extra: string): Promise<LoadedPolicy> {
  return policyOf(`apiVersion: modelreg/v1\nkind: Policy\nname: small\nstages:\n  - name: A\n  - name: B\n  - name: C\n  - name: Archived\n${extra}`);
}

export const NOW = new Date('2024-03-10T12:00:00Z');

export const MODEL: RegisteredModel = {
  name: 'churn',
  owners: ['owner@example.com', 'github:Olga'],
  created: { at: '2024-01-01T00:00:00Z', by: 'owner@example.com' },
};

export function version(over: Partial<ModelVersion> = {}): ModelVersion {
  return {
    model: 'churn',
    version: '2.1.0',
    stage: 'Staging',
    artifact: { uri: 's3://models/churn/2.1.0', digest: `sha256:${'a'.repeat(64)}` },
    metrics: { accuracy: 0.9, f1: 0.85 },
    tags: { dataset: 'churn-2024-02' },
    created: { at: '2024-03-01T00:00:00Z', by: 'dave@example.com' },
    ...over,
  };
}

export const DAVE: Actor = { email: 'dave@example.com', name: 'Dave' };

export function approval(by: string, stage: string): ApprovalRecord {
  return { by, stage, at: '2024-03-09T00:00:00Z' };
}

// ---------------------------------------------------------------- policy files for registries

/** A transition rule; `approvals` in the DSL's flow form, e.g. `{ min: 2, from: [ml-leads], allowAuthor: false }`. */
export interface RuleSpec { from: string; to: string; when?: string; approvals?: string }

const scalar = (s: string) => (s === '*' ? '"*"' : s);

/**
 * The text of a policy file over the usual lifecycle (None, Staging, Production exclusive,
 * Archived; initial stage None), for tests that write one into a registry.
 * @example policyYaml({ name: 'lax', rules: [{ from: '*', to: '*' }] })
 */
export function policyYaml(spec: { name?: string; groups?: Record<string, string[]>; rules: RuleSpec[]; rollback?: string; tail?: string }): string {
  const lines = ['apiVersion: modelreg/v1', 'kind: Policy', `name: ${spec.name ?? 'default'}`];
  if (spec.groups) {
    lines.push('groups:');
    for (const [group, members] of Object.entries(spec.groups)) lines.push(`  ${group}: [${members.join(', ')}]`);
  }
  lines.push('stages:', '  - name: None', '  - name: Staging', '  - name: Production', '    exclusive: true', '  - name: Archived', 'initialStage: None', 'transitions:');
  for (const r of spec.rules) {
    lines.push(`  - from: ${scalar(r.from)}`, `    to: ${scalar(r.to)}`);
    if (r.when) lines.push(`    when: ${r.when}`);
    if (r.approvals) lines.push(`    approvals: ${r.approvals}`);
  }
  if (spec.rollback) lines.push('rollback:', `  approvals: ${spec.rollback}`);
  return `${lines.join('\n')}\n${spec.tail ?? ''}`;
}

/** Two approvals from ml-leads (alice, bob), not the author's, for Production; free rollbacks. */
export const STRICT_POLICY = policyYaml({
  groups: { 'ml-leads': ['alice@example.com', 'bob@example.com'] },
  rules: [
    { from: 'None', to: 'Staging' },
    { from: 'Staging', to: 'Production', approvals: '{ min: 2, from: [ml-leads], allowAuthor: false }' },
    { from: '*', to: 'Archived' },
  ],
  rollback: '{ min: 0 }',
  tail: 'versioning:\n  defaultBump: minor\n',
});

/** Any move, no approvals (named `lax`; rename it to use it as the default). */
export const LAX_POLICY = policyYaml({ name: 'lax', rules: [{ from: '*', to: '*' }], rollback: '{ min: 0 }' });

/** One approval from the model's owners, not the author's, for Production. */
export const OWNED_POLICY = policyYaml({
  name: 'owned',
  rules: [{ from: 'None', to: 'Staging' }, { from: 'Staging', to: 'Production', approvals: '{ min: 1, from: [owners], allowAuthor: false }' }, { from: '*', to: 'Archived' }],
});
