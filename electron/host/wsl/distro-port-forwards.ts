import { z } from 'zod';
import { BerthError } from '../../../shared/berth-error.js';
import type { PortMapping, PortProtocol } from '../../../shared/ports.js';
import { KeyedLock } from '../../records/keyed-lock.js';
import { execChecked } from '../exec-checked.js';
import { forwardOf, type Host, type PortForward, type PortPath } from '../host.js';

/**
 * Published ports cross the VM boundary by DNAT in the distro's own network namespace: a packet
 * from the Windows side to the VM's address at a forward's port goes on to the container.
 * One map per protocol, so opening and closing a port is one element, not a rule to find again.
 */
const PORT_TABLE = 'berth_ports';
const PORT_TABLE_SCRIPT = `table ip ${PORT_TABLE} {
  map tcp_forward { type inet_service : ipv4_addr . inet_service; }
  map udp_forward { type inet_service : ipv4_addr . inet_service; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "eth0" dnat ip to tcp dport map @tcp_forward
    iifname "eth0" dnat ip to udp dport map @udp_forward
  }
}
`;
/** The VM's own interface, the one the Windows side reaches (its address changes when WSL restarts). */
const VM_INTERFACE = 'eth0';
/** Deletes the elements given as `MAP PORT` argument pairs, one nft call each: one that is not there must not stop the others. */
const DELETE_ELEMENTS = `while [ $# -gt 0 ]; do nft delete element ip ${PORT_TABLE} "$1" "{ $2 }" 2>/dev/null; shift 2; done`;
/** Where a forward goes when its host port number already forwards to another container: the dynamic ports. */
const SPARE_FIRST = 49_152;
const LAST_PORT = 65_535;

/** `nft -j list table`: each map's elements, `[port, { concat: [address, guestPort] }]` (other items have no map). */
const NftTable = z.object({
  nftables: z.array(
    z.object({
      map: z
        .object({
          name: z.string(),
          elem: z.array(z.tuple([z.number(), z.object({ concat: z.tuple([z.string(), z.number()]) })])).default([]),
        })
        .optional(),
    }),
  ),
});

function mapOf(protocol: PortProtocol): string {
  return `${protocol}_forward`;
}

/** A forward's element in the maps, as the delete loop takes it: `MAP PORT`. */
function keyOf(protocol: PortProtocol, port: number): string {
  return `${mapOf(protocol)} ${port}`;
}

/**
 * The distro's port forwards. Each published port (protocol, host port, guest port) of a container
 * gets a forward port of its own: its host port number when no other container's forward has it,
 * a spare one when one does, so `-p 127.0.0.1:80:80` and `-p 192.168.1.5:80:80` to two containers
 * both work. One engine owns the distro, so what is in the maps is read once and then kept here.
 */
export class DistroPortForwards {
  private readonly lock = new KeyedLock();
  /** `MAP PORT` → the container address it forwards to; read from the distro on first use. */
  private inUse: Map<string, string> | undefined;

  constructor(private readonly host: Pick<Host, 'exec'>) {}

  /**
   * One command in the distro: forwarding on, the table made if WSL restarted since (it lives in
   * the VM's network namespace), forwards an earlier engine left for this container's address
   * dropped, the new ones added, and the VM's address printed for the relay to connect to.
   */
  open(containerAddress: string, mappings: readonly PortMapping[]): Promise<PortPath> {
    return this.lock.run('ports', async () => {
      const inUse = await this.read();
      const stale = [...inUse].filter(([, address]) => address === containerAddress).map(([key]) => key);
      for (const key of stale) inUse.delete(key);
      const forwards: PortForward[] = [];
      for (const { protocol, hostPort, guestPort } of mappings) {
        // The IPv4 and IPv6 halves of one port share its forward.
        if (forwardOf(forwards, { protocol, hostPort, guestPort })) continue;
        const port = freePort(inUse, protocol, hostPort);
        inUse.set(keyOf(protocol, port), containerAddress);
        forwards.push({ protocol, hostPort, guestPort, port });
      }
      const elements = forwards.map((f) => `add element ip ${PORT_TABLE} ${mapOf(f.protocol)} { ${f.port} : ${containerAddress} . ${f.guestPort} }`);
      const dropped = [...stale, ...forwards.map((f) => keyOf(f.protocol, f.port))];
      const script = [
        'sysctl -qw net.ipv4.ip_forward=1 || exit 1',
        `nft list table ip ${PORT_TABLE} >/dev/null 2>&1 || printf '%s' "$1" | nft -f - || exit 1`,
        'shift',
        DELETE_ELEMENTS,
        `ip -4 -o addr show dev ${VM_INTERFACE} && exec nft -f -`,
      ].join('\n');
      try {
        const result = await execChecked(this.host, ['sh', '-c', script, 'berth-forward', PORT_TABLE_SCRIPT, ...deleteArgs(dropped)], 'NETWORK_ERROR', {
          input: `${elements.join('\n')}\n`,
        });
        const address = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(result.stdout.toString())?.[1];
        if (!address) throw new BerthError('NETWORK_ERROR', `the distro's ${VM_INTERFACE} has no IPv4 address`);
        return { address, port: 'forward', forwards };
      } catch (err) {
        // What the maps hold is unknown now: read them again next time.
        this.inUse = undefined;
        throw err;
      }
    });
  }

  close(path: PortPath): Promise<void> {
    if (path.port !== 'forward' || path.forwards.length === 0) return Promise.resolve();
    return this.lock.run('ports', async () => {
      const keys = path.forwards.map((f) => keyOf(f.protocol, f.port));
      for (const key of keys) this.inUse?.delete(key);
      await this.host.exec(['sh', '-c', `${DELETE_ELEMENTS}; exit 0`, 'berth-unforward', ...deleteArgs(keys)]);
    });
  }

  private async read(): Promise<Map<string, string>> {
    if (this.inUse) return this.inUse;
    const result = await this.host.exec(['nft', '-j', 'list', 'table', 'ip', PORT_TABLE]);
    const inUse = new Map<string, string>();
    // No table yet (a fresh distro, or WSL restarted): nothing forwards.
    if (result.code === 0) {
      const parsed = NftTable.safeParse(JSON.parse(result.stdout.toString()));
      if (!parsed.success) throw new BerthError('NETWORK_ERROR', `the distro's port forwards could not be read: ${parsed.error.issues[0]?.message ?? ''}`);
      const maps = parsed.data.nftables.flatMap(({ map }) => (map ? [map] : []));
      for (const map of maps) for (const [port, { concat: [address] }] of map.elem) inUse.set(`${map.name} ${port}`, address);
    }
    this.inUse = inUse;
    return inUse;
  }
}

/** The host port number itself when no forward has it, else the first spare one free. */
function freePort(inUse: ReadonlyMap<string, string>, protocol: PortProtocol, hostPort: number): number {
  if (!inUse.has(keyOf(protocol, hostPort))) return hostPort;
  for (let port = SPARE_FIRST; port <= LAST_PORT; port++) if (!inUse.has(keyOf(protocol, port))) return port;
  throw new BerthError('NETWORK_ERROR', `the distro has no port left to forward ${hostPort}/${protocol}`);
}

/** Keys as the delete loop's argument pairs. */
function deleteArgs(keys: readonly string[]): string[] {
  return keys.flatMap((key) => key.split(' '));
}
