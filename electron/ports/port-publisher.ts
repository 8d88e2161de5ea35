import { randomInt } from 'node:crypto';
import { networkModeOf } from '../../shared/networks.js';
import { BerthError } from '../../shared/berth-error.js';
import type { Container, RunSpec } from '../../shared/containers.js';
import { ipFamily, type PortMapping } from '../../shared/ports.js';
import type { Host, PortPath } from '../host/host.js';
import { planPorts, type PlannedPort } from './plan-ports.js';
import type { PortRelay, ReserveFailure } from './port-relay.js';
import { parsePublishSpec, type PublishRequest } from './publish-spec.js';

/** How the engine publishes ports (from its environment: BERTH_PORT_RANGE, BERTH_PUBLISH_IP...). */
export interface PortSettings {
  /** Publish images' EXPOSEd ports by default. */
  autoExpose: boolean;
  /**
   * Where implicit (auto_expose, auto_remap) ports bind: loopback (IPv4 and IPv6), so nothing
   * reaches the LAN unasked. The first must bind; the others are left out where the host lacks them.
   */
  implicitHostIps: string[];
  /** Where a remapped or `-p PORT` host port is chosen from; undefined lets the OS pick an ephemeral one. */
  range: { first: number; last: number } | undefined;
}

/** Where `-p` without an address binds: every interface of both families, as Docker does. */
const ALL_INTERFACES = ['0.0.0.0', '::'];
/** How many ports of a configured range are tried before giving up on a remap. */
const RANGE_ATTEMPTS = 2_000;
/** How often the OS is asked for an ephemeral port that a twin address also has free. */
const EPHEMERAL_ATTEMPTS = 16;
/** A twin address failing so means the host lacks its family (no IPv6): it is left out, not fatal. */
const NO_FAMILY: ReadonlySet<ReserveFailure['code']> = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL']);

/** A container's ports once bound, and what had to be left out (a twin the host has no family for). */
export interface Published {
  mappings: PortMapping[];
  warnings: string[];
}

