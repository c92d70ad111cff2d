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
export function policyOf(text: string, file = 'policies/test.yaml'): LoadedPolicy {
  const { policy, issues } = loadPolicy(text, file);
  if (!policy) throw new Error(`policy did not load: ${JSON.stringify(issues, null, 2)}`);
  return policy;
}

/** A minimal policy with the given extra YAML appended (stages A, B, C, Archived). */
export function smallPolicy(extra: string): LoadedPolicy {
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
