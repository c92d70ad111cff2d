import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/policy/index.js';

describe('durations', () => {
  it('parses units w, d, h, m, s and combinations', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1d12h')).toBe(129_600_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
  });

  it('rejects anything else with BAD_INPUT', () => {
    for (const bad of ['', '24', 'h', '1.5h', '1 d', '-1h', '1y']) expect(() => parseDuration(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });

  it('formats for people', () => {
    expect(formatDuration(129_600_000)).toBe('1d 12h');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-3_600_000)).toBe('-1h');
  });
});
