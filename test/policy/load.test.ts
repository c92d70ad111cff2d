import { describe, expect, it } from 'vitest';
import { loadPolicy, policyCacheEntry, restorePolicy, restorePolicyWithIssues } from '../../src/policy/index.js';
import { DESIGN_POLICY } from './fixtures.js';

const HEAD = 'apiVersion: modelreg/v1\nkind: Policy\nname: p\nstages:\n  - name: A\n  - name: B\n';
const load = (extra: string) => loadPolicy(HEAD + extra, 'policies/p.yaml');
const rules = async (extra: string) => (await load(extra)).issues.map((i) => i.rule);

describe('loadPolicy', () => {
  it('loads the DESIGN.md §3 example with no issues', async () => {
    const { policy, issues } = await loadPolicy(DESIGN_POLICY, 'policies/default.yaml');
    expect(issues).toEqual([]);
    expect(policy?.name).toBe('default');
    expect(policy?.stages).toEqual(['None', 'Staging', 'Production', 'Archived']);
    expect(policy?.initialStage).toBe('None');
    expect(policy?.archiveStage).toBe('Archived');
    expect([...policy!.guards.keys()]).toEqual(['transitions.0.when', 'transitions.1.when', 'automations.0.when']);
  });

  it('defaults initialStage to the first stage and archiveStage to Archived only when defined', async () => {
    const { policy } = await load('');
    expect(policy?.initialStage).toBe('A');
    expect(policy?.archiveStage).toBeUndefined();
    expect((await load('archiveStage: B\n')).policy?.archiveStage).toBe('B');
  });

  it('reports schema errors (unknown apiVersion) and returns no policy', async () => {
    const { policy, issues } = await loadPolicy(HEAD.replace('modelreg/v1', 'modelreg/v9'), 'policies/p.yaml');
    expect(policy).toBeUndefined();
    expect(issues[0]).toMatchObject({ rule: 'schema', line: 1, file: 'policies/p.yaml' });
  });

  it('reports duplicate stages with their line', async () => {
    const { policy, issues } = await load('  - name: A\n');
    expect(policy).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ rule: 'duplicate-stage', line: 7, severity: 'error' })]);
    expect((await load('  - name: a\n')).issues[0]).toMatchObject({ rule: 'duplicate-stage', severity: 'warning' });
  });

  it('reports every reference to an undefined stage', async () => {
    const text = [
      'initialStage: X', 'archiveStage: Y',
      'transitions:', '  - from: [A, Nope]', '    to: "*"',
      'aliases:', '  champion: { requireStage: Prod }',
      'automations:', '  - on: register', '    transition: Z', '',
    ].join('\n');
    const { policy, issues } = await load(text);
    expect(policy).toBeUndefined();
    expect(issues.map((i) => [i.rule, i.line, i.field])).toEqual([
      ['undefined-stage', 7, 'initialStage'],
      ['undefined-stage', 8, 'archiveStage'],
      ['undefined-stage', 10, 'transitions[0].from[1]'],
      ['undefined-stage', 13, 'aliases.champion.requireStage'],
      ['undefined-stage', 16, 'automations[0].transition'],
    ]);
    expect(issues[0].message).toContain('the stages are A, B');
  });

  it('reports approvals.from entries that are neither groups nor identities', async () => {
    const text = 'groups:\n  leads: [a@x.io]\ntransitions:\n  - from: A\n    to: B\n    approvals: { min: 1, from: [leads, owners, b@x.io, "github:c", lead] }\n';
    const { issues } = await load(text);
    expect(issues).toEqual([expect.objectContaining({ rule: 'unknown-group', line: 12, field: 'transitions[0].approvals.from[4]' })]);
    expect(issues[0].message).toContain('the groups are leads');
  });

  it('warns when min exceeds the people from lists', async () => {
    const { policy, issues } = await load('transitions:\n  - from: A\n    to: B\n    approvals: { min: 3, from: [a@x.io, "github:b"] }\n');
    expect(policy).toBeDefined();
    expect(issues).toEqual([expect.objectContaining({ rule: 'approvals-unreachable', severity: 'warning', line: 10 })]);
    expect(await rules('transitions:\n  - from: A\n    to: B\n    approvals: { min: 3, from: [owners, a@x.io] }\n')).toEqual([]);
  });

  it('warns about group members that are not identities', async () => {
    expect(await rules('groups:\n  leads: [alice]\n')).toEqual(['group-member']);
  });

  it('warns about an automation whose target no rule reaches', async () => {
    const { policy, issues } = await load('automations:\n  - on: register\n    transition: B\n');
    expect(policy).toBeDefined();
    expect(issues.map((i) => i.rule)).toEqual(['automation-unreachable']);
  });
});

