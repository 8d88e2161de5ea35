import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';
import { NETNS_PATTERN, VETH_PATTERN } from './network-names.js';

/** Kernel objects named like Berth's container networks, whoever's they are now. */
export interface NetworkLeftovers {
  netns: string[];
  veths: string[];
}

/**
 * Lists namespaces and host-side veths with Berth's names. The engine compares them with the
 * containers it knows after a restart and detaches the rest.
 */
export async function listLeftovers(host: Host): Promise<NetworkLeftovers> {
  const [namespaces, links] = await Promise.all([
    execChecked(host, ['ip', 'netns', 'list'], 'NETWORK_ERROR', { timeoutMs: 15_000 }),
    execChecked(host, ['ip', '-o', 'link', 'show', 'type', 'veth'], 'NETWORK_ERROR', { timeoutMs: 15_000 }),
  ]);
  // `ip netns list` prints "NAME" or "NAME (id: N)".
  const netns = namespaces.stdout
    .toString()
    .split('\n')
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter((name) => NETNS_PATTERN.test(name));
  // `ip -o link` prints "IDX: NAME@PEER: <FLAGS> ...".
  const veths = links.stdout
    .toString()
    .split('\n')
    .map((line) => (line.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((name) => VETH_PATTERN.test(name));
  return { netns: netns.sort(), veths: veths.sort() };
}