/** One planned port's bind: the number it got on which addresses, or the address that failed. */
type Attempt =
  | { ok: true; hostPort: number; hostIps: string[]; warnings: string[] }
  | { ok: false; hostIp: string; failure: ReserveFailure };

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
  /** The path the host opened for each container's ports, to close it again on release. */
  private readonly opened = new Map<string, PortPath>();

  constructor(
    private readonly relay: PortRelay,
    private readonly host: Host,
    private readonly settings: PortSettings,
    /** Containers whose ports are held, to name the holder of a busy port. */
    private readonly holders: () => Container[],
  ) {}

  /** Reserves every port of the container; on any failure nothing stays bound. */
  async reserve(container: Pick<Container, 'id' | 'spec'>, requests: PublishRequest[], exposedPorts: string[]): Promise<Published> {
    if (networkModeOf(container.spec.network) !== 'bridge') return { mappings: [], warnings: [] };
    const plan = planPorts({
      requests,
      exposedPorts,
      autoExpose: container.spec.autoExpose ?? this.settings.autoExpose,
      userHostIps: ALL_INTERFACES,
      implicitHostIps: this.settings.implicitHostIps,
    });
    try {
      const published: Published = { mappings: [], warnings: [] };
      for (const port of plan) {
        const { mappings, warnings } = await this.bind(container.id, port);
        published.mappings.push(...mappings);
        published.warnings.push(...warnings);
      }
      return published;
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
    for (const [old, ...twins] of sharedNumbers(container.ports)) {
      const implicit = old.source !== 'user';
      const { hostPort, guestPort, protocol } = old;
      const hostIps = [old.hostIp, ...twins.map((m) => m.hostIp)];
      const wanted: PlannedPort = { hostIps, hostPort, guestPort, protocol, source: implicit ? 'auto_expose' : 'user' };
      try {
        const bound = await this.bind(container.id, wanted);
        const requestedHostPort = old.requestedHostPort ?? old.hostPort;
        mappings.push(...bound.mappings.map((m) => (implicit && m.source === 'auto_remap' ? { ...m, requestedHostPort } : m)));
        problems.push(...bound.warnings);
      } catch (err) {
        problems.push(BerthError.from(err).message);
      }
    }
    return { mappings, problems };
  }

  /** Forwards the reserved ports to the container at `address`, by whatever path the host gives. */
  async activate(id: string, address: string, mappings: readonly PortMapping[]): Promise<void> {
    if (mappings.length === 0) return;
    const path = await this.host.openPorts(address, mappings);
    this.opened.set(id, path);
    await this.relay.activate(id, path);
  }

  async release(id: string): Promise<void> {
    await this.relay.release(id);
    const path = this.opened.get(id);
    this.opened.delete(id);
    if (path) await this.host.closePorts(path);
  }

  private async bind(owner: string, port: PlannedPort): Promise<Published> {
    const exact = port.hostPort === 0 ? await this.bindAny(owner, port) : await this.bindAt(owner, port, port.hostPort);
    if (exact.ok) return landed(port, exact);
    if (port.source === 'user' || exact.failure.code !== 'EADDRINUSE') throw this.failure(port, exact);
    const moved = await this.bindAny(owner, port);
    if (!moved.ok) throw this.failure({ ...port, hostPort: 0 }, moved);
    return landed(port, moved, { source: 'auto_remap', requestedHostPort: port.hostPort });
  }

  /**
   * Binds every address of the port at one number (0: the OS's choice for the first, taken by the
   * rest), leaving out a twin whose family the host lacks. All or nothing otherwise.
   */
  private async bindAt(owner: string, port: PlannedPort, hostPort: number): Promise<Attempt> {
    let hostIps = port.hostIps;
    const warnings: string[] = [];
    // Each pass binds, or fails, or leaves one twin out: the first address is never left out, so
    // there is at most one pass per address.
    for (;;) {
      const result = await this.relay.reserve(
        owner,
        hostIps.map((hostIp, i) => ({ hostIp, hostPort, guestPort: port.guestPort, protocol: port.protocol, ...(i > 0 ? { samePortAs: 0 } : {}) })),
      );
      if (result.ok) return { ok: true, hostPort: result.hostPorts[0]!, hostIps, warnings };
      const failed = hostIps[result.failure.index]!;
      if (result.failure.index === 0 || !NO_FAMILY.has(result.failure.code)) return { ok: false, hostIp: failed, failure: result.failure };
      warnings.push(`${ipFamily(failed)} left out: ${result.failure.message}`);
      hostIps = hostIps.filter((ip) => ip !== failed);
    }
  }

  /** Any port free on every address: from the configured range, or the OS's ephemeral ones. */
  private async bindAny(owner: string, port: PlannedPort): Promise<Attempt> {
    const range = this.settings.range;
    const size = range ? range.last - range.first + 1 : 1;
    const start = randomInt(size);
    const attempts = range ? Math.min(size, RANGE_ATTEMPTS) : EPHEMERAL_ATTEMPTS;
    let last: Attempt | undefined;
    for (let i = 0; i < attempts; i++) {
      // The OS picks a number free on the first address; a twin may hold it, so then it is asked again.
      last = await this.bindAt(owner, port, range ? range.first + ((start + i) % size) : 0);
      if (last.ok || last.failure.code !== 'EADDRINUSE') return last;
    }
    return last ?? { ok: false, hostIp: port.hostIps[0]!, failure: { index: 0, code: 'EADDRINUSE', message: 'the port range is empty' } };
  }

  private failure(port: PlannedPort, { hostIp, failure }: Extract<Attempt, { ok: false }>): BerthError {
    const name = `${port.hostPort === 0 ? 'a free port' : `port ${port.hostPort}`}/${port.protocol}`;
    if (failure.code === 'EADDRINUSE') {
      const holder = this.holders().find((c) =>
        c.ports.some((m) => m.hostPort === port.hostPort && m.protocol === port.protocol && overlaps(m.hostIp, hostIp)),
      );
      const where = holder ? ` by container ${holder.name}` : '';
      const detail = { hostIp, hostPort: port.hostPort, protocol: port.protocol, holder: holder?.id };
      if (port.hostPort === 0) return new BerthError('PORT_IN_USE', `no free host port left for ${port.guestPort}/${port.protocol}`, { detail });
      return new BerthError('PORT_IN_USE', `${name} on ${hostIp} is already in use${where}`, { fix: 'stop it, or publish another port', detail });
    }
    return new BerthError('NETWORK_ERROR', `cannot publish ${name} on ${hostIp}: ${failure.message}`);
  }
}

/** One mapping per bound address of a planned port. */
function landed(port: PlannedPort, bound: Extract<Attempt, { ok: true }>, moved?: Pick<PortMapping, 'source' | 'requestedHostPort'>): Published {
  const { guestPort, protocol, source } = port;
  return {
    mappings: bound.hostIps.map((hostIp) => ({ hostIp, hostPort: bound.hostPort, guestPort, protocol, source, ...moved })),
    warnings: bound.warnings,
  };
}

/** Mappings grouped as they were bound: the addresses that share one host port number for one guest port. */
function sharedNumbers(mappings: readonly PortMapping[]): [PortMapping, ...PortMapping[]][] {
  const groups = new Map<string, [PortMapping, ...PortMapping[]]>();
  for (const m of mappings) {
    const key = `${m.protocol}/${m.guestPort}/${m.hostPort}/${m.source === 'user'}`;
    const group = groups.get(key);
    if (group) group.push(m);
    else groups.set(key, [m]);
  }
  return [...groups.values()];
}

/** Two bind addresses collide when they are equal, or one is the wildcard of the other's family. */
function overlaps(a: string, b: string): boolean {
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return a === b || (ipFamily(a) === ipFamily(b) && (wildcard(a) || wildcard(b)));
}
