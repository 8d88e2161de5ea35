import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';
import { checkInterfaceName } from './interface-name.js';
import { execChecked } from '../host/exec-checked.js';
import { networkNames, vethName } from './network-names.js';
import { containerAddress, formatIpv4, parseSubnet, withGateway } from './subnet.js';

/** One interface of a container on a bridge network. */
export interface InterfaceSpec {
  /** eth0, eth1... inside the container. */
  name: string;
  /** Bridge made by ensureBridge. */
  bridge: string;
  /** The bridge's subnet, e.g. '10.88.0.0/24'. */
  subnet: string;
  /** The bridge's own address (the subnet's first unless the network says otherwise). */
  gateway: string;
  /** The container's address in the subnet (from an AddressPool). */
  address: string;
  /** The container's default route goes through this network's gateway. */
  defaultRoute: boolean;
}

export interface ContainerNetwork {
  /** Name for `ip -n` / `ip netns exec`. */
  netns: string;
  /** For the OCI spec's network namespace path. */
  netnsPath: string;
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

/** The lines that make one interface: the veth on the host's side, the address and route inside. */
function interfaceLines(containerId: string, netns: string, spec: InterfaceSpec): { hostLines: string[]; netnsLines: string[] } {
  checkInterfaceName(spec.bridge, 'bridge name');
  const subnet = withGateway(parseSubnet(spec.subnet), spec.gateway);
  containerAddress(subnet, spec.address);
  const veth = vethName(containerId, spec.name);
  return {
    hostLines: [
      // The peer is born inside the namespace: no temporary name in the host's namespace to clash or leak.
      `link add ${veth} type veth peer name ${spec.name} netns ${netns}`,
      `link set ${veth} master ${spec.bridge} up`,
    ],
    netnsLines: [
      `addr add ${spec.address}/${subnet.prefixLength} broadcast + dev ${spec.name}`,
      `link set ${spec.name} up`,
      ...(spec.defaultRoute ? [`route replace default via ${formatIpv4(subnet.gateway)}`] : []),
    ],
  };
}

/**
 * Gives a container its own network namespace with one interface per network, each a veth pair
 * joined to that network's bridge, and a default route through one of them. Fails whole: anything
 * it made is removed again.
 */
export async function attach(host: Host, containerId: string, interfaces: readonly InterfaceSpec[]): Promise<ContainerNetwork> {
  const names = networkNames(containerId);
  const { netns } = names;
  const made = interfaces.map((spec) => interfaceLines(containerId, netns, spec));
  const hostLines = [`netns add ${netns}`, ...made.flatMap((m) => m.hostLines)];
  const netnsLines = ['link set lo up', ...made.flatMap((m) => m.netnsLines)];
  const result = await runBatches(host, netns, hostLines, netnsLines);
  if (result.code === 0) return { netns, netnsPath: `/run/netns/${netns}` };

  const failure = attachFailure(containerId, interfaces, result);
  // If the namespace could not be made, it is not ours to remove (it may be a live container's).
  const nothingMade =
    result.code === 3 &&
    (/Command failed -:1$/m.test(result.stderr.toString()) || ipComplaint(result.stderr).includes('Cannot create namespace'));
  if (!nothingMade) await cleanUpAfter(failure, () => detach(host, containerId, interfaces.map((i) => i.name)));
  throw failure;
}

/** Adds an interface to the namespace of a running container; fails whole. */
export async function connectInterface(host: Host, containerId: string, spec: InterfaceSpec): Promise<void> {
  const { netns } = networkNames(containerId);
  const { hostLines, netnsLines } = interfaceLines(containerId, netns, spec);
  const result = await runBatches(host, netns, hostLines, netnsLines);
  if (result.code === 0) return;
  const failure = attachFailure(containerId, [spec], result);
  // A veth that could not be made (its name taken) is not ours to remove.
  if (!(result.code === 3 && /Command failed -:1$/m.test(result.stderr.toString()))) {
    await cleanUpAfter(failure, () => removeLinks(host, [`link del ${vethName(containerId, spec.name)}`]));
  }
  throw failure;
}

/** Takes one interface out of a running container; `defaultVia` moves its default route to another gateway. Idempotent. */
export async function disconnectInterface(host: Host, containerId: string, interfaceName: string, defaultVia?: string): Promise<void> {
  await removeLinks(host, [`link del ${vethName(containerId, interfaceName)}`]);
  if (!defaultVia) return;
  const { netns } = networkNames(containerId);
  await execChecked(host, ['ip', '-n', netns, 'route', 'replace', 'default', 'via', defaultVia], 'NETWORK_ERROR', { timeoutMs: HANG_GUARD_MS });
}

/** Removes a container's veth pairs and namespace. Idempotent: what is already gone is fine. */
export async function detach(host: Host, containerId: string, interfaceNames: readonly string[] = ['eth0']): Promise<void> {
  const names = networkNames(containerId);
  // The veths first: deleting one takes its peer with it at once, while a namespace is torn down lazily.
  const veths = new Set([names.vethHost, ...interfaceNames.map((name) => vethName(containerId, name))]);
  await removeLinks(host, [...[...veths].map((veth) => `link del ${veth}`), `netns del ${names.netns}`]);
}

function runBatches(host: Host, netns: string, hostLines: string[], netnsLines: string[]) {
  return host.exec(['sh', '-c', ATTACH_SCRIPT, 'berth-attach', netns], { input: lines([...hostLines, '--', ...netnsLines]), timeoutMs: HANG_GUARD_MS });
}

function attachFailure(containerId: string, interfaces: readonly InterfaceSpec[], result: { code: number; stderr: Buffer }): BerthError {
  const said = ipComplaint(result.stderr);
  // ip says 'argument "NAME" is wrong: Device does not exist'; name the thing that is missing.
  const missing = interfaces.find((i) => said.includes(`"${i.bridge}"`) && said.includes('does not exist'));
  const reason = missing ? `bridge ${missing.bridge} does not exist` : said || `exit ${result.code}`;
  return new BerthError('NETWORK_ERROR', `network for container ${containerId} could not be set up: ${reason}`, {
    detail: { exitCode: result.code, stderr: result.stderr.toString() },
  });
}

async function cleanUpAfter(failure: BerthError, cleanUp: () => Promise<void>): Promise<void> {
  try {
    await cleanUp();
  } catch (cleanup) {
    throw new BerthError('NETWORK_ERROR', `${failure.message}; cleaning up also failed: ${errorText(cleanup)}`, { detail: failure.detail });
  }
}

async function removeLinks(host: Host, commands: string[]): Promise<void> {
  const result = await host.exec(['ip', '-force', '-batch', '-'], { input: lines(commands), timeoutMs: HANG_GUARD_MS });
  if (result.code === 0) return;
  const problems = result.stderr
    .toString()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Command failed'))
    .filter((line) => !/Cannot find device|No such file or directory/.test(line));
  if (problems.length > 0 || result.stderr.length === 0) {
    throw new BerthError('NETWORK_ERROR', `removing ${commands.map((c) => c.split(' ').at(-1)).join(', ')} failed: ${problems.join('; ') || `exit ${result.code}`}`);
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
