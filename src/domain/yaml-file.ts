/**
 * Reading and editing the registry's YAML files. Parsing reports problems with line and
 * column; editing keeps a person's comments, key order and formatting on every line it does
 * not change, so a promotion's diff is the stage line and nothing else.
 */
import { createRequire } from 'node:module';
import { editTopLevelMapEntry, removeTopLevelMap, replaceTopLevelScalar } from './scan.js';
import type * as YamlLib from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';

// The yaml library (comments, positions, edits) loads on first use: a read whose files all take
// the fast path (validate.ts), and a write whose edits all take the quick path (`quickEdit`),
// never pays for it.
let lib: typeof YamlLib | undefined;
/** The `yaml` library, loaded on first use (render.ts writes whole files with it). */
export function yamlLibrary(): typeof YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}
const Y = yamlLibrary;
import { issue, type Issue } from './issues.js';

/** Files larger than this are refused before parsing (a 50 MB file is an attack, not a model card). */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface ParsedYaml {
  value: unknown;
  issues: Issue[];
  doc?: Document.Parsed;
  lines?: LineCounter;
}

/** Deepest nesting a registry file may have; deeper input is refused before the recursive parser sees it. */
export const MAX_DEPTH = 64;

/** A cheap upper bound of a document's nesting: flow brackets and block indentation. */
function nestingDepth(text: string): { depth: number; offset: number } {
  let depth = 0;
  let worst = { depth: 0, offset: 0 };
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote && text[i - 1] !== '\\') quote = undefined; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') { const nl = text.indexOf('\n', i); i = nl < 0 ? text.length : nl - 1; }
    else if (c === '[' || c === '{') { depth++; if (depth > worst.depth) worst = { depth, offset: i }; }
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\n') {
      depth = 0;
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '-') j++;
      const indent = Math.floor((j - i - 1) / 2);
      if (indent > worst.depth) worst = { depth: indent, offset: i + 1 };
    }
  }
  return worst;
}

/** Keys of the block mappings that enclose the line at `offset`, outermost first (by indentation). */
function blockParents(text: string, offset: number): string[] {
  const lines = text.slice(0, lineStart(text, offset)).split('\n');
  let indent = offset - lineStart(text, offset);
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && indent > 0; i--) {
    const m = /^(\s*)(?:- )?([A-Za-z0-9_.:/-]+)\s*:/.exec(lines[i]);
    if (m && m[1].length < indent) {
      out.unshift(m[2]);
      indent = m[1].length;
    }
  }
  return out;
}

export function parseYaml(text: string, file: string): ParsedYaml {
  if (text.length > MAX_FILE_BYTES) {
    return { value: undefined, issues: [issue(file, 'file-too-large', `file is ${text.length} bytes; registry files may be at most ${MAX_FILE_BYTES} bytes`)] };
  }
  const lines = new (Y().LineCounter)();
  const deep = nestingDepth(text);
  if (deep.depth > MAX_DEPTH) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lines.addNewLine(i + 1);
    const pos = lines.linePos(deep.offset);
    return { value: undefined, issues: [issue(file, 'too-deep', `nests more than ${MAX_DEPTH} levels deep; registry files are shallow records`, { line: pos.line, column: pos.col })] };
  }
  let doc: Document.Parsed;
  try {
    doc = Y().parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  } catch (e) {
    return { value: undefined, issues: [issue(file, 'yaml-syntax', `cannot be parsed: ${(e as Error).message}`)] };
  }
  const issues: Issue[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = lines.linePos(e.pos[0]);
    const dup = e.code === 'DUPLICATE_KEY';
    const key = dup ? (/^\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^:\n]*?))\s*:/.exec(text.slice(e.pos[0], e.pos[0] + 300)) ?? []).slice(1).find((x) => x !== undefined) ?? '' : '';
    const message = dup ? `key '${key}' appears twice in the same mapping; keys must be unique, keep one` : e.message.split('\n')[0];
    const field = dup && key ? [...blockParents(text, e.pos[0]), key].join('.') : undefined;
    issues.push(issue(file, dup ? 'duplicate-key' : 'yaml-syntax', message, { line: pos.line, column: pos.col, ...(field ? { field } : {}), severity: doc.errors.includes(e as never) ? 'error' : 'warning' }));
  }
  if (issues.some((i) => i.severity === 'error')) return { value: undefined, issues, doc, lines };
  try {
    const value = doc.toJS({ maxAliasCount: 50 });
    return { value, issues, doc, lines };
  } catch (e) {
    if (e instanceof RangeError) return { value: undefined, issues: [...issues, issue(file, 'too-deep', 'nests too deeply to read; registry files are shallow records')], doc, lines };
    return { value: undefined, issues: [...issues, issue(file, 'yaml-aliases', `${(e as Error).message} (YAML aliases are limited to keep parsing bounded)`)], doc, lines };
  }
}

