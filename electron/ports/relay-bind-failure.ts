import { hostAddress } from '../../shared/ports.js';
import type { PortReservation, ReserveFailure } from './port-relay.js';

const KNOWN: Record<string, { code: ReserveFailure['code']; says: string }> = {
  EADDRINUSE: { code: 'EADDRINUSE', says: 'address already in use' },
  EACCES: { code: 'EACCES', says: 'permission denied (ports below 1024 need privileges)' },
  EADDRNOTAVAIL: { code: 'EADDRNOTAVAIL', says: 'no such address on this machine' },
  EAFNOSUPPORT: { code: 'EAFNOSUPPORT', says: 'this machine has no IPv6' },
};

/** Turns the system error of a failed bind into the relay's answer for that reservation. */
export function bindFailure(index: number, port: PortReservation, error: unknown): ReserveFailure {
  const errno = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const known = KNOWN[errno];
  const where = `${hostAddress(port)}/${port.protocol}`;
  if (known) return { index, code: known.code, message: `${where}: ${known.says}` };
  const said = error instanceof Error ? error.message : String(error);
  return { index, code: 'OTHER', message: `${where}: ${said}` };
}
