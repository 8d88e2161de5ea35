import net from 'node:net';
import { BerthError } from '../../shared/berth-error.js';
import { endpointOf, type PortRelay, type PortReservation, type RelayEndpoint, type ReserveFailure } from './port-relay.js';
import type { PortPath } from '../host/host.js';
import { bindFailure } from './relay-bind-failure.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './relay-limits.js';
import { ReadBufferBudget } from './relay-read-buffer.js';
import { TcpListener } from './relay-tcp-listener.js';
import { UdpListener } from './relay-udp-listener.js';

type Listener = TcpListener | UdpListener;

interface Owner {
  listeners: Listener[];
  /** Set by activate: where the owner's ports forward to. */
  target: PortPath | undefined;
}

export type ReserveResult = { ok: true; hostPorts: number[] } | { ok: false; failure: ReserveFailure };

/**
 * The relay's sockets, on the thread that creates it. WorkerPortRelay runs one of these in a
 * worker thread; tests can run it directly. Calls run one at a time, in order, so a release never
 * overtakes the reserve before it.
 */
export class LocalPortRelay implements PortRelay {
  private readonly owners = new Map<string, Owner>();
  private readonly limits: RelayLimits;
  private readonly budget: ReadBufferBudget;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(limits: Partial<RelayLimits> = {}) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...limits };
    this.budget = new ReadBufferBudget(this.limits.grownReadBufferBudgetBytes);
  }

  reserve(owner: string, ports: PortReservation[]): Promise<ReserveResult> {
    return this.serially(() => this.reserveNow(owner, ports));
  }

  activate(owner: string, target: PortPath): Promise<void> {
    return this.serially(async () => {
      if (net.isIP(target?.address) === 0 || (target.port !== 'guest' && !(target.port === 'forward' && Array.isArray(target.forwards)))) {
        throw new BerthError('INVALID_ARGUMENT', `not a target to forward to: ${JSON.stringify(target)}`);
      }
      const entry = this.owners.get(owner);
      // Nothing reserved (a container without published ports): nothing to forward.
      if (!entry) return;
      // Every listener's endpoint is found before any forwards, so a path that misses one changes nothing.
      const endpoints = entry.listeners.map((listener) => endpointFor(target, listener));
      entry.target = target;
      entry.listeners.forEach((listener, i) => listener.activate(endpoints[i]!));
    });
  }

  release(owner: string): Promise<void> {
    return this.serially(() => this.releaseNow(owner));
  }

  close(): Promise<void> {
    return this.serially(async () => {
      this.closed = true;
      await Promise.all([...this.owners.keys()].map((owner) => this.releaseNow(owner)));
    });
  }

  /** Bytes of grown read buffers in use, for tests and diagnostics. */
  get grownBufferBytes(): number {
    return this.budget.usedBytes;
  }

  private async reserveNow(owner: string, ports: PortReservation[]): Promise<ReserveResult> {
    if (this.closed) throw new BerthError('INTERNAL', 'the port relay is closed');
    ports.forEach(checkReservation);
    const bound: Listener[] = [];
    for (const [index, asked] of ports.entries()) {
      const port = asked.samePortAs === undefined ? asked : { ...asked, hostPort: bound[asked.samePortAs]!.port };
      try {
        bound.push(await this.bind(port));
      } catch (error) {
        await Promise.all(bound.map((listener) => listener.close()));
        return { ok: false, failure: bindFailure(index, port, error) };
      }
    }
    if (bound.length > 0) {
      const entry = this.owners.get(owner) ?? { listeners: [], target: undefined };
      this.owners.set(owner, entry);
      entry.listeners.push(...bound);
      // Ports added to an owner that already runs forward at once.
      if (entry.target !== undefined) for (const listener of bound) listener.activate(endpointFor(entry.target, listener));
    }
    return { ok: true, hostPorts: bound.map((listener) => listener.port) };
  }

  private bind(port: PortReservation): Promise<Listener> {
    const context = { limits: this.limits, budget: this.budget };
    return port.protocol === 'tcp'
      ? TcpListener.bind(port.hostIp, port.hostPort, port.guestPort, context)
      : UdpListener.bind(port.hostIp, port.hostPort, port.guestPort, this.limits);
  }

  private async releaseNow(owner: string): Promise<void> {
    const entry = this.owners.get(owner);
    if (!entry) return;
    this.owners.delete(owner);
    await Promise.all(entry.listeners.map((listener) => listener.close()));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => {});
    return result;
  }
}

function endpointFor(target: PortPath, listener: Listener): RelayEndpoint {
  const endpoint = endpointOf(target, listener.protocol, listener.port, listener.guestPort);
  if (!endpoint) throw new BerthError('INVALID_ARGUMENT', `the path to forward to has no forward for ${listener.port}/${listener.protocol}`);
  return endpoint;
}

function checkReservation(port: PortReservation, index: number): void {
  const isPort = (value: unknown, min: number) => Number.isInteger(value) && (value as number) >= min && (value as number) <= 65535;
  const ok =
    typeof port === 'object' &&
    port !== null &&
    typeof port.hostIp === 'string' &&
    net.isIP(port.hostIp) !== 0 &&
    isPort(port.hostPort, 0) &&
    isPort(port.guestPort, 1) &&
    (port.protocol === 'tcp' || port.protocol === 'udp') &&
    (port.samePortAs === undefined || (Number.isInteger(port.samePortAs) && port.samePortAs >= 0 && port.samePortAs < index));
  if (!ok) throw new BerthError('INVALID_ARGUMENT', `not a port reservation: ${JSON.stringify(port)}`);
}
