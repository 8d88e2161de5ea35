import { describe, expect, it } from 'vitest';
import { BerthError } from '../../shared/berth-error.js';
import { containerAddress, formatIpv4, parseIpv4, parseSubnet } from './subnet.js';

function errorOf(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('parseIpv4 / formatIpv4', () => {
  it('round-trips addresses across the whole range', () => {
    for (const text of ['0.0.0.0', '10.88.0.1', '192.168.255.254', '255.255.255.255']) {
      expect(formatIpv4(parseIpv4(text))).toBe(text);
    }
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
  });

  it('names the bad part', () => {
    expect(errorOf(() => parseIpv4('10.88.0.256')).message).toContain("'256' is out of range");
    expect(errorOf(() => parseIpv4('10.88.0')).message).toContain('four numbers');
    expect(errorOf(() => parseIpv4('10.88.x.1')).message).toContain("part 'x'");
    expect(errorOf(() => parseIpv4('10.088.0.1')).message).toContain("part '088'");
    expect(errorOf(() => parseIpv4('10.88..1')).message).toContain("part ''");
    expect(errorOf(() => parseIpv4(' 10.88.0.1')).code).toBe('INVALID_ARGUMENT');
  });
});

describe('parseSubnet', () => {
  it('derives gateway and host range', () => {
    const s = parseSubnet('10.88.0.0/24');
    expect(s.cidr).toBe('10.88.0.0/24');
    expect(s.prefixLength).toBe(24);
    expect(formatIpv4(s.gateway)).toBe('10.88.0.1');
    expect(formatIpv4(s.firstHost)).toBe('10.88.0.2');
    expect(formatIpv4(s.lastHost)).toBe('10.88.0.254');
    expect(formatIpv4(s.broadcast)).toBe('10.88.0.255');
  });

  it('handles the extremes of the allowed prefix range', () => {
    const narrow = parseSubnet('192.168.7.4/30');
    expect(formatIpv4(narrow.firstHost)).toBe('192.168.7.6');
    expect(narrow.lastHost).toBe(narrow.firstHost);
    const wide = parseSubnet('10.0.0.0/8');
    expect(formatIpv4(wide.lastHost)).toBe('10.255.255.254');
    expect(formatIpv4(parseSubnet('240.0.0.0/8').broadcast)).toBe('240.255.255.255');
  });

  it('names the bad part of a malformed subnet', () => {
    expect(errorOf(() => parseSubnet('10.88.0.0')).message).toContain('no prefix length');
    expect(errorOf(() => parseSubnet('10.88.0.0/')).message).toContain("prefix length ''");
    expect(errorOf(() => parseSubnet('10.88.0.0/abc')).message).toContain("prefix length 'abc'");
    expect(errorOf(() => parseSubnet('10.88.0.0/31')).message).toContain('prefix length 31 is outside 8-30');
    expect(errorOf(() => parseSubnet('10.0.0.0/4')).message).toContain('prefix length 4');
    expect(errorOf(() => parseSubnet('10.88.0.300/24')).message).toContain("part '300'");
    const hostBits = errorOf(() => parseSubnet('10.88.0.5/24'));
    expect(hostBits.message).toContain('host bits set');
    expect(hostBits.message).toContain('did you mean 10.88.0.0/24');
    expect(hostBits.code).toBe('INVALID_ARGUMENT');
  });
});

describe('containerAddress', () => {
  const subnet = parseSubnet('10.88.0.0/24');

  it('accepts host addresses', () => {
    expect(formatIpv4(containerAddress(subnet, '10.88.0.2'))).toBe('10.88.0.2');
    expect(formatIpv4(containerAddress(subnet, '10.88.0.254'))).toBe('10.88.0.254');
  });

  it('refuses addresses a container must not take', () => {
    expect(errorOf(() => containerAddress(subnet, '10.89.0.2')).message).toContain('outside subnet 10.88.0.0/24');
    expect(errorOf(() => containerAddress(subnet, '10.88.0.1')).message).toContain('gateway');
    expect(errorOf(() => containerAddress(subnet, '10.88.0.0')).message).toContain('network or broadcast');
    expect(errorOf(() => containerAddress(subnet, '10.88.0.255')).message).toContain('network or broadcast');
    expect(errorOf(() => containerAddress(subnet, '10.89.0.2')).code).toBe('NETWORK_ERROR');
  });
});
