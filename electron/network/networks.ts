import { createHash, randomBytes } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';
import { labelsMatch } from '../../shared/labels.js';
import { NETWORK_NAME, type Network, type NetworkSpec } from '../../shared/networks.js';
import type { Host } from '../host/host.js';
import { KeyedLock } from '../records/keyed-lock.js';
import { JsonRecordStore } from '../records/json-record-store.js';
import { AddressPool } from './address-pool.js';
import { ensureBridge, removeBridge, type BridgeSpec } from './bridge.js';
import { NETWORK_BRIDGE_PREFIX } from './network-names.js';
import { NetworkRecord } from './network-record.js';
import { formatIpv4, parseSubnet, withGateway } from './subnet.js';
import { checkSubnetFree, chooseSubnet, hostRoutes, type SubnetInUse } from './subnet-choice.js';

/** A network as the engine works with it: what clients see, less the containers on it. */
export type NetworkInfo = Omit<Network, 'containers'>;

export interface NetworksConfig {
  host: Host;
  /** Where the records of user-defined networks are kept. */
  dir: string;
  /** The engine's default bridge: Docker's `bridge` network. */
  defaultBridge: { name: string; subnet: string };
  /** Where user-defined networks take their subnets from, a /24 each. */
  pool: string;
  changed(): void;
}

const EPOCH = '0001-01-01T00:00:00Z';

/**
 * Docker's networks: `bridge` (the engine's default bridge), `host` and `none`, and user-defined
 * networks, each a Linux bridge of its own with its subnet, kept apart from the others by the
 * firewall. Hands out the addresses containers take on them.
 */
export class Networks {
  private readonly store: JsonRecordStore<NetworkRecord>;
  private readonly pools = new Map<string, AddressPool>();
  /** Creates and removes, one at a time: names and subnets are checked against the others. */
  private readonly lock = new KeyedLock();
  private readonly builtins: NetworkInfo[];

  constructor(private readonly config: NetworksConfig) {
    this.store = new JsonRecordStore<NetworkRecord>({ dir: config.dir, schema: NetworkRecord, key: (n) => n.id, keys: /^[a-f0-9]{64}$/ });
    const { name, subnet } = config.defaultBridge;
    const id = (network: string) => createHash('sha256').update(`berth-network:${network}:${name}`).digest('hex');
    const none = { subnet: '', gateway: '', bridge: '', internal: false, dns: false, labels: {}, created: EPOCH, builtin: true };
    this.builtins = [
      { ...none, id: id('bridge'), name: 'bridge', driver: 'bridge', subnet: parseSubnet(subnet).cidr, gateway: formatIpv4(parseSubnet(subnet).gateway), bridge: name },
      { ...none, id: id('host'), name: 'host', driver: 'host' },
      { ...none, id: id('none'), name: 'none', driver: 'null' },
    ];
    this.pools.set(this.builtins[0]!.id, new AddressPool(subnet));
  }

  /** Makes the default bridge and every user-defined network's bridge again; returns what works less than fully. */
  async open(): Promise<string[]> {
    const records = await this.store.load();
    const warnings = (await ensureBridge(this.config.host, this.config.defaultBridge)).warnings;
    for (const record of records) {
      this.pools.set(record.id, new AddressPool(record.subnet, record.gateway));
      const made = await ensureBridge(this.config.host, this.bridgeSpec(record)).catch((err: unknown) => ({ warnings: [`network ${record.name}: ${BerthError.from(err).message}`] }));
      warnings.push(...made.warnings.filter((w) => !warnings.includes(w)));
    }
    warnings.push(...this.store.damaged.map((file) => `network record ${file} is damaged and was skipped`));
    return warnings;
  }

  /** The built-in networks first, then the user's by name. */
  list(): NetworkInfo[] {
    const mine = this.store
      .list()
      .map((r) => this.info(r))
      .sort((a, b) => a.name.localeCompare(b.name));
    return [...this.builtins, ...mine];
  }

  /** By name, id or unique id prefix. */
  find(ref: string): NetworkInfo {
    const all = this.list();
    const exact = all.find((n) => n.id === ref || n.name === ref);
    if (exact) return exact;
    const byPrefix = ref.length > 0 ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    throw new BerthError('NETWORK_NOT_FOUND', byPrefix.length > 1 ? `network id prefix "${ref}" is ambiguous` : `network ${ref} not found`);
  }

