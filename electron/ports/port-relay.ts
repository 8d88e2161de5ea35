import type { PortProtocol } from '../../shared/ports.js';
import { forwardOf, type PortPath } from '../host/host.js';

/** One host port to hold for a container, and the guest port it forwards to. hostPort 0 asks for any free port. */
export interface PortReservation {
  hostIp: string;
  hostPort: number;
  guestPort: number;
  protocol: PortProtocol;
  /**
   * Takes the port number that the reservation at this index (earlier in the same call) was given,
   * instead of hostPort: an IPv4 and an IPv6 address share one host port number.
   */
  samePortAs?: number;
}

/** The relay's side of a reservation that failed because the port is taken. */
export interface ReserveFailure {
  index: number;
  code: 'EADDRINUSE' | 'EACCES' | 'EADDRNOTAVAIL' | 'EAFNOSUPPORT' | 'OTHER';
  message: string;
}

/**
 * Owns the host side of published ports. The listening socket is the reservation: `reserve` binds,
 * `activate` starts forwarding to the container, `release` closes. It runs its sockets off the
 * engine's main thread.
 */
export interface PortRelay {
  /**
   * Binds each reservation, in order, for `owner`. All or nothing: on the first failure everything
   * bound by this call is closed again and the failure is returned (no throw for a busy port).
   * On success, returns the bound ports (an OS-chosen port where hostPort was 0).
   */
  reserve(owner: string, ports: PortReservation[]): Promise<{ ok: true; hostPorts: number[] } | { ok: false; failure: ReserveFailure }>;
  /**
   * Starts forwarding every port of `owner` to `target`. Connections that arrived since reserve were
   * held and now go through.
   */
  activate(owner: string, target: PortPath): Promise<void>;
  /** Closes every listener of `owner` and its connections; idempotent. */
  release(owner: string): Promise<void>;
  /** Stops the relay (all owners). */
  close(): Promise<void>;
}

/** Where one listener forwards to: an address and a port. */
export interface RelayEndpoint {
  address: string;
  port: number;
}

/** The endpoint a listener forwards to on the path the host opened; undefined when the path has no forward for it. */
export function endpointOf(path: PortPath, protocol: PortProtocol, hostPort: number, guestPort: number): RelayEndpoint | undefined {
  if (path.port === 'guest') return { address: path.address, port: guestPort };
  const forward = forwardOf(path.forwards, { protocol, hostPort, guestPort });
  return forward && { address: path.address, port: forward.port };
}
