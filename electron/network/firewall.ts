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
 * Rules travel as lines `TABLE CHAIN ARGS...` on stdin and run in one shell on the Linux side: one
 * round trip for all of them (under WSL each command is a wsl.exe start). Their arguments never hold
 * spaces or glob characters (names, addresses, states), so the shell's word splitting is safe.
 */
const ENSURE_SCRIPT = String.raw`
command -v iptables >/dev/null || { echo "0 not found on the Linux side"; exit 0; }
set -f
n=0
while read -r table chain args; do
  n=$((n+1))
  # -w waits for the xtables lock instead of failing when another tool holds it.
  iptables -w 5 -t "$table" -C "$chain" $args 2>/dev/null && continue
  # At the top, so a host firewall's own DROP rules further down do not shadow it.
  said=$(iptables -w 5 -t "$table" -I "$chain" 1 $args 2>&1) || echo "$n $(printf '%s' "$said" | tail -n 1)"
done
`;

/**
 * Deletes the rules. Each stands once (ensureRules adds only what is missing, one set-up at a time),
 * so one iptables-restore deletes them all in a transaction per table; when that fails (a rule
 * already gone, or no iptables-restore) each is deleted on its own while it is there, at most 8
 * copies of each.
 */
const REMOVE_SCRIPT = String.raw`
command -v iptables >/dev/null || exit 0
set -f
rules=$(cat)
for t in filter nat; do
  echo "*$t"
  printf '%s
' "$rules" | while read -r table chain args; do [ "$table" = "$t" ] && echo "-D $chain $args"; done
  echo COMMIT
done | iptables-restore -w 5 --noflush 2>/dev/null && exit 0
printf '%s
' "$rules" | while read -r table chain args; do
  i=0
  while [ $i -lt 8 ] && iptables -w 5 -t "$table" -D "$chain" $args 2>/dev/null; do i=$((i+1)); done
done
`;

function ruleLines(rules: readonly FirewallRule[]): string {
  return rules.map((rule) => `${rule.table} ${rule.chain} ${rule.spec.join(' ')}\n`).join('');
}

/**
 * Adds each rule unless present, so they stand in their chains in the order given. Never throws: a
 * host without a usable iptables still runs containers reachable from the host, so failures come
 * back as warnings.
 */
export async function ensureRules(host: Host, rules: FirewallRule[]): Promise<string[]> {
  // Each missing rule goes to the top of its chain, last first.
  const order = [...rules].reverse();
  const result = await host.exec(['sh', '-c', ENSURE_SCRIPT, 'berth-firewall'], { input: ruleLines(order), timeoutMs: 30_000 });
  if (result.code !== 0) return [`the firewall rules could not be set up (${said(result.stderr)}): containers can reach the host and each other, but maybe not outside networks`];
  const warnings: string[] = [];
  for (const line of result.stdout.toString().split('\n').filter((l) => l !== '')) {
    const [index = '', ...message] = line.split(' ');
    const rule = order[Number(index) - 1];
    warnings.push(
      rule
        ? `${rule.purpose} is off: iptables failed (${message.join(' ') || 'no message'}); containers can still reach the host`
        : `iptables is not available (${message.join(' ')}): containers can reach the host and each other, but not outside networks`,
    );
  }
  return warnings;
}

/** Deletes each rule; absent rules are fine. */
export async function removeRules(host: Host, rules: FirewallRule[]): Promise<void> {
  await host.exec(['sh', '-c', REMOVE_SCRIPT, 'berth-firewall'], { input: ruleLines(rules), timeoutMs: 30_000 });
}

function said(stderr: Buffer): string {
  const lines = stderr.toString().trim().split('\n');
  return lines[lines.length - 1] || 'no message';
}
