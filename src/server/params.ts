/**
 * Request fields, checked at the edge: a GET's query string (repeated keys are lists, as
 * Python's `requests` sends them) or a JSON body. A field of the wrong type is
 * INVALID_PARAMETER_VALUE naming the field; nothing is written.
 */
import { RegistryError } from '../errors/index.js';

export type Params = Record<string, unknown>;

const wrong = (key: string, want: string, got: unknown): never => {
  throw new RegistryError('BAD_INPUT', `Field '${key}' must be ${want}, not ${JSON.stringify(got)?.slice(0, 60) ?? typeof got}.`, { field: key });
};

export function queryParams(search: URLSearchParams): Params {
  const out: Params = {};
  for (const [k, v] of search) {
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

export function optString(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') wrong(key, 'a string', v);
  return v as string;
}

export function reqString(p: Params, key: string): string {
  const v = optString(p, key);
  if (v === undefined || v === '') throw new RegistryError('BAD_INPUT', `Missing value for required parameter '${key}'.`, { field: key });
  return v;
}

export function optInt(p: Params, key: string, min: number, max: number): number | undefined {
  const v = p[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) wrong(key, `an integer from ${min} to ${max}`, v);
  return n;
}

export function optBool(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return wrong(key, 'true or false', v);
}

/** A list of strings: a JSON array, or a query key given once or repeated. */
export function strList(p: Params, key: string): string[] {
  const v = p[key];
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? [v] : wrong(key, 'a list of strings', v);
  for (const x of arr as unknown[]) if (typeof x !== 'string') wrong(key, 'a list of strings', v);
  return arr as string[];
}

/** MLflow's tag lists: [{key, value}]. */
export function tagList(p: Params, key: string): Record<string, string> {
  const v = p[key];
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) return wrong(key, 'a list of {key, value}', v);
  const out: Record<string, string> = {};
  for (const t of v) {
    if (!t || typeof t !== 'object' || typeof (t as { key?: unknown }).key !== 'string' || typeof (t as { value?: unknown }).value !== 'string') wrong(key, 'a list of {key, value} with string key and value', t);
    out[(t as { key: string }).key] = (t as { value: string }).value;
  }
  return out;
}
