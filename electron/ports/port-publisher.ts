import { randomInt } from 'node:crypto';
import { networkModeOf } from '../../shared/networks.js';
import { BerthError } from '../../shared/berth-error.js';
import type { Container, RunSpec } from '../../shared/containers.js';
import type { PortMapping } from '../../shared/ports.js';
import type { Host } from '../host/host.js';
import { planPorts, type PlannedPort } from './plan-ports.js';
import type { PortRelay, PortReservation, ReserveFailure } from './port-relay.js';
import { parsePublishSpec, type PublishRequest } from './publish-spec.js';

/** How the engine publishes ports (from its environment: BERTH_PORT_RANGE, BERTH_PUBLISH_IP...). */
export interface PortSettings {
  /** Publish images' EXPOSEd ports by default. */
  autoExpose: boolean;
  /** Where implicit (auto_expose, auto_remap) ports bind: loopback, so nothing reaches the LAN unasked. */
  implicitHostIp: string;
  /** Where a remapped or `-p PORT` host port is chosen from; undefined lets the OS pick an ephemeral one. */
  range: { first: number; last: number } | undefined;
}

/** Where `-p` without an address binds: every interface, as Docker does. */
const ALL_INTERFACES = '0.0.0.0';
/** How many ports of a configured range are tried before giving up on a remap. */
const RANGE_ATTEMPTS = 2_000;

/** Parses every `-p` of a run spec up front, so a bad one fails the run before anything is made. */
export function parsePublishSpecs(spec: Pick<RunSpec, 'ports' | 'network'>): PublishRequest[] {
  const requests = spec.ports.flatMap(parsePublishSpec);
  if (requests.length > 0 && networkModeOf(spec.network) !== 'bridge') {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `ports cannot be published with --network ${spec.network}: ${spec.network === 'host' ? "the container already uses the host's ports" : 'the container has no network'}`,
    );
  }
  return requests;
}

/**
 * Resolves a container's ports to host ports and holds them: user ports exactly or not at all,
 * implicit ones 1:1 when free and remapped when not. The relay's bound socket is the reservation.
 */
export class PortPublisher {
  /** The mappings of each container whose ports the host opened, to close them again on release. */
  private readonly opened = new Map<string, readonly PortMapping[]>();

  constructor(
    private readonly relay: PortRelay,
    private readonly host: Host,
    private readonly settings: PortSettings,
    /** Containers whose ports are held, to name the holder of a busy port. */
    private readonly holders: () => Container[],
  ) {}

  /** Reserves every port of the container; on any failure nothing stays bound. */
  async reserve(container: Pick<Container, 'id' | 'spec'>, requests: PublishRequest[], exposedPorts: string[]): Promise<PortMapping[]> {
    if (networkModeOf(container.spec.network) !== 'bridge') return [];
    const plan = planPorts({
      requests,
      exposedPorts,
      autoExpose: container.spec.autoExpose ?? this.settings.autoExpose,
      userHostIp: ALL_INTERFACES,
      implicitHostIp: this.settings.implicitHostIp,
    });
    try {
      const mappings: PortMapping[] = [];
      for (const port of plan) mappings.push(await this.bind(container.id, port));
      return mappings;
    } catch (err) {
      await this.relay.release(container.id);
      throw err;
    }
  }

  /**
   * Takes back the ports of a container that outlived an engine: the same host ports where they are
   * still free; an implicit one that is now taken remaps; a user one that is taken is reported.
   */
  async readopt(container: Container): Promise<{ mappings: PortMapping[]; problems: string[] }> {
    const mappings: PortMapping[] = [];
    const problems: string[] = [];
    for (const old of container.ports) {
      const implicit = old.source !== 'user';
      const { hostIp, hostPort, guestPort, protocol } = old;
      const wanted: PlannedPort = { hostIp, hostPort, guestPort, protocol, source: implicit ? 'auto_expose' : 'user' };
      try {
        const mapping = await this.bind(container.id, wanted);
        mappings.push(implicit && mapping.source === 'auto_remap' ? { ...mapping, requestedHostPort: old.requestedHostPort ?? old.hostPort } : mapping);
      } catch (err) {
        problems.push(BerthError.from(err).message);
      }
    }
    return { mappings, problems };
  }

  /** Forwards the reserved ports to the container at `address`, by whatever path the host gives. */
  async activate(id: string, address: string, mappings: readonly PortMapping[]): Promise<void> {
    if (mappings.length === 0) return;
    this.opened.set(id, mappings);
    await this.relay.activate(id, await this.host.openPorts(address, mappings));
  }

  async release(id: string): Promise<void> {
    await this.relay.release(id);
    const mappings = this.opened.get(id);
    this.opened.delete(id);
    if (mappings) await this.host.closePorts(mappings);
  }

  private async bind(owner: string, port: PlannedPort): Promise<PortMapping> {
    const exact = port.hostPort === 0 ? await this.bindAny(owner, port) : await this.relay.reserve(owner, [port]);
    if (exact.ok) return { ...port, hostPort: exact.hostPorts[0]! };
    if (port.source === 'user' || exact.failure.code !== 'EADDRINUSE') throw this.failure(port, exact.failure);
    const moved = await this.bindAny(owner, port);
    if (!moved.ok) throw this.failure(port, moved.failure);
    return { ...port, hostPort: moved.hostPorts[0]!, source: 'auto_remap', requestedHostPort: port.hostPort };
  }

  /** Any free port: from the configured range, or the OS's ephemeral ones. */
  private async bindAny(owner: string, port: PlannedPort): ReturnType<PortRelay['reserve']> {
    const range = this.settings.range;
    const reservation: PortReservation = { hostIp: port.hostIp, hostPort: 0, guestPort: port.guestPort, protocol: port.protocol };
    if (!range) return this.relay.reserve(owner, [reservation]);
    const size = range.last - range.first + 1;
    const start = randomInt(size);
    let last: Awaited<ReturnType<PortRelay['reserve']>> | undefined;
    for (let i = 0; i < Math.min(size, RANGE_ATTEMPTS); i++) {
      const hostPort = range.first + ((start + i) % size);
      last = await this.relay.reserve(owner, [{ ...reservation, hostPort }]);
      if (last.ok || last.failure.code !== 'EADDRINUSE') return last;
    }
    return last ?? { ok: false, failure: { index: 0, code: 'EADDRINUSE', message: 'the port range is empty' } };
  }

  private failure(port: PlannedPort, failure: ReserveFailure): BerthError {
    const name = `${port.hostPort === 0 ? 'a free port' : `port ${port.hostPort}`}/${port.protocol}`;
    if (failure.code === 'EADDRINUSE') {
      const holder = this.holders().find((c) =>
        c.ports.some((m) => m.hostPort === port.hostPort && m.protocol === port.protocol && overlaps(m.hostIp, port.hostIp)),
      );
      const where = holder ? ` by container ${holder.name}` : '';
      const detail = { hostIp: port.hostIp, hostPort: port.hostPort, protocol: port.protocol, holder: holder?.id };
      if (port.hostPort === 0) return new BerthError('PORT_IN_USE', `no free host port left for ${port.guestPort}/${port.protocol}`, { detail });
      return new BerthError('PORT_IN_USE', `${name} on ${port.hostIp} is already in use${where}`, { fix: 'stop it, or publish another port', detail });
    }
    return new BerthError('NETWORK_ERROR', `cannot publish ${name} on ${port.hostIp}: ${failure.message}`);
  }
}

/** Two bind addresses collide when they are equal or either is a wildcard. */
function overlaps(a: string, b: string): boolean {
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return a === b || wildcard(a) || wildcard(b);
}
