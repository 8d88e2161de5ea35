import type { Host } from '../host/host.js';
import type { BundlePaths } from '../runtime/bundle.js';

/** resolv.conf for a container: the host's, minus loopback resolvers the container cannot reach. */
async function resolvConf(host: Host): Promise<string> {
  const text = await host.readFile('/etc/resolv.conf').then((b) => b.toString(), () => '');
  const lines = text.split('\n').filter((line) => !/^\s*nameserver\s+(127\.|::1)/.test(line));
  return `${lines.join('\n').trim()}\n`;
}

/** Writes the per-container /etc/hosts, /etc/hostname and /etc/resolv.conf the spec binds in. */
export async function writeEtcFiles(host: Host, paths: BundlePaths, hostname: string, address: string): Promise<void> {
  const hosts = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...(address ? [`${address}\t${hostname}`] : []),
  ].join('\n');
  await Promise.all([
    host.writeFile(paths.hosts, `${hosts}\n`),
    host.writeFile(paths.hostname, `${hostname}\n`),
    resolvConf(host).then((text) => host.writeFile(paths.resolvConf, text)),
  ]);
}

export function etcBinds(paths: BundlePaths): { destination: string; source: string }[] {
  return [
    { destination: '/etc/hosts', source: paths.hosts },
    { destination: '/etc/hostname', source: paths.hostname },
    { destination: '/etc/resolv.conf', source: paths.resolvConf },
  ];
}
