import { createHash } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';

/** Names of the kernel objects that carry one container's network. */
export interface NetworkNames {
  /** Named network namespace, at /run/netns/<netns>. */
  netns: string;
  /** Host end of the veth pair (the container end is eth0 inside the namespace). */
  vethHost: string;
}

export const NETNS_PREFIX = 'berth-';
export const VETH_PREFIX = 'vb';
const KEY_LENGTH = 12;

/** Shapes of the names Berth makes, for telling its leftovers apart from anyone else's. */
export const NETNS_PATTERN = /^berth-[0-9a-f]{12}$/;
export const VETH_PATTERN = /^v[bc][0-9a-f]{12}$/;
/** User-defined networks' bridges: `bn` and the network id's first 12 characters (as Docker's br-). */
export const NETWORK_BRIDGE_PREFIX = 'bn';

/**
 * Derives the names from the container id. A hex id gives its own first 12 characters, so
 * `ip netns` reads like a container list; any other id is hashed so the names stay bounded
 * (interface names are at most 15 bytes) and free of characters `ip` would misread.
 */
export function networkNames(containerId: string): NetworkNames {
  if (containerId.length === 0) throw new BerthError('INVALID_ARGUMENT', 'container id is empty');
  const key = /^[0-9a-f]{12,}$/.test(containerId)
    ? containerId.slice(0, KEY_LENGTH)
    : createHash('sha256').update(containerId).digest('hex').slice(0, KEY_LENGTH);
  return { netns: NETNS_PREFIX + key, vethHost: VETH_PREFIX + key };
}

/**
 * The host end of the veth carrying a container's interface: eth0's keeps the name it always had
 * (so containers of earlier Berths are found again); ethN's is `vc`, 11 characters of the key, N.
 */
export function vethName(containerId: string, interfaceName: string): string {
  const { vethHost } = networkNames(containerId);
  const index = /^eth([0-9]+)$/.exec(interfaceName)?.[1];
  if (index === undefined || Number(index) > 15) throw new BerthError('INVALID_ARGUMENT', `interface name "${interfaceName}" is not eth0 to eth15`);
  return index === '0' ? vethHost : `vc${vethHost.slice(VETH_PREFIX.length, VETH_PREFIX.length + KEY_LENGTH - 1)}${Number(index).toString(16)}`;
}
