import { BerthError } from '../../shared/berth-error.js';
import { containerAddress, formatIpv4, parseSubnet, withGateway, type Subnet } from './subnet.js';

/**
 * Hands out container addresses in one subnet. The gateway, network and broadcast addresses
 * are never handed out. State lives in memory only: after an engine restart, `reserve` each
 * address that surviving containers hold before allocating new ones.
 */
export class AddressPool {
  readonly subnet: Subnet;
  private readonly taken = new Set<number>();
  /** Where the next search starts: just after the last address handed out. */
  private cursor: number;

  /** `gateway`: the bridge's address when not the subnet's first one. */
  constructor(cidr: string, gateway?: string) {
    this.subnet = gateway ? withGateway(parseSubnet(cidr), gateway) : parseSubnet(cidr);
    this.cursor = this.subnet.firstHost;
  }

  get gateway(): string {
    return formatIpv4(this.subnet.gateway);
  }

  get prefixLength(): number {
    return this.subnet.prefixLength;
  }

  /** How many addresses containers may hold in all. */
  get capacity(): number {
    const { firstHost, lastHost, gateway } = this.subnet;
    return lastHost - firstHost + 1 - (gateway >= firstHost && gateway <= lastHost ? 1 : 0);
  }

  get inUse(): number {
    return this.taken.size;
  }

  has(address: string): boolean {
    return this.taken.has(containerAddress(this.subnet, address));
  }

  /**
   * Takes the next free address. Searching onward from the last one handed out, rather than from
   * the start, keeps a just-released address idle for a while, so peers' stale ARP entries and
   * connection tracking for it age out before someone else gets it.
   */
  allocate(): string {
    if (this.taken.size >= this.capacity) {
      throw new BerthError('NETWORK_ERROR', `subnet ${this.subnet.cidr} has no free addresses left`);
    }
    let candidate = this.cursor;
    // Bounded: there is a free address, so at most `capacity` steps find it.
    for (let step = 0; step <= this.capacity; step++) {
      if (!this.taken.has(candidate) && candidate !== this.subnet.gateway) break;
      candidate = candidate >= this.subnet.lastHost ? this.subnet.firstHost : candidate + 1;
    }
    this.taken.add(candidate);
    this.cursor = candidate >= this.subnet.lastHost ? this.subnet.firstHost : candidate + 1;
    return formatIpv4(candidate);
  }

  /** Takes a specific address, e.g. one a container held before an engine restart. */
  reserve(address: string): void {
    const value = containerAddress(this.subnet, address);
    if (this.taken.has(value)) {
      throw new BerthError('NETWORK_ERROR', `address ${address} is already in use in ${this.subnet.cidr}`);
    }
    this.taken.add(value);
  }

  /** Gives an address back; releasing one that is not held is a no-op, so stop paths can repeat. */
  release(address: string): void {
    this.taken.delete(containerAddress(this.subnet, address));
  }
}
