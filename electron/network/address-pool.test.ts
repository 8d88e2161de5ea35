import { describe, expect, it } from 'vitest';
import { AddressPool } from './address-pool.js';

describe('AddressPool', () => {
  it('hands out addresses after the gateway in order', () => {
    const pool = new AddressPool('10.88.0.0/24');
    expect(pool.gateway).toBe('10.88.0.1');
    expect(pool.prefixLength).toBe(24);
    expect(pool.capacity).toBe(253);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual(['10.88.0.2', '10.88.0.3', '10.88.0.4']);
    expect(pool.inUse).toBe(3);
  });

  it('does not hand a just-released address straight back', () => {
    const pool = new AddressPool('10.88.0.0/24');
    const a = pool.allocate();
    pool.allocate();
    pool.release(a);
    expect(pool.allocate()).toBe('10.88.0.4');
    expect(pool.has(a)).toBe(false);
  });

  it('wraps around to released addresses and fails when full', () => {
    const pool = new AddressPool('192.168.7.0/29'); // hosts .2-.6 for containers
    const all = Array.from({ length: 5 }, () => pool.allocate());
    expect(all).toEqual(['192.168.7.2', '192.168.7.3', '192.168.7.4', '192.168.7.5', '192.168.7.6']);
    expect(() => pool.allocate()).toThrow(/no free addresses/);
    pool.release('192.168.7.4');
    expect(pool.allocate()).toBe('192.168.7.4');
    expect(() => pool.allocate()).toThrow(/no free addresses/);
  });

  it('reserves known addresses and skips them', () => {
    const pool = new AddressPool('10.88.0.0/24');
    pool.reserve('10.88.0.2');
    pool.reserve('10.88.0.4');
    expect(pool.allocate()).toBe('10.88.0.3');
    expect(pool.allocate()).toBe('10.88.0.5');
    expect(() => pool.reserve('10.88.0.4')).toThrow(/already in use/);
    expect(() => pool.reserve('10.88.0.1')).toThrow(/gateway/);
    expect(() => pool.reserve('10.99.0.4')).toThrow(/outside subnet/);
  });

  it('treats releasing a free address as a no-op but refuses foreign ones', () => {
    const pool = new AddressPool('10.88.0.0/24');
    pool.release('10.88.0.9');
    expect(pool.inUse).toBe(0);
    expect(() => pool.release('10.77.0.9')).toThrow(/outside subnet/);
    expect(() => pool.release('nonsense')).toThrow(/not an IPv4 address/);
  });

  it('rejects a bad subnet at construction', () => {
    expect(() => new AddressPool('10.88.0.0/33')).toThrow(/prefix length 33/);
  });

  it('fills a whole /30 with its single container address', () => {
    const pool = new AddressPool('10.88.0.4/30');
    expect(pool.gateway).toBe('10.88.0.5');
    expect(pool.allocate()).toBe('10.88.0.6');
    expect(() => pool.allocate()).toThrow(/no free addresses/);
  });
});
