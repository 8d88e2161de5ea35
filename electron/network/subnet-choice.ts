import { BerthError } from '../../shared/berth-error.js';
import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';
import { formatIpv4, parseSubnet, type Subnet } from './subnet.js';

/** A subnet someone uses already, and who, for the error that names it. */
export interface SubnetInUse {
  cidr: string;
  owner: string;
}

const NETWORK_PREFIX = 24;

function overlaps(a: Subnet, b: Subnet): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/** The host's IPv4 routes other than default ones (the WSL VM's own link among them), as subnets in use. */
export async function hostRoutes(host: Host): Promise<SubnetInUse[]> {
  const shown = await execChecked(host, ['ip', '-4', '-o', 'route', 'show', 'table', 'all'], 'NETWORK_ERROR', { timeoutMs: 15_000 });
  const routes: SubnetInUse[] = [];
  for (const line of shown.stdout.toString().split('\n')) {
    const words = line.trim().split(/\s+/);
    // Local and broadcast entries of the local table repeat the addresses of the interfaces.
    const [first = '', second = ''] = words[0] === 'local' || words[0] === 'broadcast' ? ['', ''] : words;
    if (first === '' || first === 'default' || !/^[0-9.]+(\/[0-9]+)?$/.test(first)) continue;
    const cidr = first.includes('/') ? first : `${first}/32`;
    const device = words[words.indexOf('dev') + 1] ?? second;
    routes.push({ cidr, owner: `the host's route to ${cidr}${words.includes('dev') ? ` on ${device}` : ''}` });
  }
  return routes;
}

function asSubnet(cidr: string): Subnet | undefined {
  const [address = '', prefix = ''] = cidr.split('/');
  const bits = Number(prefix);
  // Host routes may be /31 or /32, which parseSubnet refuses for networks: widen to their /30.
  if (bits > 30) {
    const parts = address.split('.').map(Number);
    const value = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
    return parseSubnet(`${formatIpv4(value - (value % 4))}/30`);
  }
  try {
    return parseSubnet(cidr);
  } catch {
    return undefined;
  }
}

/** Refuses a subnet asked for that overlaps one in use. */
export function checkSubnetFree(cidr: string, used: readonly SubnetInUse[]): Subnet {
  const subnet = parseSubnet(cidr);
  for (const other of used) {
    const theirs = asSubnet(other.cidr);
    if (theirs && overlaps(subnet, theirs)) throw new BerthError('INVALID_ARGUMENT', `subnet ${subnet.cidr} overlaps ${other.owner}`, { fix: 'choose another --subnet' });
  }
  return subnet;
}

/** The first /24 of `poolCidr` that overlaps nothing in use. */
export function chooseSubnet(poolCidr: string, used: readonly SubnetInUse[]): string {
  const pool = parseSubnet(poolCidr);
  const taken = used.map((u) => asSubnet(u.cidr)).filter((s): s is Subnet => s !== undefined);
  const size = 2 ** (32 - NETWORK_PREFIX);
  // Bounded by the pool's size: at most 2^16 candidates for a /8.
  for (let network = pool.network; network + size - 1 <= pool.broadcast; network += size) {
    const candidate = parseSubnet(`${formatIpv4(network)}/${NETWORK_PREFIX}`);
    if (!taken.some((t) => overlaps(candidate, t))) return candidate.cidr;
  }
  throw new BerthError('NETWORK_ERROR', `no free /${NETWORK_PREFIX} is left in the pool ${pool.cidr} for a new network`, { fix: 'remove unused networks (berth network prune) or give --subnet' });
}