  create(spec: NetworkSpec): Promise<NetworkInfo> {
    return this.lock.run('networks', async () => {
      if (!NETWORK_NAME.test(spec.name)) {
        throw new BerthError('INVALID_ARGUMENT', `invalid network name "${spec.name}"`, { fix: 'use letters, digits, _ . - and start with a letter or digit' });
      }
      if (this.list().some((n) => n.name === spec.name)) throw new BerthError('NAME_IN_USE', `network with name ${spec.name} already exists`);
      const used: SubnetInUse[] = [
        ...this.list()
          .filter((n) => n.subnet !== '')
          .map((n) => ({ cidr: n.subnet, owner: `network ${n.name} (${n.subnet})` })),
        // Routes of Berth's own bridges are in the list above under their networks' names.
        ...(await hostRoutes(this.config.host)).filter((r) => !this.list().some((n) => n.subnet === r.cidr)),
      ];
      const subnet = spec.subnet ? checkSubnetFree(spec.subnet, used).cidr : chooseSubnet(this.config.pool, used);
      const gateway = formatIpv4(spec.gateway ? withGateway(parseSubnet(subnet), spec.gateway).gateway : parseSubnet(subnet).gateway);
      const id = randomBytes(32).toString('hex');
      const record: NetworkRecord = { id, name: spec.name, created: new Date().toISOString(), subnet, gateway, internal: spec.internal, labels: spec.labels, bridge: NETWORK_BRIDGE_PREFIX + id.slice(0, 12) };
      try {
        await ensureBridge(this.config.host, this.bridgeSpec(record));
        await this.store.save(record);
      } catch (err) {
        await removeBridge(this.config.host, this.bridgeSpec(record)).catch(() => {});
        throw err;
      }
      this.pools.set(id, new AddressPool(subnet, gateway));
      this.config.changed();
      return this.info(record);
    });
  }

  /** Removes a user-defined network; `users` names the running containers on it, which refuse it. */
  remove(ref: string, users: (network: NetworkInfo) => string[]): Promise<NetworkInfo> {
    return this.lock.run('networks', async () => {
      const network = this.find(ref);
      if (network.builtin) throw new BerthError('INVALID_ARGUMENT', `${network.name} is a pre-defined network and cannot be removed`);
      const using = users(network);
      if (using.length > 0) {
        throw new BerthError('NETWORK_IN_USE', `error while removing network: network ${network.name} id ${network.id} has active endpoints (${using.join(', ')})`, { fix: 'stop or disconnect those containers first' });
      }
      const record = this.store.get(network.id)!;
      await removeBridge(this.config.host, this.bridgeSpec(record));
      await this.store.delete(network.id);
      this.pools.delete(network.id);
      this.config.changed();
      return network;
    });
  }

  /** User-defined networks with every label given that `inUse` says no container is on, removed (a dry run only names them). */
  async prune(labels: readonly string[], inUse: (network: NetworkInfo) => boolean, dryRun = false): Promise<string[]> {
    const removed: string[] = [];
    for (const network of this.list().filter((n) => !n.builtin && labelsMatch(n.labels, labels) && !inUse(n))) {
      if (!dryRun) await this.remove(network.id, () => []);
      removed.push(network.name);
    }
    return removed;
  }

  /** A free address on the network for a container starting. */
  allocate(networkId: string): string {
    return this.pool(networkId).allocate();
  }

  /** Takes again the address a container kept across an engine restart. */
  adopt(networkId: string, address: string): void {
    const pool = this.pools.get(networkId);
    if (address && pool && !pool.has(address)) pool.reserve(address);
  }

  release(networkId: string, address: string): void {
    if (address) this.pools.get(networkId)?.release(address);
  }

  private pool(networkId: string): AddressPool {
    const pool = this.pools.get(networkId);
    if (!pool) throw new BerthError('NETWORK_NOT_FOUND', `network ${networkId} not found`);
    return pool;
  }

  private bridgeSpec(record: NetworkRecord): BridgeSpec {
    return networkBridge(record, this.config.defaultBridge.name);
  }

  private info(record: NetworkRecord): NetworkInfo {
    const { id, name, created, subnet, gateway, internal, labels, bridge } = record;
    return { id, name, created, subnet, gateway, internal, labels, bridge, driver: 'bridge', builtin: false, dns: true };
  }
}

/** A user-defined network's bridge: its subnet and gateway, its name server's gateway, kept from the engine's default bridge. */
export function networkBridge(record: NetworkRecord, defaultBridge: string): BridgeSpec {
  return { name: record.bridge, subnet: record.subnet, gateway: record.gateway, role: { internal: record.internal, defaultBridge, dnsGateway: record.gateway } };
}
