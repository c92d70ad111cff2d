/**
 * The line scan of a version file's head fields (src/domain/scan.ts) that a whole-registry
 * listing uses instead of a YAML parse. It may decline (the caller then parses and validates),
 * but when it answers, the answer must be what a YAML parser reads: checked against both
 * parsers modelreg uses (yaml and js-yaml) on real files and on thousands of mutations built
 * from YAML's tricky corners.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import jsyaml from 'js-yaml';
import { replaceTopLevelScalar, scanVersionHead } from '../../src/domain/scan.js';
import { editYaml, editYamlParsed } from '../../src/domain/yaml-file.js';
import { renderYaml } from '../../src/domain/render.js';
import { versionYaml } from '../helpers/repo.js';

const REAL = versionYaml('churn', '1.2.0', 'Staging', 'description: |\n  Retrained on March data.\n  Better recall.\nmetrics:\n  auc: 0.91\ntags:\n  team: growth\n');

/** What each parser reads, or undefined when it refuses the text or it is not a mapping. */
function parsed(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const load of [(t: string) => parse(t, { uniqueKeys: true, prettyErrors: false }), (t: string) => jsyaml.load(t, { schema: jsyaml.CORE_SCHEMA })]) {
    try {
      const v = load(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      /* refused: the scan's answer cannot disagree with it */
    }
  }
  return out;
}

/** `lines` with each [at, line, replace] edit applied (a line inserted, or put in place of line `at`), joined. */
function mutate(lines: string[], edits: Array<[number, string, boolean]>): string {
  const out = [...lines];
  for (const [at, line, replace] of edits) {
    const i = Math.min(at, out.length);
    if (replace && i < out.length) out[i] = line;
    else out.splice(i, 0, line);
  }
  return out.join('\n');
}

function agrees(text: string): void {
  const head = scanVersionHead(text);
  if (!head) return;
  for (const doc of parsed(text)) {
    expect({ model: doc.model, version: doc.version, stage: doc.stage }, JSON.stringify(text)).toEqual(head);
  }
}

