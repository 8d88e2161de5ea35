import type { NetworkMode } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import type { BundlePaths } from './bundle.js';

/** Docker's fallback when the host only lists resolvers a container cannot reach. */
const FALLBACK_NAMESERVERS = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];

async function readText(host: Host, path: string): Promise<string> {
  return host.readFile(path).then((b) => b.toString(), () => '');
}

/**
 * resolv.conf for a container with its own network: the host's, minus loopback resolvers (such as
 * systemd-resolved's 127.0.0.53) that are not reachable from another namespace. On a user-defined
 * network its one resolver is that network's name server, which passes other names on to the host's.
 */
function containerResolvConf(hostText: string, nameServer: string | undefined): string {
  const isResolver = (line: string) => /^\s*nameserver\s/.test(line);
  if (nameServer) return `${[...hostText.split('\n').filter((line) => !isResolver(line)), `nameserver ${nameServer}`].join('\n').trim()}\n`;
  const lines = hostText.split('\n').filter((line) => !/^\s*nameserver\s+(127\.|::1)/.test(line));
  if (!lines.some(isResolver)) lines.push(...FALLBACK_NAMESERVERS);
  return `${lines.join('\n').trim()}\n`;
}

/**
 * Writes the per-container /etc/hosts, /etc/hostname and /etc/resolv.conf the spec binds in. With
 * host networking the container sees the host's own files and name, as in Docker.
 */
export async function writeEtcFiles(host: Host, paths: BundlePaths, hostname: string, address: string, mode: NetworkMode, nameServer?: string): Promise<void> {
  const hostResolv = await readText(host, '/etc/resolv.conf');
  const files =
    mode === 'host'
      ? { hosts: await readText(host, '/etc/hosts'), hostname: `${hostname}\n`, resolv: hostResolv }
      : {
          hosts: [
            '127.0.0.1\tlocalhost',
            '::1\tlocalhost ip6-localhost ip6-loopback',
            ...(address ? [`${address}\t${hostname}`] : []),
          ].join('\n') + '\n',
          hostname: `${hostname}\n`,
          resolv: containerResolvConf(hostResolv, nameServer),
        };
  await Promise.all([
    host.writeFile(paths.hosts, files.hosts),
    host.writeFile(paths.hostname, files.hostname),
    host.writeFile(paths.resolvConf, files.resolv),
  ]);
}

/** The container's hostname: what the user asked, the host's own with host networking, else the short id. */
export async function containerHostname(host: Host, requested: string | undefined, id: string, mode: NetworkMode): Promise<string> {
  if (requested) return requested;
  if (mode === 'host') return (await host.exec(['hostname'])).stdout.toString().trim() || id.slice(0, 12);
  return id.slice(0, 12);
}

export function etcBinds(paths: BundlePaths): { destination: string; source: string }[] {
  return [
    { destination: '/etc/hosts', source: paths.hosts },
    { destination: '/etc/hostname', source: paths.hostname },
    { destination: '/etc/resolv.conf', source: paths.resolvConf },
  ];
}
