import { BerthError } from '../../shared/berth-error.js';
import type { ContainerEndpoint, ContainerNetwork } from '../../shared/containers.js';
import { networkModeOf, type EndpointRequest } from '../../shared/networks.js';
import type { Host } from '../host/host.js';
import { attach, connectInterface, detach, disconnectInterface, type InterfaceSpec } from '../network/container-network.js';
import type { NameTable } from '../network/name-service.js';
import type { NetworkInfo, Networks } from '../network/networks.js';
import type { ContainerRecord } from './container-record.js';

const NO_ADDRESS = { address: '', gateway: '', prefixLength: 0, interface: '' };

/**
 * A container's places on networks: the endpoints it asked for at create or by connect, given an
 * interface and an address on each while it runs, and the namespace that carries them.
 */
export class ContainerNetworks {
  constructor(
    private readonly host: Host,
    private readonly networks: Networks,
  ) {}

  /** The endpoints a new container asks for: its network and the further ones, each resolved now (a missing one fails the create). */
  plan(spec: ContainerRecord['spec'], others: readonly ContainerRecord[]): ContainerEndpoint[] {
    if (networkModeOf(spec.network) !== 'bridge') {
      if (spec.extraNetworks.length > 0) throw new BerthError('INVALID_ARGUMENT', `a container with --network ${spec.network} cannot join other networks`);
      return [];
    }
    const requests: EndpointRequest[] = [{ network: spec.network, aliases: spec.networkAliases }, ...spec.extraNetworks];
    const endpoints: ContainerEndpoint[] = [];
    for (const request of requests) {
      const network = this.bridged(request.network);
      if (endpoints.some((e) => e.networkId === network.id)) throw new BerthError('INVALID_ARGUMENT', `network ${network.name} is given twice`);
      checkAliases(network, request.aliases, others.filter((c) => this.isOn(c, network)));
      endpoints.push({ network: network.name, networkId: network.id, aliases: request.aliases, ...NO_ADDRESS });
    }
    return endpoints;
  }

  /** Gives the container its namespace, an interface and address on each of its networks. Fails whole. */
  async attach(container: ContainerRecord): Promise<{ network: ContainerNetwork; netnsPath: string; endpoints: ContainerEndpoint[] }> {
    const mode = networkModeOf(container.spec.network);
    if (mode !== 'bridge') return { network: { mode, address: '', gateway: '', prefixLength: 0 }, netnsPath: '', endpoints: [] };
    const taken: { networkId: string; address: string }[] = [];
    try {
      let routed = false;
      const planned = container.networks.map((endpoint, index) => {
        const network = this.resolve(endpoint);
        const address = this.networks.allocate(network.id);
        taken.push({ networkId: network.id, address });
        const defaultRoute = !routed && !network.internal;
        routed ||= defaultRoute;
        return { network, endpoint, spec: interfaceOn(network, `eth${index}`, address, defaultRoute) };
      });
      const { netnsPath } = await attach(this.host, container.id, planned.map((p) => p.spec));
      const endpoints = planned.map(({ network, endpoint, spec }) => ({ ...endpoint, network: network.name, networkId: network.id, ...addressOf(spec) }));
      const first = endpoints[0];
      return { network: { mode, address: first?.address ?? '', gateway: first?.gateway ?? '', prefixLength: first?.prefixLength ?? 0 }, netnsPath, endpoints };
    } catch (err) {
      for (const { networkId, address } of taken) this.networks.release(networkId, address);
      throw err;
    }
  }

  /** Takes the namespace and interfaces away and gives the addresses back. Idempotent. */
  async detach(container: ContainerRecord): Promise<void> {
    if (networkModeOf(container.spec.network) !== 'bridge') return;
    await detach(this.host, container.id, container.networks.map((e) => e.interface).filter((name) => name !== ''));
    this.release(container);
  }

  /** The endpoints as a stopped container keeps them: what it asked for, no address. */
  stopped(container: ContainerRecord): ContainerEndpoint[] {
    return container.networks.map((e) => ({ ...e, ...NO_ADDRESS }));
  }

  /** Takes again the addresses of a container that ran on across an engine restart. */
  adopt(container: ContainerRecord): void {
    for (const endpoint of container.networks) {
      const network = this.find(endpoint);
      if (network) this.networks.adopt(network.id, endpoint.address);
    }
  }

  /** Puts the container on one more network: at once when it runs. Answers its endpoints then. */
  async connect(container: ContainerRecord, request: EndpointRequest, others: readonly ContainerRecord[]): Promise<ContainerEndpoint[]> {
    if (networkModeOf(container.spec.network) !== 'bridge') {
      throw new BerthError('INVALID_ARGUMENT', `container ${container.name} uses --network ${container.spec.network} and cannot join other networks`);
    }
    const network = this.bridged(request.network);
    if (container.networks.some((e) => e.networkId === network.id)) {
      throw new BerthError('NAME_IN_USE', `endpoint with name ${container.name} already exists in network ${network.name}`);
    }
    checkAliases(network, request.aliases, others.filter((c) => c.id !== container.id && this.isOn(c, network)));
    const endpoint: ContainerEndpoint = { network: network.name, networkId: network.id, aliases: request.aliases, ...NO_ADDRESS };
    if (container.state.status !== 'running') return [...container.networks, endpoint];
    const used = new Set(container.networks.map((e) => e.interface));
    const name = Array.from({ length: 16 }, (_, i) => `eth${i}`).find((n) => !used.has(n));
    if (!name) throw new BerthError('NETWORK_ERROR', `container ${container.name} is on too many networks`);
    const address = this.networks.allocate(network.id);
    const routed = container.networks.some((e) => e.interface !== '' && !this.find(e)?.internal);
    const spec = interfaceOn(network, name, address, !routed && !network.internal);
    try {
      await connectInterface(this.host, container.id, spec);
    } catch (err) {
      this.networks.release(network.id, address);
      throw err;
    }
    return [...container.networks, { ...endpoint, ...addressOf(spec) }];
  }

