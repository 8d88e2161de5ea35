import { isIP } from 'node:net';
import { z } from 'zod';
import { BerthError } from '../../shared/berth-error.js';
import { PortProtocol } from '../../shared/ports.js';

/** One port a user asked to publish. hostIp '' means every interface; hostPort 0 means any free port. */
export const PublishRequest = z.object({
  hostIp: z.string(),
  hostPort: z.number().int().min(0).max(65535),
  guestPort: z.number().int().min(1).max(65535),
  protocol: PortProtocol,
});
export type PublishRequest = z.infer<typeof PublishRequest>;

function bad(spec: string, why: string): BerthError {
  return new BerthError('INVALID_ARGUMENT', `invalid port "${spec}": ${why}`);
}

function parsePort(spec: string, text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(spec, `${what} "${text}" is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(spec, `${what} ${port} is outside 1-65535`);
  return port;
}

function parseRange(spec: string, text: string, what: string): number[] {
  const [first = '', last, extra] = text.split('-');
  if (extra !== undefined) throw bad(spec, `${what} "${text}" is not a port or a range`);
  const start = parsePort(spec, first, what);
  const end = last === undefined ? start : parsePort(spec, last, what);
  if (end < start) throw bad(spec, `${what} range "${text}" runs backwards`);
  if (end - start >= 1024) throw bad(spec, `${what} range "${text}" is larger than 1024 ports`);
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

/** Splits `[ip:][hostPort:]guestPort`, where ip may be an IPv6 address, in brackets or not. */
function splitParts(spec: string, body: string): { ip: string; host: string; guest: string } {
  let ip = '';
  let rest = body;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw bad(spec, 'an IPv6 address must be written [addr]:hostPort:containerPort');
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const [host = '', guest, extra] = rest.split(':');
    if (guest === undefined || extra !== undefined) throw bad(spec, 'expected [addr]:hostPort:containerPort');
    return { ip, host, guest };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { ip: '', host: '', guest: parts[0]! };
  if (parts.length === 2) return { ip: '', host: parts[0]!, guest: parts[1]! };
  // More parts: an IPv6 address without brackets, as Docker also reads it (`::1:8080:80`).
  return { ip: parts.slice(0, -2).join(':'), host: parts.at(-2)!, guest: parts.at(-1)! };
}

/**
 * Parses one `-p` value in Docker's grammar: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`,
 * `[::1]:8080:80`, `[::]::80`, `8080:80/udp`, ranges `8000-8002:80-82`.
 */
export function parsePublishSpec(spec: string): PublishRequest[] {
  const slash = spec.lastIndexOf('/');
  const body = slash < 0 ? spec : spec.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw bad(spec, `protocol "${proto}" is not tcp or udp`);
  if (body === '') throw bad(spec, 'no container port');
  const { ip, host, guest } = splitParts(spec, body);
  if (ip !== '' && isIP(ip) === 0) throw bad(spec, `"${ip}" is not an IP address`);
  const guestPorts = parseRange(spec, guest, 'container port');
  const hostPorts = host === '' ? guestPorts.map(() => 0) : parseRange(spec, host, 'host port');
  if (hostPorts.length !== guestPorts.length) {
    throw bad(spec, `host range has ${hostPorts.length} ports but container range has ${guestPorts.length}`);
  }
  return guestPorts.map((guestPort, i) => ({ hostIp: ip, hostPort: hostPorts[i]!, guestPort, protocol: proto }));
}

/** Parses an image's EXPOSE entry (`80`, `80/tcp`, `53/udp`, `8000-8002/tcp`). */
export function parseExposedPort(entry: string): { guestPort: number; protocol: PortProtocol }[] {
  const [ports = '', proto = 'tcp'] = entry.split('/');
  const protocol = proto.toLowerCase();
  // Images may expose protocols Berth does not relay (sctp): those are not published.
  if (protocol !== 'tcp' && protocol !== 'udp') return [];
  return parseRange(entry, ports, 'exposed port').map((guestPort) => ({ guestPort, protocol }));
}
