/**
 * The oracle of the plain readers' property tests (domain/plain-yaml.ts, domain/plain-document.ts):
 * a text a plain reader accepts must parse to the same document with js-yaml (core schema) and
 * with the yaml library. The line mutations they run on real files serve the quick edits'
 * property test too (scan.test.ts).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { parse } from 'yaml';
import jsyaml from 'js-yaml';

/** The documents the yaml library and js-yaml make of `text`, as JSON; a parser that refuses it gives none. */
function parsedJson(text: string): string[] {
  const out: string[] = [];
  for (const load of [(t: string) => parse(t, { uniqueKeys: true, prettyErrors: false }), (t: string) => jsyaml.load(t, { schema: jsyaml.CORE_SCHEMA, json: false })]) {
    let v: unknown;
    try {
      v = load(text);
    } catch {
      continue; // refused: the reader must have declined (checked below for js-yaml)
    }
    out.push(JSON.stringify(v));
  }
  return out;
}

/** False when `read` declines `text`; else asserts that both parsers agree with what it read, and true. */
export function agrees(read: (text: string) => unknown, text: string): boolean {
  const plain = read(text);
  if (plain === undefined) return false;
  const mine = JSON.stringify(plain);
  let js: unknown;
  expect(() => { js = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false }); }, JSON.stringify(text)).not.toThrow();
  expect(JSON.stringify(js), JSON.stringify(text)).toBe(mine);
  for (const doc of parsedJson(text)) expect(doc, JSON.stringify(text)).toBe(mine);
  return true;
}

/**
 * `lines` mutated: one to four lines from `tricky` (weight 1) or `plausible` (weight 3) inserted
 * or put in place of a line, joined with newlines.
 */
export function mutatedText(lines: string[], tricky: string[], plausible: string[]): fc.Arbitrary<string> {
  const line = fc.oneof({ arbitrary: fc.constantFrom(...tricky), weight: 1 }, { arbitrary: fc.constantFrom(...plausible), weight: 3 });
  return fc.array(fc.tuple(fc.nat(lines.length + 4), line, fc.boolean()), { minLength: 1, maxLength: 4 }).map((edits) => mutate(lines, edits));
}

/** `lines` with each [at, line, replace] edit applied (a line inserted, or put in place of line `at`), joined. */
export function mutate(lines: string[], edits: Array<[number, string, boolean]>): string {
  const out = [...lines];
  for (const [at, line, replace] of edits) {
    const i = Math.min(at, out.length);
    if (replace && i < out.length) out[i] = line;
    else out.splice(i, 0, line);
  }
  return out.join('\n');
}

/**
 * Runs `check` on `lines` mutated 10,000 times (see `mutatedText`). Returns how many mutations
 * `check` answered for (true), so a test can require that the reader did not only decline.
 */
export function answeredOfMutations(lines: string[], tricky: string[], plausible: string[], check: (text: string) => boolean): number {
  let answered = 0;
  fc.assert(fc.property(mutatedText(lines, tricky, plausible), (text) => {
    if (check(text)) answered++;
  }), { numRuns: 10000 });
  return answered;
}
