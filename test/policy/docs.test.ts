import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/index.js';
import { compileGuard } from '../../src/policy/cel.js';
import { DESIGN_POLICY } from './fixtures.js';

const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

describe('docs/policy.md', () => {
  it('shows the DESIGN.md §3 policy verbatim', () => {
    expect(blocks('yaml')).toContain(DESIGN_POLICY);
  });

  it('has only policies that load with no issues', async () => {
    const policies = blocks('yaml').filter((b) => b.includes('kind: Policy'));
    expect(policies.length).toBeGreaterThanOrEqual(2);
    for (const text of policies) expect((await loadPolicy(text, 'docs/policy.md')).issues).toEqual([]);
  });

  it('has only guard examples that compile', () => {
    const examples = blocks('text')[0].split('\n').filter(Boolean).map((l) => l.replace(/\s+\/\/.*$/, ''));
    expect(examples.length).toBeGreaterThan(5);
    for (const e of examples) expect(compileGuard(e).error, e).toBeUndefined();
  });

  it('documents every rule a policy can be reported under', () => {
    for (const rule of ['duplicate-stage', 'undefined-stage', 'unknown-group', 'approvals-unreachable', 'group-member', 'reserved-group', 'automation-unreachable', 'cel-compile', 'cel-unknown-field', 'cel-type', 'cel-too-complex', 'cel-regex']) {
      expect(doc).toContain(`\`${rule}\``);
    }
  });
});
