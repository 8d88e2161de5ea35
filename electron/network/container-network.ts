import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';
import { checkInterfaceName } from './interface-name.js';
import { networkNames, type NetworkNames } from './network-names.js';
import { containerAddress, formatIpv4, parseSubnet } from './subnet.js';

export interface AttachSpec {
  /** Bridge made by ensureBridge. */
  bridge: string;
  /** The bridge's subnet, e.g. '10.88.0.0/24'. */
  subnet: string;
  containerId: string;
  /** The container's address in the subnet (from an AddressPool). */
  address: string;
}

export interface ContainerNetwork {
  /** Name for `ip -n` / `ip netns exec`. */
  netns: string;
  /** For the OCI spec's network namespace path. */
  netnsPath: string;
  address: string;
  gateway: string;
  prefixLength: number;
  vethHost: string;
}

const HANG_GUARD_MS = 15_000;

/**
 * Host-side and namespace-side `ip -batch` runs in one round trip to the Linux side (which under
 * WSL costs far more than the commands). Both batches travel on stdin, split by a '--' line, since
 * argv with newlines may not survive wsl.exe's command line; `read` takes bytes from a pipe one at
 * a time, so the second ip gets exactly the rest. Exit 3 or 4 says which half failed.
 */
const ATTACH_SCRIPT =
  'while IFS= read -r l && [ "$l" != -- ]; do printf \'%s\\n\' "$l"; done | ip -batch - || exit 3; ' +
  'ip -n "$1" -batch - || exit 4';

/**
 * Gives a container its own network namespace, joined to the bridge by a veth pair, with its
 * address and a default route through the gateway. Fails whole: anything it made is removed again.
 */
export async function attach(host: Host, spec: AttachSpec): Promise<ContainerNetwork> {
  checkInterfaceName(spec.bridge, 'bridge name');
  const subnet = parseSubnet(spec.subnet);
  containerAddress(subnet, spec.address);
  const names = networkNames(spec.containerId);
  const gateway = formatIpv4(subnet.gateway);
  const { netns, vethHost } = names;

  const hostLines = [
    `netns add ${netns}`,
    // The peer is born inside the namespace as eth0: no temporary name in the host's namespace to clash or leak.
    `link add ${vethHost} type veth peer name eth0 netns ${netns}`,
    `link set ${vethHost} master ${spec.bridge} up`,
  ];
  const netnsLines = [
    'link set lo up',
    `addr add ${spec.address}/${subnet.prefixLength} broadcast + dev eth0`,
    'link set eth0 up',
    `route add default via ${gateway}`,
  ];
  const result = await host.exec(['sh', '-c', ATTACH_SCRIPT, 'berth-attach', netns], {
    input: lines([...hostLines, '--', ...netnsLines]),
    timeoutMs: HANG_GUARD_MS,
  });
  if (result.code === 0) {
    return {
      netns,
      netnsPath: `/run/netns/${netns}`,
      address: spec.address,
      gateway,
      prefixLength: subnet.prefixLength,
      vethHost,
    };
  }

  const said = ipComplaint(result.stderr);
  // ip says 'argument "NAME" is wrong: Device does not exist'; name the thing that is missing.
  const reason =
    said.includes(`"${spec.bridge}"`) && said.includes('does not exist')
      ? `bridge ${spec.bridge} does not exist`
      : said || `exit ${result.code}`;
  const failure = new BerthError(
    'NETWORK_ERROR',
    `network for container ${spec.containerId} could not be set up: ${reason}`,
    { detail: { exitCode: result.code, stderr: result.stderr.toString() } },
  );
  // If the namespace could not be made, it is not ours to remove (it may be a live container's).
  const nothingMade =
    result.code === 3 &&
    (/Command failed -:1$/m.test(result.stderr.toString()) || said.includes('Cannot create namespace'));
  if (!nothingMade) {
    try {
      await removeObjects(host, names);
    } catch (cleanup) {
      throw new BerthError('NETWORK_ERROR', `${failure.message}; cleaning up also failed: ${errorText(cleanup)}`, {
        detail: { exitCode: result.code, stderr: result.stderr.toString() },
      });
    }
  }
  throw failure;
}

/** Removes a container's veth pair and namespace. Idempotent: what is already gone is fine. */
export async function detach(host: Host, spec: { containerId: string }): Promise<void> {
  await removeObjects(host, networkNames(spec.containerId));
}

async function removeObjects(host: Host, names: NetworkNames): Promise<void> {
  // The veth first: deleting it takes eth0 with it at once, while a namespace is torn down lazily.
  const result = await host.exec(['ip', '-force', '-batch', '-'], {
    input: lines([`link del ${names.vethHost}`, `netns del ${names.netns}`]),
    timeoutMs: HANG_GUARD_MS,
  });
  if (result.code === 0) return;
  const problems = result.stderr
    .toString()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Command failed'))
    .filter((line) => !/Cannot find device|No such file or directory/.test(line));
  if (problems.length > 0 || result.stderr.length === 0) {
    throw new BerthError(
      'NETWORK_ERROR',
      `removing ${names.vethHost} and ${names.netns} failed: ${problems.join('; ') || `exit ${result.code}`}`,
    );
  }
}

function lines(commands: string[]): string {
  return commands.join('\n') + '\n';
}

/** ip's own message, without its batch bookkeeping lines. */
function ipComplaint(stderr: Buffer): string {
  return stderr
    .toString()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Command failed'))
    .join('; ');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
