import type { PortProtocol, PortSource } from '../../shared/ports.js';
import { parseExposedPort, type PublishRequest } from './publish-spec.js';

/** A port to publish before it is bound: user ports exactly as asked, implicit ones 1:1 if free. */
export interface PlannedPort {
  hostIp: string;
  hostPort: number;
  guestPort: number;
  protocol: PortProtocol;
  source: Extract<PortSource, 'user' | 'auto_expose'>;
}

export interface PlanInput {
  requests: PublishRequest[];
  exposedPorts: string[];
  autoExpose: boolean;
  /** Where `-p` without an address binds (every interface, as Docker does). */
  userHostIp: string;
  /** Where implicit ports bind, so nothing reaches the LAN unless the user asked. */
  implicitHostIp: string;
}

/**
 * The user's ports first, then every exposed port the user did not publish (same guest port and
 * protocol), each wanting the same host port.
 */
export function planPorts(input: PlanInput): PlannedPort[] {
  const user: PlannedPort[] = input.requests.map((r) => ({
    ...r,
    hostIp: r.hostIp || input.userHostIp,
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
      implicit.push({ hostIp: input.implicitHostIp, hostPort: guestPort, guestPort, protocol, source: 'auto_expose' });
    }
  }
  return [...user, ...implicit];
}
