/**
 * The reader of plain model files (src/domain/plain-yaml.ts) that validation uses instead of
 * js-yaml for files as modelreg writes them. It may decline (js-yaml then parses the file as
 * before), but when it answers, the value must be exactly what js-yaml reads with the core
 * schema (and what the yaml library reads): same keys in the same order, same strings. Checked
 * on real files and on thousands of mutations built from YAML's tricky corners.
 */
import { describe, expect, it } from 'vitest';
import { agrees as agreesWith, answeredOfMutations } from './yaml-oracle.js';
import jsyaml from 'js-yaml';
import { readPlainMapping } from '../../src/domain/plain-yaml.js';
import { validateText } from '../../src/domain/validate.js';
import { renderYaml } from '../../src/domain/render.js';
import { modelYaml } from '../helpers/repo.js';

const REAL = modelYaml('churn', 'description: Churn classifier for the EU market\ntags:\n  team: growth\n  data.source: s3://bucket/x\naliases:\n  champion: 1.2.0\n  challenger: 2.0.0-rc.1\npolicy: strict\n');

/** What each parser reads (as JSON, which keeps key order), or undefined when it refuses the text. */
const agrees = (text: string) => agreesWith(readPlainMapping, text);

describe('readPlainMapping', () => {
  it('reads model files as modelreg writes them, exactly as js-yaml does', () => {
    expect(readPlainMapping(REAL)).toEqual({
      name: 'churn', owners: ['ada@example.com'],
      description: 'Churn classifier for the EU market', tags: { team: 'growth', 'data.source': 's3://bucket/x' },
      aliases: { champion: '1.2.0', challenger: '2.0.0-rc.1' }, policy: 'strict',
      created: { at: '2024-01-01T00:00:00Z', by: 'ada@example.com' },
    });
    expect(agrees(REAL)).toBe(true);
    const rendered = renderYaml({ name: 'team/fraud', owners: ['a@example.com', 'b@example.com'], tags: { a: 'b' }, created: { at: '2026-01-01T00:00:00Z', by: 'a@example.com' } });
    expect(agrees(rendered)).toBe(true);
    // validation gives the same value whichever reader read the file
    expect(validateText('model', REAL, 'registry/churn/model.yaml').value).toEqual(jsyaml.load(REAL, { schema: jsyaml.CORE_SCHEMA }));
  });

  it('declines what it cannot vouch for', () => {
    const base = 'name: churn\nowners:\n  - a@example.com\ncreated:\n  at: 2024-01-01T00:00:00Z\n  by: a@example.com\n';
    const declined = [
      base.replace('name: churn', 'name: "churn"'),
      base.replace('name: churn', "name: 'churn'"),
      base.replace('name: churn', 'name: churn # the model'),
      base.replace('name: churn', 'name: 123'),
      base.replace('name: churn', 'name: 1.5'),
      base.replace('name: churn', 'name: 1e3'),
      base.replace('name: churn', 'name: 0x1F'),
      base.replace('name: churn', 'name: null'),
      base.replace('name: churn', 'name: ~'),
      base.replace('name: churn', 'name: true'),
      base.replace('name: churn', 'name: yes'),
      base.replace('name: churn', 'name: .inf'),
      base.replace('name: churn', 'name:'),
      base.replace('name: churn', 'name: churn\n  continued'),
      base.replace('name: churn', 'name: churn\n\n  continued'),
      base.replace('name: churn', 'name: a: b'),
      base.replace('name: churn', 'name: [a, b]'),
      base.replace('name: churn', 'name: {a: b}'),
      base.replace('name: churn', 'name: |\n  churn'),
      base.replace('name: churn', 'name: >-\n  churn'),
      base.replace('name: churn', 'name: &n churn'),
      base.replace('name: churn', 'name: !!str churn'),
      base.replace('name: churn', 'name: churn '),
      base.replace('name: churn', 'name:\tchurn'),
      base.replace('name: churn', 'name: café'),
      base.replace('  - a@example.com', '  - a@example.com\n    - nested'),
      base.replace('  - a@example.com', '  - a@example.com\n - b@example.com'),
      base.replace('  - a@example.com', '  - a@example.com\n\n  - b@example.com'),
      base.replace('  - a@example.com', '  - a: b'),
      base.replace('  - a@example.com', '  # a comment\n  - a@example.com'),
      base.replace('  at: 2024-01-01T00:00:00Z', '  at:\n    2024-01-01T00:00:00Z'),
      base.replace('  by: a@example.com', '  by: a@example.com\n   x: y'),
      base.replace('  by: a@example.com', '  at: again'), // duplicate key below
      `${base}name: other\n`, // duplicate key
      `---\n${base}`,
      `${base}---\nname: x\n`,
      `%YAML 1.2\n---\n${base}`,
      `\uFEFF${base}`,
      base.replace(/\n/g, '\r\n'),
      `__proto__: x\n${base}`,
      `<<: {a: b}\n${base}`,
      '# only a comment\n',
      '',
      '  name: churn\n',
    ];
    for (const text of declined) expect(readPlainMapping(text), JSON.stringify(text)).toBeUndefined();
  });

  it('never disagrees with a YAML parser on mutated files', () => {
    const tricky = [
      'name: other', '  name: x', 'name: "x"', 'name:', '  x', '- x', '-', 'name: x # c', '"name": x', "'name': x",
      'owners:', '  - b@example.com', '    - c', '  -  d', '  - ', '- e', 'tags:', '  team: x', '  team:', '   t: y', '  t: 1',
      '  t: true', '  t: null', '  t: 1.2.0', '  t: 1.2', '  t: 1_000', '  t: 0o17', '  t: .nan', '  t: +1', '  t: -x', '  t: ~',
      '  t: a:b', '  t: a: b', '  t: a #b', '  t: a#b', '  t: [a]', '  t: {a: b}', '  t: "q"', "  t: it's", '  t: x:', '  a.b: c',
      '  a/b: c', '  a:b: c', 'policy: Strict', 'policy: On', 'policy: NO', 'policy: Null', 'policy: e5', 'policy: Infinity',
      'description: a: b', 'description: |', 'description: >-', '  text', 'x: [a,', '  b]', '---', '...', '%YAML 1.2', '# comment',
      '', '  # indented comment', '\tname: x', 'name:\tx', 'key:value', 'name: x\r', '? name', ': x', '&a name: x', 'name: *a',
      '<<: *a', 'name: !!str x', '__proto__: x', '  __proto__: x', 'aliases:', '  champion: 1.0.0', '  champion: 1.0',
      'created:', '  at: 2024-01-01T00:00:00Z', '  at: 2024-01-01', '  by: x', 'name: é', 'name: x,y', 'name: 1.2.3.4',
    ];
    // Lines the reader may well accept where they land, so that it answers often enough for
    // the property to test its answers and not only its refusals.
    const plausible = [
      '  t: 1.2.0', '  t: x', '  a.b: c', '  - b@example.com', 'policy: On', 'policy: e5', 'policy: Infinity', 'name: x,y', 'name: 1.2.3.4',
      "  t: it's", '  t: a#b', '  t: a:b', '# comment', '', '  champion: 1.0.0', 'description: some words here', 'policy: NO',
      '  at: 2024-01-01', '  t: 1_000', '  t: ~', '  t: null',
    ];
    const answered = answeredOfMutations(REAL.split('\n'), tricky, plausible, agrees);
    // The property is only worth something if the reader answered for many of the mutations.
    expect(answered).toBeGreaterThan(300); // about 5% of them, by measurement
  });
});
