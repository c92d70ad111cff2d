import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/index.js';
import { analysisPhase, judge, metricPhase, monitorOf, promqlString, substitute } from '../../src/policy/monitor.js';
import { compileCondition } from '../../src/policy/cel.js';

const HEAD = 'apiVersion: modelreg/v1\nkind: Policy\nname: p\nstages:\n  - name: Staging\n  - name: Production\n    exclusive: true\n    monitor:\n';
const load = (monitor: string) => loadPolicy(HEAD + monitor, 'policies/p.yaml');

/** The issue's example, verbatim. */
const EXAMPLE = `      interval: 1s
      count: 3
      failureLimit: 1
      onFailure: rollback
      metrics:
        - name: error_rate
          prometheus: { address: "http://127.0.0.1:9090", query: 'sum(rate(errors_total{model="{{model}}"}[1m]))' }
          successCondition: result < 0.05
        - name: auc_live
          http: { url: "http://127.0.0.1:8000/metrics.json", jsonPath: "$.auc" }
          successCondition: result >= baseline.metrics.auc - 0.02
`;

describe('monitor: in the policy', () => {
  it("loads the issue's example and applies the defaults", async () => {
    const { policy, issues } = await load(EXAMPLE);
    expect(issues).toEqual([]);
    const plan = monitorOf(policy!, 'Production')!;
    expect(plan).toMatchObject({ intervalMs: 1000, count: 3, failureLimit: 1, inconclusiveLimit: 0, onFailure: 'rollback', maxRollbacks: { count: 2, window: '24h' } });
    expect([...policy!.guards.keys()]).toEqual(['stages.1.monitor.metrics.0.successCondition', 'stages.1.monitor.metrics.1.successCondition']);
    expect(monitorOf(policy!, 'Staging')).toBeUndefined();
  });

  it('names the line and field of a condition that does not compile (or names an unknown field)', async () => {
    const bad = await load(EXAMPLE.replace('result < 0.05', 'result <'));
    expect(bad.policy).toBeUndefined();
    expect(bad.issues[0]).toMatchObject({ rule: 'cel-compile', line: 16, field: 'stages[1].monitor.metrics[0].successCondition' });
    const field = await load(EXAMPLE.replace('baseline.metrics.auc', 'baseline.metricz.auc'));
    expect(field.issues[0]).toMatchObject({ rule: 'cel-unknown-field', line: 19 });
    expect(field.issues[0].message).toContain('metricz');
    const variable = await load(EXAMPLE.replace('result < 0.05', 'model.name == "x"'));
    expect(variable.issues[0].message).toContain('result, version and baseline');
  });

  it('wants exactly one provider, a condition, a JSONPath that parses and known fields', async () => {
    const two = await load(EXAMPLE.replace('          successCondition: result < 0.05\n', '          file: { path: m.json, jsonPath: $.x }\n          successCondition: result < 0.05\n'));
    expect(two.issues.map((i) => [i.rule, i.line])).toEqual([['monitor-provider', 14]]);
    const none = await load('      metrics:\n        - name: x\n          successCondition: result < 1\n');
    expect(none.issues[0]).toMatchObject({ rule: 'monitor-provider' });
    const noCondition = await load('      metrics:\n        - name: x\n          file: { path: m.json, jsonPath: $.x }\n');
    expect(noCondition.issues[0]).toMatchObject({ rule: 'monitor-condition' });
    const path = await load(EXAMPLE.replace('$.auc', '$[auc'));
    expect(path.issues[0]).toMatchObject({ rule: 'monitor-jsonpath', field: 'stages[1].monitor.metrics[1].http.jsonPath' });
    const schema = await load(EXAMPLE.replace('onFailure: rollback', 'onFailure: page'));
    expect(schema.issues[0]).toMatchObject({ rule: 'schema', line: 12 });
    const dup = await load(EXAMPLE.replace('name: auc_live', 'name: error_rate'));
    expect(dup.issues[0]).toMatchObject({ rule: 'monitor-metric' });
  });
});

describe('judging measurements (Argo Rollouts semantics)', () => {
  const c = (s: string) => compileCondition(s).guard!;
  const ctx = (result: unknown) => ({ result, version: { metrics: { auc: 0.9 } }, baseline: { metrics: { auc: 0.92 } } });

  it('uses successCondition, failureCondition or both', () => {
    expect(judge({ success: c('result < 0.05') }, ctx(0.01)).phase).toBe('Successful');
    expect(judge({ success: c('result < 0.05') }, ctx(0.2)).phase).toBe('Failed');
    expect(judge({ failure: c('result > 0.1') }, ctx(0.2)).phase).toBe('Failed');
    expect(judge({ failure: c('result > 0.1') }, ctx(0.01)).phase).toBe('Successful');
    expect(judge({ success: c('result < 0.05'), failure: c('result > 0.1') }, ctx(0.07)).phase).toBe('Inconclusive');
  });

  it('compares against the baseline, and an unevaluable condition is inconclusive', () => {
    const noWorse = c('result >= baseline.metrics.auc - 0.02');
    expect(judge({ success: noWorse }, ctx(0.91)).phase).toBe('Successful');
    expect(judge({ success: noWorse }, ctx(0.85)).phase).toBe('Failed');
    expect(judge({ success: noWorse }, { result: 0.9, version: {}, baseline: {} })).toMatchObject({ phase: 'Inconclusive', message: expect.stringContaining('No such key: metrics') });
    expect(judge({ success: c('result < 1') }, ctx('high')).phase).toBe('Inconclusive');
  });

  it('adds measurements up with failureLimit and inconclusiveLimit', () => {
    expect(metricPhase(['Failed', 'Successful'], { failureLimit: 1, inconclusiveLimit: 0 })).toBe('Successful');
    expect(metricPhase(['Failed', 'Failed'], { failureLimit: 1, inconclusiveLimit: 0 })).toBe('Failed');
    expect(metricPhase(['Inconclusive', 'Successful'], { failureLimit: 0, inconclusiveLimit: 0 })).toBe('Inconclusive');
    expect(metricPhase(['Inconclusive', 'Successful'], { failureLimit: 0, inconclusiveLimit: 1 })).toBe('Successful');
    expect(analysisPhase(['Successful', 'Inconclusive', 'Failed'])).toBe('Failed');
    expect(analysisPhase(['Successful', 'Inconclusive'])).toBe('Inconclusive');
  });
});

describe('substitution', () => {
  it('escapes values for a PromQL string so a name cannot change the query', () => {
    expect(promqlString('a"b\\c\'d\n')).toBe('a\\"b\\\\c\\\'d\\n');
    expect(substitute('x{model="{{model}}",v="{{ version }}"}', { model: 'x"} or vector(1) #', version: '1.0.0' }, promqlString))
      .toBe('x{model="x\\"} or vector(1) #",v="1.0.0"}');
    expect(substitute('http://h/m/{{model}}', { model: 'team/a b', version: '1' }, encodeURIComponent)).toBe('http://h/m/team%2Fa%20b');
  });
});
