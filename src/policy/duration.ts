/** Durations of the policy DSL (`minTimeInStage: 1d12h`): parse and format side by side. */
import { RegistryError } from '../errors/index.js';

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
const WHOLE = /^(?:[0-9]+[wdhms])+$/;
const PART = /([0-9]+)([wdhms])/g;

/**
 * Milliseconds of a duration written as numbers with units w, d, h, m, s.
 * Throws BAD_INPUT for anything else.
 * @example parseDuration('1d12h') // 129_600_000
 * @example parseDuration('30m')   // 1_800_000
 */
export function parseDuration(s: string): number {
  if (typeof s !== 'string' || !WHOLE.test(s)) {
    throw new RegistryError('BAD_INPUT', `'${String(s)}' is not a duration; write numbers with units w, d, h, m or s, e.g. 24h, 1d12h, 30m, 2w.`, { duration: String(s) });
  }
  let ms = 0;
  for (const [, n, unit] of s.matchAll(PART)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}

/**
 * A duration for people, largest units first, at most two of them, seconds dropped past an hour.
 * @example formatDuration(129_600_000) // '1d 12h'
 * @example formatDuration(90_000)      // '1m 30s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 && parts.length < 2) parts.push(`${n}${unit}`);
    else if (parts.length) break;
  }
  return sign + (parts.length ? parts.join(' ') : '0s');
}