describe('loadPolicy: guards', () => {
  const guard = (when: string) => load(`transitions:\n  - from: A\n    to: B\n    when: ${JSON.stringify(when)}\n`);

  it('reports a guard that does not compile, at the line of its when', async () => {
    const { policy, issues } = await guard('version.metrics.auc >=');
    expect(policy).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ rule: 'cel-compile', file: 'policies/p.yaml', line: 10, column: 11, field: 'transitions[0].when' })]);
  });

  it('reports unknown fields of the records and unknown variables', async () => {
    expect((await guard('version.metricz.auc > 0.9')).issues[0]).toMatchObject({ rule: 'cel-unknown-field', line: 10 });
    expect((await guard('version.metricz.auc > 0.9')).issues[0].message).toContain("version has no field 'metricz'");
    expect((await guard('versoin.stage == "A"')).issues[0]).toMatchObject({ rule: 'cel-unknown-field', line: 10 });
    expect((await guard('versoin.stage == "A"')).issues[0].message).toContain('versoin');
    expect((await guard('has(version.artifact.digestt)')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('model.ownerz.size() > 0')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('actor.mail == "x"')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('version["metricz"].auc > 1.0')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('version.signature.inputs.exists(c, c.nme == "age")')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('version.stage.name == "A"')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('toString.x == "A"')).issues[0].rule).toBe('cel-unknown-field');
    expect((await guard('has(version.constructor)')).issues[0].rule).toBe('cel-unknown-field');
  });

  it('accepts map members, comprehension variables and cel.bind', async () => {
    for (const ok of [
      'version.metrics.whatever > 0.5 && version.tags.team == "x" && version.params.lr > 0.1',
      'version.signature.inputs.exists(c, c.name == "age")',
      'version.metrics.all(k, version.metrics[k] >= 0.0)',
      'cel.bind(m, version.metrics, m.auc > 0.9)',
      'actor.email in model.owners || "github:" + actor.github in model.owners',
      'now - timestamp(version.created.at) > duration("1h")',
      'has(version.lineage.data) && version.lineage.data.size() > 0',
    ]) expect((await guard(ok)).issues, ok).toEqual([]);
  });

  it('reports type errors and non-bool guards', async () => {
    expect((await guard('now + 1 > now')).issues[0].rule).toBe('cel-type');
    expect((await guard('"yes"')).issues[0]).toMatchObject({ rule: 'cel-type' });
    expect((await guard('"yes"')).issues[0].message).toContain('must evaluate to a bool');
  });

  it('rejects guards too costly to evaluate', async () => {
    const deep = 'version.metrics.all(a, version.metrics.all(b, version.metrics.all(c, true)))';
    expect((await guard(deep)).issues[0].rule).toBe('cel-too-complex');
    expect((await guard('version.metrics.all(a, version.metrics.exists(b, a == b))')).issues).toEqual([]);
    expect((await guard(`${Array.from({ length: 700 }, () => '1').join('+')} > 0`)).issues[0].rule).toBe('cel-too-complex');
    expect((await guard(`${'('.repeat(40)}true${')'.repeat(40)}`)).issues[0].rule).toBe('cel-too-complex');
  });

  it('reports a matches() pattern that is not RE2 at the line of its guard, and accepts any RE2 pattern', async () => {
    const { policy, issues } = await guard('version.description.matches("^(a)\\\\1$")');
    expect(policy).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ rule: 'cel-regex', file: 'policies/p.yaml', line: 10, field: 'transitions[0].when' })]);
    expect(issues[0].message).toContain('version.description.matches');
    expect((await guard('version.description.matches("(?<=x)y")')).issues[0].rule).toBe('cel-regex');
    // Nested repetition was refused by a heuristic before RE2; it is linear now.
    expect((await guard('version.description.matches("^((a+))+$")')).issues).toEqual([]);
    expect((await guard('version.description.matches(model.name)')).issues).toEqual([]);
  });

  it('checks guards of aliases, rollback, delete and automations', async () => {
    const text = [
      'rollback:', '  when: version.nope', 'delete:', '  when: "1 +"',
      'aliases:', '  champion: { when: model.nope == "x" }',
      'automations:', '  - on: register', '    when: actor.nope', '    transition: A', '',
    ].join('\n');
    expect((await load(text)).issues.map((i) => [i.rule, i.field, i.line])).toEqual([
      ['cel-unknown-field', 'rollback.when', 8],
      ['cel-compile', 'delete.when', 10],
      ['cel-unknown-field', 'aliases.champion.when', 12],
      ['cel-unknown-field', 'automations[0].when', 15],
    ]);
  });
});

