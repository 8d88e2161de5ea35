import { z } from 'zod';

export const PortProtocol = z.enum(['tcp', 'udp']);
export type PortProtocol = z.infer<typeof PortProtocol>;

/**
 * Where a published port came from: `user` (asked for with -p; never moved), `auto_expose` (the
 * image EXPOSEs it and the same host port was free), `auto_remap` (that port was busy, so another
 * one was chosen).
 */
export const PortSource = z.enum(['user', 'auto_expose', 'auto_remap']);
export type PortSource = z.infer<typeof PortSource>;

export const PortMapping = z.object({
  hostIp: z.string(),
  hostPort: z.number().int().min(1).max(65535),
  guestPort: z.number().int().min(1).max(65535),
  protocol: PortProtocol,
  source: PortSource,
  /** For auto_remap: the host port that was busy. */
  requestedHostPort: z.number().int().min(0).max(65535).optional(),
});
export type PortMapping = z.infer<typeof PortMapping>;

/** "127.0.0.1:8080", "[::1]:8080": the host side of a mapping, IPv6 addresses bracketed. */
export function hostAddress(mapping: Pick<PortMapping, 'hostIp' | 'hostPort'>): string {
  const ip = mapping.hostIp.includes(':') ? `[${mapping.hostIp}]` : mapping.hostIp;
  return `${ip}:${mapping.hostPort}`;
}

/** The address family a mapping listens on. */
export function ipFamily(hostIp: string): 'IPv4' | 'IPv6' {
  return hostIp.includes(':') ? 'IPv6' : 'IPv4';
}
