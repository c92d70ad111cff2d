/**
 * The line scan of a version file's head fields (src/domain/scan.ts) that a whole-registry
 * listing uses instead of a YAML parse. It may decline (the caller then parses and validates),
 * but when it answers, the answer must be what a YAML parser reads: checked against both
 * parsers modelreg uses (yaml and js-yaml) on real files and on thousands of mutations built
 * from YAML's tricky corners. The quick edits built on the scan (a top-level word, one entry of
 * a tags or aliases mapping) must produce exactly what the YAML Document API edit produces.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import jsyaml from 'js-yaml';
import { editTopLevelMapEntry, removeTopLevelMap, replaceTopLevelScalar, scanVersionHead } from '../../src/domain/scan.js';
import { editYaml, editYamlParsed, type YamlEdit } from '../../src/domain/yaml-file.js';
import { renderYaml } from '../../src/domain/render.js';
import { versionYaml } from '../helpers/repo.js';
import { mutate, mutatedText } from './yaml-oracle.js';

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

describe('editTopLevelMapEntry and removeTopLevelMap: one entry of a top-level block mapping (tags, aliases)', () => {
  const MODEL = '# yaml-language-server: $schema=../../.modelreg/schemas/model.schema.json\nname: churn\ndescription: Churn classifier\nowners:\n  - alice@example.com\n  - bob@example.com\ntags:\n  team: risk\naliases:\n  champion: 1.1949.0\n  challenger: 1.2.0\ncreated:\n  at: 2025-12-31T23:59:59Z\n  by: alice@example.com\n';
  /** What the YAML Document API makes of the edit, or undefined when it refuses the text. */
  function oracle(text: string, edit: YamlEdit): string | undefined {
    try {
      return editYamlParsed(text, [edit]);
    } catch {
      return undefined;
    }
  }
  /**
   * The quick edit's answer for `edit`, checked against the oracle; true when it answered. A
   * write edits a file it has read the record of, so only texts both parsers accept count (the
   * scan does not look into the values of other keys, as `replaceTopLevelScalar` does not).
   */
  function sameAsParser(text: string, edit: YamlEdit): boolean {
    const [parent, key] = edit.path as string[];
    const quick = key === undefined ? removeTopLevelMap(text, parent) : editTopLevelMapEntry(text, parent, key, edit.value as string | undefined);
    if (quick === undefined || parsed(text).length < 2) return false;
    expect(quick, JSON.stringify({ text, edit })).toBe(oracle(text, edit));
    // editYaml takes the quick path and so agrees too.
    expect(editYaml(text, [edit])).toBe(quick);
    return true;
  }

  it('sets, adds and removes entries as the Document API does', () => {
    const cases: Array<[string, YamlEdit, string]> = [
      [REAL, { path: ['tags', 'team'], value: 'ads' }, REAL.replace('  team: growth\n', '  team: ads\n')],
      [REAL, { path: ['tags', 'bench'], value: '7' }, REAL.replace('  team: growth\n', '  team: growth\n  bench: "7"\n')],
      [REAL, { path: ['tags', 'team'], value: undefined }, REAL.replace('tags:\n  team: growth\n', '')],
      [REAL, { path: ['tags'], value: undefined }, REAL.replace('tags:\n  team: growth\n', '')],
      [MODEL, { path: ['aliases', 'bench'], value: '1.1992.0' }, MODEL.replace('  challenger: 1.2.0\n', '  challenger: 1.2.0\n  bench: 1.1992.0\n')],
      [MODEL, { path: ['aliases', 'champion'], value: undefined }, MODEL.replace('  champion: 1.1949.0\n', '')],
      ['model: m\nversion: 1.0.0', { path: ['tags', 'a'], value: 'two words' }, 'model: m\nversion: 1.0.0\ntags:\n  a: two words\n'],
    ];
    for (const [text, edit, want] of cases) {
      expect(oracle(text, edit), JSON.stringify(edit)).toBe(want);
      expect(sameAsParser(text, edit), JSON.stringify(edit)).toBe(true);
    }
  });

  it('declines what it cannot vouch for', () => {
    const declined: Array<[string, YamlEdit]> = [
      [REAL.replace('  team: growth', '  team: growth # owner'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  # owner\n  team: growth'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('tags:\n  team: growth', 'tags: {team: growth}'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('tags:\n  team: growth', 'tags: &t\n  team: growth'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  team: growth\n    more'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  team: growth\n\n  other: x'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  team: growth\n   other: x'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  "team": growth'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  true: growth'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  team: growth', '  team: growth\n  team: again'), { path: ['tags', 'a'], value: 'b' }],
      [REAL.replace('  uri: s3://models/churn/1.2.0', '  uri: "s3://x\ntags:\n  a: b"'), { path: ['tags', 'a'], value: 'c' }],
      [REAL, { path: ['tags', 'a'], value: "it's" }],
      [REAL, { path: ['tags', 'a'], value: 'a: b' }],
      [REAL, { path: ['tags', 'a'], value: '' }],
      [REAL, { path: ['tags', 'a'], value: '-1' }],
      [REAL, { path: ['tags', 'true'], value: 'x' }],
      [REAL, { path: ['tags', 'absent'], value: undefined }],
      ['# only a comment\n', { path: ['tags', 'a'], value: 'b' }],
    ];
    for (const [text, edit] of declined) {
      const [parent, key] = edit.path as string[];
      expect(key === undefined ? removeTopLevelMap(text, parent) : editTopLevelMapEntry(text, parent, key, edit.value as string | undefined), JSON.stringify({ text, edit })).toBeUndefined();
    }
  });

  it('never disagrees with the Document API on mutated files', () => {
    const tricky = ['tags:', 'tags: {}', 'tags: {a: b}', 'tags: # c', 'tags: &t', 'aliases:', '  - item', '- item', '  # comment', '# comment', '',
      '    deeper: x', '  k:v', '  k:  v', '  k: v ', '\tk: v', '  k:\tv', '  "k": v', "  'k': v", '  true: x', '  null: x', '  1: x', '  k: v # c',
      '  k: "a', 'b"', '  uri: "s3://x', "  k: 'it''s'", '  y: [a,', '  z]', '---', '...', 'description: |', '  tags:', 'description: "a', 'x: [a,',
      '  k: *a', '  k: &a v', '  k: !!str v', '  ? k', '  : v', '  k:', '  k: a: b', '  k: a #b', '  k: -1', 'tags:x: 1', '  team: growth', '  team: risk'];
    const plausible = ['tags:', 'aliases:', '  team: growth', '  bench: "7"', "  owner: 'ml team'", '  n: 1.0', '  env: prod', '  a.b/c: d', '  k:v: w',
      '  champion: 1.2.0', '  challenger: 1.3.0-rc.1', 'stage: Staging', 'metrics:', '  auc: 0.9', 'owners:', '  - a@example.com', 'note: two words'];
    const edit: fc.Arbitrary<YamlEdit> = fc.oneof(
      fc.tuple(fc.constantFrom('tags', 'aliases', 'metrics', 'owners'), fc.constantFrom('team', 'bench', 'champion', 'a', 'n', 'k', 'new_key', 'a.b/c', 'k:v', 'true'),
        fc.constantFrom<string | undefined>('v2', 'two words', '1.0', '1.2.0', '7', 'true', 'False', 'null', '0x1F', '0o17', '1e5', '1.5E+3', 'yes', 'a=b', 's3://b/x',
          'x@y.z', '', ' lead', 'trail ', "it's", 'say "hi"', 'a: b', 'a #b', '-1', '.5', '@x', 'x\ny', undefined, undefined))
        .map(([parent, key, value]) => ({ path: [parent, key], value })),
      fc.constantFrom('tags', 'aliases', 'metrics', 'description').map((parent) => ({ path: [parent], value: undefined })),
    );
    let answered = 0;
    for (const base of [REAL, MODEL]) {
      fc.assert(fc.property(mutatedText(base.split('\n'), tricky, plausible), edit, (text, e) => {
        if (sameAsParser(text, e)) answered++;
      }), { numRuns: 4000 });
    }
    // The property is only worth something if the quick edit answered for many of the pairs.
    expect(answered).toBeGreaterThan(600); // about 11 % of them, by measurement
  });
});