describe('restorePolicyWithIssues: a cached policy with the warnings its text gave', () => {
  const WARNED = 'groups:\n  leads: [alice]\ntransitions:\n  - from: A\n    to: B\n    approvals: { min: 3, from: [leads] }\n';

  it('gives the loaded policy and its warnings, at the lines the text had', async () => {
    const loaded = await load(WARNED);
    expect(loaded.issues.map((i) => [i.rule, i.line])).toEqual([['approvals-unreachable', 12], ['group-member', 8]]);
    const entry = JSON.parse(JSON.stringify(policyCacheEntry(loaded.policy!, loaded.issues)));
    const restored = await restorePolicyWithIssues(entry, 'policies/q.yaml');
    expect(restored?.policy.doc).toEqual(loaded.policy!.doc);
    expect(restored?.issues).toEqual(loaded.issues.map((i) => ({ ...i, file: 'policies/q.yaml' })));
  });

  it('trusts the stored warnings only when the rules find the same ones again', async () => {
    const loaded = await load(WARNED);
    const entry = policyCacheEntry(loaded.policy!, loaded.issues);
    // Written without issues (an older modelreg, or restorePolicy's callers): load the text.
    expect(await restorePolicyWithIssues(policyCacheEntry(loaded.policy!), 'policies/p.yaml')).toBeUndefined();
    expect(await restorePolicy(policyCacheEntry(loaded.policy!), 'policies/p.yaml')).toBeDefined();
    // A warning missing, changed or without a position: load the text.
    expect(await restorePolicyWithIssues({ ...entry, issues: entry.issues!.slice(1) }, 'policies/p.yaml')).toBeUndefined();
    expect(await restorePolicyWithIssues({ ...entry, issues: [entry.issues![0], { ...entry.issues![1], message: 'fine' }] }, 'policies/p.yaml')).toBeUndefined();
    expect(await restorePolicyWithIssues({ ...entry, issues: [entry.issues![0], { ...entry.issues![1], line: 'x' }] }, 'policies/p.yaml')).toBeUndefined();
    // No warnings then, but the rules find some now: load the text.
    expect(await restorePolicyWithIssues({ ...entry, issues: [] }, 'policies/p.yaml')).toBeUndefined();
    // A document the schema refuses: load the text.
    expect(await restorePolicyWithIssues({ doc: { ...loaded.policy!.doc, stages: 'A' }, issues: [] }, 'policies/p.yaml')).toBeUndefined();
  });
});