describe('scanVersionHead', () => {
  it('reads the head fields of files as modelreg writes them', () => {
    expect(scanVersionHead(REAL)).toEqual({ model: 'churn', version: '1.2.0', stage: 'Staging' });
    agrees(REAL);
    const rendered = renderYaml({ model: 'team/fraud', version: '2.0.0-rc.1', stage: 'Production', artifact: { uri: 's3://x' }, created: '2026-01-01T00:00:00Z', description: 'stage: Archived\nmodel: other' });
    expect(scanVersionHead(rendered)).toEqual({ model: 'team/fraud', version: '2.0.0-rc.1', stage: 'Production' });
    agrees(rendered);
  });

  it('declines what it cannot vouch for', () => {
    const base = 'model: churn\nversion: 1.0.0\nstage: None\nartifact:\n  uri: s3://x\n';
    const declined = [
      base.replace('stage: None', 'stage: "None"'),
      base.replace('stage: None', "stage: 'None'"),
      base.replace('stage: None', 'stage: None # promoted later'),
      base.replace('stage: None', 'stage: !!str None'),
      base.replace('stage: None', 'stage: &s None'),
      base.replace('stage: None', 'stage: yes'),
      base.replace('stage: None', 'stage: null'),
      base.replace('stage: None', 'stage:\n  Production'),
      base.replace('stage: None', 'stage: None\n  Production'),
      base.replace('stage: None', 'stage:\n- None'),
      base.replace('model: churn', 'model: 123'),
      base.replace('model: churn', 'model: 1e3'),
      base.replace('stage: None', '"stage": None'),
      base.replace('stage: None', 'stage : None'),
      base.replace('stage: None', 'stage:\tNone'),
      base.replace('stage: None', '? stage\n: None'),
      `${base}stage: Production\n`, // duplicate key
      `---\n${base}`,
      `${base}---\nstage: Production\n`,
      `%YAML 1.2\n---\n${base}`,
      `\uFEFF${base}`,
      base.replace(/\n/g, '\r\n'),
      `description: "one\nstage: Archived\n"\n${base.replace('stage: None\n', '')}`,
      `description: [a,\nstage: Archived]\n${base}`,
      `<<: {stage: Archived}\n${base.replace('stage: None\n', '')}`,
      base.replace('stage: None\n', ''), // missing field
      '  model: churn\n  version: 1.0.0\n  stage: None\n', // an indented document
      // An indented document whose quoted value continues at column 0 with what looks like a key
      // (js-yaml reads stage None here; found by review).
      '  description: "notes\nmodel: churn\nversion: 1.0.0\nstage: Staging\nend: here"\n',
      `${base.replace('stage: None', `stage: S${'x'.repeat(64)}`)}`, // longer than the schema's 64
    ];
    for (const text of declined) expect(scanVersionHead(text), JSON.stringify(text)).toBeUndefined();
  });

  it('never disagrees with a YAML parser on mutated files', () => {
    const tricky = [
      'stage: Archived', '  stage: Archived', 'stage: "Archived"', 'stage:', '  Archived', '- Archived', '-', 'stage: Archived # c',
      '"stage": Archived', "'stage': Archived", 'model: other', 'version: 2.0.0', 'stage: yes', 'stage: On', 'model: 0x1F',
      '---', '...', '%YAML 1.2', '# comment', '', '\tstage: Archived', 'description: "a', 'b"', "description: 'it''s", "stage: Archived'",
      'description: |', 'description: >-', '  text', 'x: [a,', 'stage: Archived]', 'tags: {a: b,', '  stage: c}', '? stage', ': Archived',
      '&a stage: x', 'stage: *a', '<<: *a', 'stage: !!str Archived', 'description: a: b', 'key:value', 'stage:Archived', 'model: churn',
      'version: 1.2.0', 'stage: Staging', 'description: |-', 'notes: >', 'stage: Archived\r', '  - item', 'list:', '- a: b',
      '  model: churn', '  stage: None', '  description: "x',
    ];
    const lines = REAL.split('\n');
    const mutation = fc.array(fc.tuple(fc.nat(lines.length + 4), fc.constantFrom(...tricky), fc.boolean()), { minLength: 1, maxLength: 4 });
    let answered = 0;
    fc.assert(fc.property(mutation, (edits) => {
      const text = mutate(lines, edits);
      if (scanVersionHead(text)) answered++;
      agrees(text);
    }), { numRuns: 4000 });
    // The property is only worth something if the scan answered for many of the mutations.
    expect(answered).toBeGreaterThan(200); // about 10% of them, by measurement
  });

  it('edits a top-level word exactly as the YAML parser path does, or declines', () => {
    expect(replaceTopLevelScalar(REAL, 'stage', 'Production')).toBe(REAL.replace('stage: Staging', 'stage: Production'));
    expect(editYaml(REAL, [{ path: ['stage'], value: 'Production' }])).toBe(editYamlParsed(REAL, [{ path: ['stage'], value: 'Production' }]));
    // Values YAML would not read as the same string, and keys that are not plain words on one line, decline.
    expect(replaceTopLevelScalar(REAL, 'stage', 'yes')).toBeUndefined();
    expect(replaceTopLevelScalar(REAL, 'stage', 'two words')).toBeUndefined();
    expect(replaceTopLevelScalar(REAL, 'description', 'x')).toBeUndefined(); // a block scalar
    expect(replaceTopLevelScalar(REAL, 'absent', 'x')).toBeUndefined();
    expect(replaceTopLevelScalar('  model: churn\n  stage: None\n  description: "notes\nstage: Staging\nend: here"\n', 'stage', 'Production')).toBeUndefined();
    const lines = REAL.split('\n');
    const tricky = ['stage: Archived', '  stage: Archived', 'stage: "Archived"', 'stage:', '  Archived', '- x', 'stage: Archived # c', 'stage: Archived   ',
      '---', '# comment', '', 'description: "a', 'b"', 'description: |', '  text', 'x: [a,', 'stage: Archived]', '? stage', 'stage: *a', 'stage: 123',
      'owner: team-a', 'owner: "team b"', 'notes: >-', 'stage:Archived', '\tstage: x'];
    const mutation = fc.array(fc.tuple(fc.nat(lines.length + 4), fc.constantFrom(...tricky), fc.boolean()), { minLength: 0, maxLength: 4 });
    let edited = 0;
    fc.assert(fc.property(mutation, fc.constantFrom('stage', 'model', 'owner', 'description', 'version'), fc.constantFrom('Production', 'Archived', 'x-1', 'B_2', 'On', 'null'), (edits, key, value) => {
      const text = mutate(lines, edits);
      const quick = replaceTopLevelScalar(text, key, value);
      if (quick === undefined || parsed(text).length < 2) return;
      edited++;
      expect(quick, JSON.stringify({ text, key, value })).toBe(editYamlParsed(text, [{ path: [key], value }]));
    }), { numRuns: 3000 });
    expect(edited).toBeGreaterThan(200);
  });
});
