import { describe, expect, it } from 'vitest';
import { parseSignal } from './signals.js';

describe('parseSignal', () => {
  it('accepts names with or without SIG, in any case, and numbers', () => {
    expect(parseSignal('TERM')).toEqual({ name: 'SIGTERM', number: 15 });
    expect(parseSignal('sigkill')).toEqual({ name: 'SIGKILL', number: 9 });
    expect(parseSignal('1')).toEqual({ name: 'SIGHUP', number: 1 });
    expect(parseSignal('RTMIN+2').number).toBe(36);
  });

  it('refuses unknown signals with a line naming them', () => {
    expect(() => parseSignal('SIGFOO')).toThrow(/invalid signal "SIGFOO"/);
    expect(() => parseSignal('0')).toThrow(/invalid signal "0"/);
    expect(() => parseSignal('65')).toThrow(/invalid signal/);
    expect(() => parseSignal('')).toThrow(/invalid signal/);
  });
});
