import { describe, expect, it } from 'vitest';
import { parseExposedPort, parsePublishSpec } from './publish-spec.js';
import { planPorts } from './plan-ports.js';

describe('parsePublishSpec (Docker -p grammar)', () => {
  it('reads every form Docker accepts', () => {
    expect(parsePublishSpec('8080:80')).toEqual([{ hostIp: '', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('127.0.0.1:8080:80')).toEqual([{ hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('8080:80/udp')).toEqual([{ hostIp: '', hostPort: 8080, guestPort: 80, protocol: 'udp' }]);
    expect(parsePublishSpec('80')).toEqual([{ hostIp: '', hostPort: 0, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('127.0.0.1::80')).toEqual([{ hostIp: '127.0.0.1', hostPort: 0, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('[::1]:8080:80')).toEqual([{ hostIp: '::1', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('[::]:8080:80')).toEqual([{ hostIp: '::', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('[::1]::53/udp')).toEqual([{ hostIp: '::1', hostPort: 0, guestPort: 53, protocol: 'udp' }]);
    expect(parsePublishSpec('::1:8080:80')).toEqual([{ hostIp: '::1', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('fd00::2:8080:80')).toEqual([{ hostIp: 'fd00::2', hostPort: 8080, guestPort: 80, protocol: 'tcp' }]);
    expect(parsePublishSpec('8000-8002:80-82').map((p) => [p.hostPort, p.guestPort])).toEqual([
      [8000, 80],
      [8001, 81],
      [8002, 82],
    ]);
  });

  it('names the bad part in one line', () => {
    expect(() => parsePublishSpec('8080:80/sctp')).toThrow('invalid port "8080:80/sctp": protocol "sctp" is not tcp or udp');
    expect(() => parsePublishSpec('70000:80')).toThrow('host port 70000 is outside 1-65535');
    expect(() => parsePublishSpec('abc:80')).toThrow('host port "abc" is not a number');
    expect(() => parsePublishSpec('8000-8001:80-82')).toThrow('host range has 2 ports but container range has 3');
    expect(() => parsePublishSpec('300.1.1.1:80:80')).toThrow('"300.1.1.1" is not an IP address');
    expect(() => parsePublishSpec('1:2:3:4')).toThrow('"1:2" is not an IP address');
    expect(() => parsePublishSpec('[::1:8080:80')).toThrow('an IPv6 address must be written [addr]:hostPort:containerPort');
    expect(() => parsePublishSpec('')).toThrow('no container port');
  });

  it('reads EXPOSE entries and skips protocols it cannot relay', () => {
    expect(parseExposedPort('80/tcp')).toEqual([{ guestPort: 80, protocol: 'tcp' }]);
    expect(parseExposedPort('53/udp')).toEqual([{ guestPort: 53, protocol: 'udp' }]);
    expect(parseExposedPort('9/sctp')).toEqual([]);
  });
});

describe('planPorts', () => {
  const base = { userHostIps: ['0.0.0.0', '::'], implicitHostIps: ['127.0.0.1', '::1'], autoExpose: true };

  it('publishes -p on both families and exposed ports the user did not on loopback of both, 1:1', () => {
    const plan = planPorts({ ...base, requests: parsePublishSpec('18080:80'), exposedPorts: ['80/tcp', '443/tcp', '53/udp'] });
    expect(plan).toEqual([
      { hostIps: ['0.0.0.0', '::'], hostPort: 18080, guestPort: 80, protocol: 'tcp', source: 'user' },
      { hostIps: ['127.0.0.1', '::1'], hostPort: 443, guestPort: 443, protocol: 'tcp', source: 'auto_expose' },
      { hostIps: ['127.0.0.1', '::1'], hostPort: 53, guestPort: 53, protocol: 'udp', source: 'auto_expose' },
    ]);
  });

  it('binds an address the user names, and only that one', () => {
    const plan = planPorts({ ...base, requests: [...parsePublishSpec('[::1]:8080:80'), ...parsePublishSpec('127.0.0.1:8081:81')], exposedPorts: [] });
    expect(plan.map((p) => p.hostIps)).toEqual([['::1'], ['127.0.0.1']]);
  });

  it('publishes only what the user asked when auto-expose is off', () => {
    expect(planPorts({ ...base, autoExpose: false, requests: [], exposedPorts: ['80/tcp'] })).toEqual([]);
  });
});
