/**
 * The concurrency suites' checker must itself catch what it is there to catch: a lost, a
 * duplicated, a phantom or a mislabelled commit, a fork in the history and a version registered
 * twice. Pure data; no repository.
 */
import { describe, expect, it } from 'vitest';
import type { Commit } from './util.js';
import { checkHistory, type LogEntry } from './verify.js';

const init: Commit = { commit: 'c0', parents: [], subject: 'init', trailers: { 'Modelreg-Action': 'init' } };
function reg(id: string, parent: string, version: string): Commit {
  return { commit: id, parents: [parent], subject: `register m ${version}`, trailers: { 'Modelreg-Action': 'register', 'Modelreg-Model': 'm', 'Modelreg-Version': version, 'Modelreg-Stage': 'None' } };
}
function ok(commit: string, version: string, worker = 0): LogEntry {
  return { worker, ok: true, op: 'register', index: 0, model: 'm', version, commit, ms: 1 };
}
const history = [reg('c2', 'c1', '1.1.0'), reg('c1', 'c0', '1.0.0'), init];

describe('the history checker', () => {
  it('accepts a history that matches the successes', () => {
    expect(checkHistory(history, [ok('c1', '1.0.0'), ok('c2', '1.1.0', 1)], 1).problems).toEqual([]);
  });

  it('finds a success that is not in the history (lost)', () => {
    const p = checkHistory(history, [ok('c1', '1.0.0'), ok('c2', '1.1.0'), ok('c3', '1.2.0')], 1).problems;
    expect(p.join('\n')).toMatch(/c3, which is in the history 0 times/);
  });

  it('finds a commit nobody reported (phantom) and a success without a commit', () => {
    const phantom = checkHistory(history, [ok('c1', '1.0.0')], 1).problems;
    expect(phantom.join('\n')).toMatch(/commits nobody reported/);
    const noCommit = checkHistory(history, [ok('c1', '1.0.0'), { ...ok('c2', '1.1.0'), commit: undefined }], 1).problems;
    expect(noCommit.join('\n')).toMatch(/without a commit/);
  });

  it('finds a commit reported twice, and a commit whose trailers are not the operation\'s', () => {
    expect(checkHistory(history, [ok('c1', '1.0.0'), ok('c1', '1.0.0', 1)], 1).problems.join('\n')).toMatch(/reported by 2 operations/);
    expect(checkHistory(history, [ok('c1', '1.0.0'), ok('c2', '9.9.9')], 1).problems.join('\n')).toMatch(/carries/);
  });

  it('finds a version registered twice and a history that is not one chain', () => {
    const twice = [reg('c2', 'c1', '1.0.0'), reg('c1', 'c0', '1.0.0'), init];
    expect(checkHistory(twice, [ok('c1', '1.0.0'), ok('c2', '1.0.0', 1)], 1).problems.join('\n')).toMatch(/registered 2 times/);
    const forked = [reg('c2', 'c0', '1.1.0'), reg('c1', 'c0', '1.0.0'), init];
    expect(checkHistory(forked, [ok('c1', '1.0.0'), ok('c2', '1.1.0')], 1).problems.join('\n')).toMatch(/not one chain/);
    const merge = [{ ...reg('c2', 'c1', '1.1.0'), parents: ['c1', 'c0'] }, reg('c1', 'c0', '1.0.0'), init];
    expect(checkHistory(merge, [ok('c1', '1.0.0'), ok('c2', '1.1.0')], 1).problems.join('\n')).toMatch(/not linear/);
  });
});
