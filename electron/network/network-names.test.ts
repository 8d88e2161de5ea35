import { describe, expect, it } from 'vitest';
import { NETNS_PATTERN, VETH_PATTERN, networkNames } from './network-names.js';

describe('networkNames', () => {
  it('uses the first 12 characters of a hex id', () => {
    const names = networkNames('0123456789abcdef'.repeat(4));
    expect(names).toEqual({ netns: 'berth-0123456789ab', vethHost: 'vb0123456789ab' });
  });

  it('hashes other ids into bounded names that differ per id', () => {
    const a = networkNames('my container');
    const b = networkNames('my container 2');
    expect(a.netns).not.toBe(b.netns);
    expect(a.vethHost).not.toBe(b.vethHost);
    for (const names of [a, b, networkNames('x'.repeat(500))]) {
      expect(names.netns).toMatch(NETNS_PATTERN);
      expect(names.vethHost).toMatch(VETH_PATTERN);
      expect(names.vethHost.length).toBeLessThanOrEqual(15);
    }
  });

  it('refuses an empty id', () => {
    expect(() => networkNames('')).toThrow(/empty/);
  });
});
