import type { PortProtocol, PortSource } from '../../shared/ports.js';
import { parseExposedPort, type PublishRequest } from './publish-spec.js';

/**
 * A port to publish before it is bound: user ports exactly as asked, implicit ones 1:1 if free.
 * Every address in hostIps shares one host port number; the first must bind, the others are
 * twins (the IPv6 half of `-p 8080:80`) that a host without that family leaves out with a warning.
 */
export interface PlannedPort {
  hostIps: string[];
  hostPort: number;
  guestPort: number;
  protocol: PortProtocol;
  source: Extract<PortSource, 'user' | 'auto_expose'>;
}

export interface PlanInput {
  requests: PublishRequest[];
  exposedPorts: string[];
  autoExpose: boolean;
  /** Where `-p` without an address binds (every interface of both families, as Docker does). */
  userHostIps: string[];
  /** Where implicit ports bind (loopback of both families), so nothing reaches the LAN unless the user asked. */
  implicitHostIps: string[];
}

/**
 * The user's ports first, then every exposed port the user did not publish (same guest port and
 * protocol), each wanting the same host port.
 */
export function planPorts(input: PlanInput): PlannedPort[] {
  const user: PlannedPort[] = input.requests.map(({ hostIp, hostPort, guestPort, protocol }) => ({
    hostIps: hostIp ? [hostIp] : input.userHostIps,
    hostPort,
    guestPort,
    protocol,
    source: 'user',
  }));
  if (!input.autoExpose) return user;
  const published = new Set(user.map((p) => `${p.guestPort}/${p.protocol}`));
  const implicit: PlannedPort[] = [];
  for (const entry of input.exposedPorts) {
    for (const { guestPort, protocol } of parseExposedPort(entry)) {
      const key = `${guestPort}/${protocol}`;
      if (published.has(key)) continue;
      published.add(key);
      implicit.push({ hostIps: input.implicitHostIps, hostPort: guestPort, guestPort, protocol, source: 'auto_expose' });
    }
  }
  return [...user, ...implicit];
}
