import type { Host } from '../host/host.js';

/** One iptables rule Berth owns for a bridge. */
export interface FirewallRule {
  table: 'nat' | 'filter';
  chain: string;
  spec: string[];
  /** What breaks without it, for the warning when it cannot be added. */
  purpose: string;
}

/**
 * The rules a bridge needs for containers to reach outside networks: NAT for traffic leaving
 * through another interface, and FORWARD accepts ahead of any DROP policy (Docker sets one;
 * with br_netfilter loaded even traffic between containers on the bridge passes FORWARD).
 */
export function bridgeRules(bridge: string, subnetCidr: string): FirewallRule[] {
  return [
    {
      table: 'nat',
      chain: 'POSTROUTING',
      spec: ['-s', subnetCidr, '!', '-o', bridge, '-j', 'MASQUERADE'],
      purpose: `outbound NAT for ${subnetCidr}`,
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      spec: ['-i', bridge, '-j', 'ACCEPT'],
      purpose: `forwarding of traffic from bridge ${bridge}`,
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      purpose: `forwarding of replies to bridge ${bridge}`,
    },
  ];
}

/**
 * Adds each rule unless present. Never throws: a host without a usable iptables still runs
 * containers reachable from the host, so failures come back as warnings.
 */
export async function ensureRules(host: Host, rules: FirewallRule[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const rule of rules) {
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
