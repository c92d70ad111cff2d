/**
 * MLflow's search filters, the part of its grammar a registry needs: clauses joined by AND,
 * each `IDENT OP 'value'` with OP one of =, !=, LIKE, ILIKE, or `IDENT IN ('a', 'b')`.
 * IDENT is name, run_id, source_path, version_number, tags.KEY (or tags.`KEY`).
 */
import { RegistryError } from '../errors/index.js';

export interface Clause {
  key: string;
  op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  values: string[];
}

const bad = (filter: string, why: string): never => {
  throw new RegistryError('BAD_INPUT', `Invalid filter ${JSON.stringify(filter)}: ${why}. Use clauses like name = 'churn', name LIKE 'ch%', tags.team = 'growth', joined by AND.`, { filter });
};

const STRING = String.raw`'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"`;
const CLAUSE = new RegExp(String.raw`^\s*(tags?\.(?:\x60[^\x60]+\x60|[A-Za-z_][\w.:/-]*)|[A-Za-z_]+)\s*(=|!=|<>|(?:NOT\s+)?I?LIKE|IN)\s*(${STRING}|\(\s*(?:${STRING})(?:\s*,\s*(?:${STRING}))*\s*\)|\d+)\s*(?:AND\s+|$)`, 'i');

function unquote(s: string): string {
  const q = s[0];
  if (q !== "'" && q !== '"') return s;
  return s.slice(1, -1).replace(q === "'" ? /''|\\(.)/g : /\\(.)/g, (m, c) => (m === "''" ? "'" : c));
}

/** Parses a filter into clauses; allowed identifiers are given by the caller. */
export function parseFilter(filter: string | undefined, allowed: string[]): Clause[] {
  if (!filter || !filter.trim()) return [];
  if (filter.length > 4096) bad(filter.slice(0, 80), 'it is longer than 4096 characters');
  const out: Clause[] = [];
  let rest = filter;
  while (rest.trim()) {
    const m = CLAUSE.exec(rest);
    if (!m) bad(filter, `cannot read ${JSON.stringify(rest.trim().slice(0, 40))}`);
    let key = m![1];
    if (/^tags?\./i.test(key)) key = `tags.${key.slice(key.indexOf('.') + 1).replace(/^\x60|\x60$/g, '')}`;
    else key = key.toLowerCase();
    if (!allowed.includes(key) && !(key.startsWith('tags.') && allowed.includes('tags.*'))) bad(filter, `${m![1]} is not searchable here (searchable: ${allowed.join(', ')})`);
    const op = m![2].toUpperCase().replace(/\s+/g, ' ').replace('<>', '!=');
    if (op.startsWith('NOT')) bad(filter, 'NOT LIKE is not supported');
    const raw = m![3];
    const values = raw.startsWith('(') ? [...raw.matchAll(new RegExp(STRING, 'g'))].map((x) => unquote(x[0])) : [unquote(raw)];
    if (op === 'IN' && !raw.startsWith('(')) bad(filter, 'IN needs a list: IN (\'a\', \'b\')');
    if (op !== 'IN' && raw.startsWith('(')) bad(filter, `${op} takes one value`);
    out.push({ key, op: op as Clause['op'], values });
    rest = rest.slice(m![0].length);
  }
  return out;
}

function likeRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

/** Whether a value (undefined: the field is absent) satisfies a clause. */
export function matches(c: Clause, value: string | undefined): boolean {
  if (value === undefined) return c.op === '!=';
  switch (c.op) {
    case '=': return value === c.values[0];
    case '!=': return value !== c.values[0];
    case 'LIKE': return likeRegex(c.values[0], false).test(value);
    case 'ILIKE': return likeRegex(c.values[0], true).test(value);
    case 'IN': return c.values.includes(value);
  }
}

export interface OrderKey { key: string; desc: boolean }

/** `order_by` entries: `name`, `name DESC`, `last_updated_timestamp ASC`, ... */
export function parseOrderBy(list: string[], allowed: string[]): OrderKey[] {
  return list.map((s) => {
    const m = /^\s*([A-Za-z_]+)\s*(ASC|DESC)?\s*$/i.exec(s);
    const key = m?.[1].toLowerCase() === 'timestamp' ? 'creation_timestamp' : m?.[1].toLowerCase();
    if (!m || !key || !allowed.includes(key)) {
      throw new RegistryError('BAD_INPUT', `Invalid order_by ${JSON.stringify(s)}: give one of ${allowed.join(', ')}, optionally followed by ASC or DESC.`, { order_by: s });
    }
    return { key, desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
}

/** MLflow's page tokens: base64 of {"offset": n}. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  let offset: unknown;
  try { offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset; } catch { offset = undefined; }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new RegistryError('BAD_INPUT', `Invalid page_token ${JSON.stringify(token.slice(0, 40))}: pass the next_page_token of the previous answer unchanged.`, {});
  return offset;
}
