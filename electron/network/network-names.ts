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
export const VETH_PATTERN = /^vb[0-9a-f]{12}$/;

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