/** Line and column of the node at a JSON path, or of its nearest existing ancestor. */
export function locate(parsed: ParsedYaml, path: Array<string | number>, keyOf = false): { line: number; column: number } {
  const { doc, lines } = parsed;
  if (!doc || !lines) return { line: 1, column: 1 };
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    let node: unknown = n === 0 ? doc.contents : doc.getIn(sub, true);
    if (keyOf && n === path.length && n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      if (Y().isMap(parent)) {
        const pair = parent.items.find((p) => Y().isScalar(p.key) && String(p.key.value) === String(path[n - 1]));
        if (pair && pair.key) node = pair.key;
      }
    }
    const range = (node as Node | undefined)?.range;
    if (range) {
      const pos = lines.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

export type YamlPath = Array<string | number>;
export interface YamlEdit {
  path: YamlPath;
  /** undefined deletes the key */
  value: unknown;
}

function isPlainScalar(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function renderScalar(v: unknown): string {
  // A multi-line string goes in double quotes so it fits where the old value stood.
  if (typeof v === 'string' && v.includes('\n')) return JSON.stringify(v);
  return Y().stringify(v, { lineWidth: 0 }).trimEnd();
}

/** Column (0-based) at which the node at `offset` starts on its line. */
function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function indentBlock(rendered: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return rendered.trimEnd().split('\n').map((l) => pad + l).join('\n') + '\n';
}

/** Edits inside a block map or sequence that leave its other lines (and their comments) alone. */
function applyInBlock(text: string, doc: Document.Parsed, edit: YamlEdit): string | undefined {
  const parentPath = edit.path.slice(0, -1);
  const key = edit.path[edit.path.length - 1];
  const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
  if (Y().isMap(parent) && !parent.flow && parent.items.length && typeof key === 'string') {
    const pair = parent.items.find((p) => Y().isScalar(p.key) && String(p.key.value) === key);
    if (edit.value === undefined) {
      if (!pair || parent.items.length < 2) return undefined;
      const start = lineStart(text, (pair.key as Node).range![0]);
      const v = pair.value as Node | null;
      const end = lineEnd(text, v?.range ? v.range[1] : (pair.key as Node).range![1]);
      return text.slice(0, start) + text.slice(end);
    }
    if (pair) return undefined;
    const last = parent.items[parent.items.length - 1];
    const lastNode = (last.value as Node | null)?.range ? (last.value as Node) : (last.key as Node);
    const at = lineEnd(text, lastNode.range![1]);
    const indent = columnOf(text, (parent.items[0].key as Node).range![0]);
    const rendered = new (Y().Document)({ [key]: edit.value }).toString({ lineWidth: 0, indentSeq: true });
    return text.slice(0, at) + (text[at - 1] === '\n' || at === 0 ? '' : '\n') + indentBlock(rendered, indent) + text.slice(at);
  }
  return undefined;
}

/** Appending items to an existing block sequence: the new items go after the last one. */
function appendToSeq(text: string, doc: Document.Parsed, edit: YamlEdit): string | undefined {
  const node = doc.getIn(edit.path, true);
  if (!Y().isSeq(node) || node.flow || !node.items.length || !Array.isArray(edit.value)) return undefined;
  const current = node.toJSON() as unknown[];
  const next = edit.value as unknown[];
  if (next.length <= current.length || !current.every((c, i) => JSON.stringify(c) === JSON.stringify(next[i]))) return undefined;
  const last = node.items[node.items.length - 1] as Node;
  const at = lineEnd(text, last.range![1]);
  const first = node.items[0] as Node;
  const dashCol = text.lastIndexOf('-', first.range![0]) - lineStart(text, first.range![0]);
  const rendered = new (Y().Document)(next.slice(current.length)).toString({ lineWidth: 0 });
  return text.slice(0, at) + (text[at - 1] === '\n' ? '' : '\n') + indentBlock(rendered, Math.max(dashCol, 0)) + text.slice(at);
}

function lineStart(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}
function lineEnd(text: string, i: number): number {
  const j = text.indexOf('\n', Math.max(i - 1, 0));
  return j < 0 ? text.length : j + 1;
}

function setPath(obj: Record<string, unknown>, path: YamlPath, value: unknown): void {
  let cur: Record<string | number, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') cur[k] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[k] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1);
    else delete cur[last];
  } else cur[last] = value;
}

/** Renders one top-level key with the tool's own style. */
export function renderTopLevel(key: string, value: unknown): string {
  const doc = new (Y().Document)({ [key]: value });
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

function applyOne(text: string, edit: YamlEdit): string {
  const doc = Y().parseDocument(text, { version: '1.2' });
  const root = doc.contents;
  if (!Y().isMap(root)) throw new Error('a registry file must be a mapping');
  // 1. A scalar replaced by a scalar: rewrite exactly the characters of the old value.
  if (edit.value !== undefined && isPlainScalar(edit.value)) {
    const node = doc.getIn(edit.path, true);
    if (Y().isScalar(node) && node.range) {
      const [start, valueEnd] = node.range;
      return text.slice(0, start) + renderScalar(edit.value) + text.slice(valueEnd);
    }
  }
  // 2. A key added to or removed from a block map, items appended to a block sequence.
  if (edit.path.length > 1 || edit.value === undefined) {
    const inBlock = applyInBlock(text, doc, edit) ?? appendToSeq(text, doc, edit);
    if (inBlock !== undefined) return inBlock;
  } else {
    const appended = appendToSeq(text, doc, edit);
    if (appended !== undefined) return appended;
  }
  // 3. Otherwise re-render only the top-level key the edit is under.
  const top = String(edit.path[0]);
  const pair = root.items.find((p) => Y().isScalar(p.key) && String(p.key.value) === top);
  const current = (doc.toJS() ?? {}) as Record<string, unknown>;
  const holder: Record<string, unknown> = { [top]: structuredClone(current[top]) };
  setPath(holder, edit.path, edit.value);
  const newValue = holder[top];
  const isEmpty = newValue === undefined || (typeof newValue === 'object' && newValue !== null && Object.keys(newValue).length === 0 && edit.path.length > 1);
  const rendered = isEmpty ? '' : renderTopLevel(top, newValue);
  if (!pair) {
    if (rendered === '') return text;
    const sep = text.length === 0 || text.endsWith('\n') ? '' : '\n';
    return text + sep + rendered;
  }
  const keyNode = pair.key as Node;
  const valueNode = pair.value as Node | null;
  const start = lineStart(text, keyNode.range![0]);
  const endOffset = valueNode?.range ? valueNode.range[1] : keyNode.range![1];
  const end = lineEnd(text, endOffset);
  return text.slice(0, start) + rendered + text.slice(end);
}

/**
 * Adds a top-level key on the line after the top-level key `after` (at the end when `after` is
 * absent), through the YAML Document's positions, so every other line — comments, order,
 * formatting — stays as written. A key that exists already is set in place instead.
 * @example insertTopLevelAfter('model: m\nversion: 1.0.0 # x\nstage: None\n', 'version', 'number', 3) // 'model: m\nversion: 1.0.0 # x\nnumber: 3\nstage: None\n'
 */
export function insertTopLevelAfter(text: string, after: string, key: string, value: unknown): string {
  const doc = Y().parseDocument(text, { version: '1.2' });
  const root = doc.contents;
  if (!Y().isMap(root)) throw new Error('a registry file must be a mapping');
  const find = (k: string) => root.items.find((p) => Y().isScalar(p.key) && String(p.key.value) === k);
  if (find(key)) return applyOne(text, { path: [key], value });
  const anchor = find(after);
  const end = anchor ? (anchor.value as Node | null)?.range?.[1] ?? (anchor.key as Node).range![1] : undefined;
  if (end === undefined) return applyOne(text, { path: [key], value });
  // The anchor's value ends on its line for a plain scalar; a trailing comment stays on that line.
  const at = lineEnd(text, end);
  const sep = at === text.length && !text.endsWith('\n') ? '\n' : '';
  return text.slice(0, at) + sep + renderTopLevel(key, value) + text.slice(at);
}

/**
 * The edits the writes make most — a stage line, one tag or alias, a whole `tags:` or `aliases:`
 * mapping removed — by a line scan, when it can vouch for the document (src/domain/scan.ts);
 * undefined otherwise. Loading the YAML library and parsing the file was most of a `tag set`'s
 * own time. The result is what `applyOne` makes of the same edit (property-tested).
 */
function quickEdit(text: string, e: YamlEdit): string | undefined {
  const [top, key] = e.path;
  if (typeof top !== 'string' || (e.value !== undefined && typeof e.value !== 'string')) return undefined;
  if (e.path.length === 1) return e.value === undefined ? removeTopLevelMap(text, top) : replaceTopLevelScalar(text, top, e.value);
  if (e.path.length === 2 && typeof key === 'string') return editTopLevelMapEntry(text, top, key, e.value);
  return undefined;
}

/**
 * Applies edits to a YAML file's text, keeping every other line as the person wrote it.
 * @example editYaml('stage: None # new\n', [{ path: ['stage'], value: 'Staging' }]) // 'stage: Staging # new\n'
 */
export function editYaml(text: string, edits: YamlEdit[]): string {
  let out = text;
  for (const e of edits) {
    out = quickEdit(out, e) ?? applyOne(out, e);
  }
  return out;
}

/** `editYaml` through the YAML parser for every edit: what the quick path must agree with (tests compare them). */
export function editYamlParsed(text: string, edits: YamlEdit[]): string {
  let out = text;
  for (const e of edits) out = applyOne(out, e);
  return out;
}
