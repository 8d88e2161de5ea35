import { createHash } from 'node:crypto';
import { BerthError } from '../../shared/berth-error.js';
import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';
import { bridgeRules, ensureRules, removeRules, type BridgeRole } from './firewall.js';
import { checkInterfaceName } from './interface-name.js';
import { formatIpv4, parseSubnet, withGateway } from './subnet.js';

export interface BridgeSpec {
  /** Linux interface name, at most 15 characters. */
  name: string;
  /** e.g. '10.88.0.0/24'; the bridge takes the first host address as the containers' gateway. */
  subnet: string;
  /** The bridge's address when not the subnet's first. */
  gateway?: string;
  role?: BridgeRole;
}

export interface BridgeInfo {
  name: string;
  /** Canonical form of the subnet. */
  subnet: string;
  gateway: string;
  prefixLength: number;
  /** Things that work less than fully (e.g. no NAT without iptables); the bridge itself is up. */
  warnings: string[];
}

const HANG_GUARD_MS = 15_000;

/** Creates the bridge if missing, gives it the gateway address, brings it up and sets up NAT. Idempotent. */
export async function ensureBridge(host: Host, spec: BridgeSpec): Promise<BridgeInfo> {
  checkInterfaceName(spec.name, 'bridge name');
  const subnet = spec.gateway ? withGateway(parseSubnet(spec.subnet), spec.gateway) : parseSubnet(spec.subnet);
  const gateway = formatIpv4(subnet.gateway);

  const kind = await linkKind(host, spec.name);
  if (kind !== undefined && kind !== 'bridge') {
    throw new BerthError(
      'NETWORK_ERROR',
      `interface ${spec.name} exists but is ${kind === '' ? 'not a bridge' : `a ${kind}, not a bridge`}`,
    );
  }
  const lines = [
    // A fixed MAC: otherwise the bridge takes the lowest MAC of its ports, which changes as containers
    // come and go and leaves the gateway's ARP entry stale in every other container.
    ...(kind === undefined ? [`link add ${spec.name} address ${bridgeMac(spec.name)} type bridge`] : []),
    `addr replace ${gateway}/${subnet.prefixLength} dev ${spec.name}`,
    `link set ${spec.name} up`,
  ];
  await execChecked(host, ['ip', '-batch', '-'], 'NETWORK_ERROR', {
    input: lines.join('\n') + '\n',
    timeoutMs: HANG_GUARD_MS,
  });

  const warnings: string[] = [];
  // Through sh rather than sysctl: sysctl (procps) is not in a minimal distro.
  const forward = await host.exec(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'], {
    timeoutMs: HANG_GUARD_MS,
  });
  if (forward.code !== 0) {
    warnings.push(
      `IP forwarding could not be enabled (${forward.stderr.toString().trim() || `exit ${forward.code}`}): ` +
        'containers can reach the host and each other, but not outside networks',
    );
  }
  warnings.push(...(await ensureRules(host, bridgeRules(spec.name, subnet.cidr, spec.role))));

  return { name: spec.name, subnet: subnet.cidr, gateway, prefixLength: subnet.prefixLength, warnings };
}

/** Removes the bridge and its firewall rules; what is already gone is fine. IP forwarding stays on: others may rely on it. */
export async function removeBridge(host: Host, spec: BridgeSpec): Promise<void> {
  checkInterfaceName(spec.name, 'bridge name');
  const subnet = parseSubnet(spec.subnet);
  const kind = await linkKind(host, spec.name);
  if (kind !== undefined && kind !== 'bridge') throw new BerthError('NETWORK_ERROR', `interface ${spec.name} is not a bridge; leaving it alone`);
  // The kernel takes tens of milliseconds to delete a bridge; the rules, which only name it, go meanwhile.
  const steps = await Promise.allSettled([
    kind === 'bridge' ? execChecked(host, ['ip', 'link', 'del', spec.name], 'NETWORK_ERROR', { timeoutMs: HANG_GUARD_MS }) : undefined,
    removeRules(host, bridgeRules(spec.name, subnet.cidr, spec.role)),
  ]);
  for (const step of steps) if (step.status === 'rejected') throw step.reason;
}

/** The link's kind ('bridge', 'veth', '' for a plain device), or undefined when there is no such link. */
async function linkKind(host: Host, name: string): Promise<string | undefined> {
  const shown = await host.exec(['ip', '-d', '-j', 'link', 'show', 'dev', name], { timeoutMs: HANG_GUARD_MS });
  if (shown.code !== 0) {
    const said = shown.stderr.toString().trim();
    if (said.includes('does not exist')) return undefined;
    throw new BerthError('NETWORK_ERROR', `ip link show ${name} failed: ${said || `exit ${shown.code}`}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(shown.stdout.toString());
  } catch {
    throw new BerthError('NETWORK_ERROR', `ip link show ${name}: output is not JSON`);
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (!isRecord(first)) throw new BerthError('NETWORK_ERROR', `ip link show ${name}: unexpected output`);
  const info = first['linkinfo'];
  const kind = isRecord(info) ? info['info_kind'] : undefined;
  return typeof kind === 'string' ? kind : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A locally administered unicast MAC that stays the same for a bridge name across restarts. */
function bridgeMac(name: string): string {
  const bytes = createHash('sha256').update(`berth-bridge:${name}`).digest().subarray(0, 5);
  return ['02', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))].join(':');
}
