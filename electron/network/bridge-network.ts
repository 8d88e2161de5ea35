import type { Host } from '../host/host.js';
import { AddressPool } from './address-pool.js';
import { ensureBridge } from './bridge.js';
import { attach, detach } from './container-network.js';

export interface Attachment {
  address: string;
  gateway: string;
  prefixLength: number;
  netnsPath: string;
}

/** The engine's one bridge network: its address pool and the containers attached to it. */
export class BridgeNetwork {
  private readonly pool: AddressPool;
  private readonly addresses = new Map<string, string>();

  constructor(
    private readonly host: Host,
    private readonly bridge: { name: string; subnet: string },
  ) {
    this.pool = new AddressPool(bridge.subnet);
  }

  /** Creates the bridge when missing; returns what works less than fully (e.g. no NAT). */
  async setUp(): Promise<string[]> {
    return (await ensureBridge(this.host, this.bridge)).warnings;
  }

  /** Re-takes the address of a container that survived an engine restart. */
  adopt(containerId: string, address: string): void {
    if (!address || this.pool.has(address)) return;
    this.pool.reserve(address);
    this.addresses.set(containerId, address);
  }

  async attach(containerId: string): Promise<Attachment> {
    const address = this.pool.allocate();
    try {
      const net = await attach(this.host, { bridge: this.bridge.name, subnet: this.bridge.subnet, containerId, address });
      this.addresses.set(containerId, address);
      return { address: net.address, gateway: net.gateway, prefixLength: net.prefixLength, netnsPath: net.netnsPath };
    } catch (err) {
      this.pool.release(address);
      throw err;
    }
  }

  /** Idempotent: a container with nothing attached is fine. */
  async detach(containerId: string): Promise<void> {
    await detach(this.host, { containerId });
    const address = this.addresses.get(containerId);
    if (address) this.pool.release(address);
    this.addresses.delete(containerId);
  }
}
