import { describe, expect, it } from 'vitest';
import { parseLogTime } from './log-time.js';

describe('--since and --until values', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');

  it('takes durations before now, Unix times and RFC 3339 dates', () => {
    expect(parseLogTime('since', '10m', now)).toBe(now / 1000 - 600);
    expect(parseLogTime('since', '1h30m', now)).toBe(now / 1000 - 5400);
    expect(parseLogTime('since', '1.5s', now)).toBe(now / 1000 - 1.5);
    expect(parseLogTime('since', '1700000000.25', now)).toBe(1700000000.25);
    expect(parseLogTime('until', '2026-12-03T08:00:00Z', now)).toBe(Date.parse('2026-12-03T08:00:00Z') / 1000);
    expect(parseLogTime('until', '2026-12-03T08:00:00.5+01:00', now)).toBe(Date.parse('2026-12-03T07:00:00.5Z') / 1000);
  });

  it('names the flag and the value it cannot read', () => {
    expect(() => parseLogTime('since', 'yesterday', now)).toThrow('invalid value "yesterday" for --since');
    expect(() => parseLogTime('until', '10x', now)).toThrow('--until');
    expect(() => parseLogTime('until', '2026-13-45', now)).toThrow('--until');
  });
});