  /** Takes the container off a network: at once when it runs. Answers its endpoints then. */
  async disconnect(container: ContainerRecord, networkRef: string): Promise<ContainerEndpoint[]> {
    const network = this.networks.find(networkRef);
    const endpoint = container.networks.find((e) => e.networkId === network.id || (e.networkId === '' && e.network === network.name));
    if (!endpoint) throw new BerthError('INVALID_ARGUMENT', `container ${container.name} is not connected to network ${network.name}`);
    const rest = container.networks.filter((e) => e !== endpoint);
    if (container.state.status === 'running' && endpoint.interface !== '') {
      const routedHere = !network.internal && !container.networks.slice(0, container.networks.indexOf(endpoint)).some((e) => e.interface !== '' && !this.find(e)?.internal);
      const next = routedHere ? rest.find((e) => e.interface !== '' && !this.find(e)?.internal) : undefined;
      await disconnectInterface(this.host, container.id, endpoint.interface, next?.gateway);
      this.networks.release(network.id, endpoint.address);
    }
    return rest;
  }

  /** The name table of each user-defined network: its running containers, each by name, short id and aliases. */
  nameTables(running: readonly ContainerRecord[]): NameTable[] {
    return this.networks
      .list()
      .filter((network) => network.dns)
      .map((network) => ({
        networkId: network.id,
        gateway: network.gateway,
        entries: running.flatMap((c) =>
          c.networks
            .filter((e) => e.networkId === network.id && e.address !== '')
            .map((e) => ({ containerId: c.id, address: e.address, names: [...new Set([c.name, c.id.slice(0, 12), ...e.aliases])] })),
        ),
      }));
  }

  /** Where the container asks for names: the gateway of its first user-defined network, if it is on one. */
  nameServer(endpoints: readonly ContainerEndpoint[]): string | undefined {
    return endpoints.find((e) => e.address !== '' && this.find(e)?.dns)?.gateway;
  }

  /** Whether any of the container's networks has names to keep. */
  hasNames(container: ContainerRecord): boolean {
    return container.networks.some((e) => this.find(e)?.dns);
  }

  /** Whether the container has a place on the network (running or not). */
  isOn(container: ContainerRecord, network: NetworkInfo): boolean {
    if (network.driver !== 'bridge') return container.spec.network === network.name;
    return container.networks.some((e) => e.networkId === network.id || (e.networkId === '' && e.network === network.name));
  }

  private release(container: ContainerRecord): void {
    for (const endpoint of container.networks) {
      const network = this.find(endpoint);
      if (network) this.networks.release(network.id, endpoint.address);
    }
  }

  /** A network containers can join by bridge: not host or none. */
  private bridged(ref: string): NetworkInfo {
    const network = this.networks.find(ref);
    if (network.driver !== 'bridge') throw new BerthError('INVALID_ARGUMENT', `a container cannot join network ${network.name} beside others: it is the ${network.name} network`);
    return network;
  }

  /** The endpoint's network, by id (or, in records of earlier Berths, by name). */
  private resolve(endpoint: ContainerEndpoint): NetworkInfo {
    const network = this.find(endpoint);
    if (!network) throw new BerthError('NETWORK_NOT_FOUND', `network ${endpoint.network} not found`, { fix: `disconnect the container from it, or create it again` });
    return network;
  }

  private find(endpoint: ContainerEndpoint): NetworkInfo | undefined {
    try {
      return this.networks.find(endpoint.networkId || endpoint.network);
    } catch {
      return undefined;
    }
  }
}

/**
 * An alias may be shared (compose gives every replica its service's name), but may not be the name
 * or short id of another container on the network: those reach that container alone.
 */
function checkAliases(network: NetworkInfo, aliases: readonly string[], members: readonly ContainerRecord[]): void {
  for (const member of members) {
    const taken = aliases.find((alias) => alias === member.name || alias === member.id.slice(0, 12));
    if (taken) {
      throw new BerthError('NAME_IN_USE', `alias ${taken} is taken on network ${network.name}: it names container ${member.name}`, { fix: 'choose another alias' });
    }
  }
}

function interfaceOn(network: NetworkInfo, name: string, address: string, defaultRoute: boolean): InterfaceSpec {
  return { name, bridge: network.bridge, subnet: network.subnet, gateway: network.gateway, address, defaultRoute };
}

function addressOf(spec: InterfaceSpec): Pick<ContainerEndpoint, 'address' | 'gateway' | 'prefixLength' | 'interface'> {
  return { address: spec.address, gateway: spec.gateway, prefixLength: Number(spec.subnet.split('/')[1]), interface: spec.name };
}
