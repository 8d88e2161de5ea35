import type { Host } from '../host/host.js';
import { NETWORK_BRIDGE_PREFIX } from './network-names.js';

/** One iptables rule Berth owns for a bridge. */
export interface FirewallRule {
  table: 'nat' | 'filter';
  chain: string;
  spec: string[];
  /** What breaks without it, for the warning when it cannot be added. */
  purpose: string;
}

/** What a bridge is for, as its rules see it. */
export interface BridgeRole {
  /** No way out: its containers reach each other only (Docker's --internal). */
  internal?: boolean;
  /** For a user-defined network: the engine's default bridge, which it is kept apart from. */
  defaultBridge?: string;
  /** Its gateway, where its name server answers: only its own containers may ask it. */
  dnsGateway?: string;
}

/**
 * The rules a bridge needs, in the order they stand in their chains: traffic within the bridge,
 * isolation from other Berth networks (each user-defined network's bridge is named `bn...`; Docker
 * keeps its networks apart the same way), then NAT and forwarding for traffic leaving through
 * another interface, ahead of any DROP policy (Docker sets one; with br_netfilter loaded even
 * traffic between containers on one bridge passes FORWARD). Every filter rule names the bridge as
 * its input or output, so the order between different bridges' rules does not matter.
 */
export function bridgeRules(bridge: string, subnetCidr: string, role: BridgeRole = {}): FirewallRule[] {
  const forward = (spec: string[], purpose: string): FirewallRule => ({ table: 'filter', chain: 'FORWARD', spec, purpose });
  const within = forward(['-i', bridge, '-o', bridge, '-j', 'ACCEPT'], `traffic within bridge ${bridge}`);
  // The name server answers whoever asks with the names of the network the question reached it on.
  const dns = role.dnsGateway ? nameServerRules(bridge, role.dnsGateway) : [];
  if (role.internal) {
    return [...dns, within, forward(['-i', bridge, '-j', 'DROP'], `keeping internal network ${bridge} in`), forward(['-o', bridge, '-j', 'DROP'], `keeping others out of internal network ${bridge}`)];
  }
  return [
    ...dns,
    within,
    forward(['-i', bridge, '-o', `${NETWORK_BRIDGE_PREFIX}+`, '-j', 'DROP'], `isolation of bridge ${bridge} from other networks`),
    ...(role.defaultBridge ? [forward(['-i', bridge, '-o', role.defaultBridge, '-j', 'DROP'], `isolation of bridge ${bridge} from ${role.defaultBridge}`)] : []),
    forward(['-i', bridge, '-j', 'ACCEPT'], `forwarding of traffic from bridge ${bridge}`),
    forward(['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'], `forwarding of replies to bridge ${bridge}`),
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', subnetCidr, '!', '-o', bridge, '-j', 'MASQUERADE'], purpose: `outbound NAT for ${subnetCidr}` },
  ];
}

/** Questions to the network's name server come from its own bridge only (not other networks' containers through the host). */
function nameServerRules(bridge: string, gateway: string): FirewallRule[] {
  const question = ['-d', gateway, '-p', 'udp', '--dport', '53'];
  return [
    { table: 'filter', chain: 'INPUT', spec: [...question, '-i', bridge, '-j', 'ACCEPT'], purpose: `names for the containers on ${bridge}` },
    { table: 'filter', chain: 'INPUT', spec: [...question, '!', '-i', bridge, '-j', 'DROP'], purpose: `keeping ${bridge}'s names from other networks` },
  ];
}

/**
 * Adds each rule unless present. Never throws: a host without a usable iptables still runs
 * containers reachable from the host, so failures come back as warnings.
 */
export async function ensureRules(host: Host, rules: FirewallRule[]): Promise<string[]> {
  const warnings: string[] = [];
  // Each missing rule goes to the top of its chain, last first, so they stand in the order given.
  for (const rule of [...rules].reverse()) {
    const check = await host.exec(iptables(rule, ['-C', rule.chain]), { timeoutMs: 15_000 });
    if (check.code === 0) continue;
    if (check.code === 127) {
      warnings.push(
        `iptables is not available (${said(check.stderr)}): containers can reach the host and each other, ` +
          'but not outside networks',
      );
      return warnings;
    }
    // Inserted at the top so a host firewall's own DROP rules further down do not shadow it.
    const add = await host.exec(iptables(rule, ['-I', rule.chain, '1']), { timeoutMs: 15_000 });
    if (add.code !== 0) {
      warnings.push(
        `${rule.purpose} is off: iptables failed (${said(add.stderr)}); containers can still reach the host`,
      );
    }
  }
  return warnings;
}

/** Deletes each rule, including duplicates left by racing setups; absent rules are fine. */
export async function removeRules(host: Host, rules: FirewallRule[]): Promise<void> {
  for (const rule of rules) {
    // Bounded: a handful of copies at most can exist, each deletion removes one.
    for (let attempt = 0; attempt < 8; attempt++) {
      const del = await host.exec(iptables(rule, ['-D', rule.chain]), { timeoutMs: 15_000 });
      if (del.code !== 0) break;
    }
  }
}

function iptables(rule: FirewallRule, action: string[]): string[] {
  // -w waits for the xtables lock instead of failing when another tool holds it.
  return ['iptables', '-w', '5', '-t', rule.table, ...action, ...rule.spec];
}

function said(stderr: Buffer): string {
  const lines = stderr.toString().trim().split('\n');
  return lines[lines.length - 1] || 'no message';
}
