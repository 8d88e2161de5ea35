import { lstat, rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import type { SocketForward } from '../../shared/mounts.js';
import type { Host, UnixListener } from '../host/host.js';
import { connectUnixSocket, listenUnixSocket } from '../host/local/unix-socket.js';
import { secureJoin } from '../runtime/secure-join.js';
import { splice } from './splice.js';

/** What one running container's forwards hold open. */
interface Open {
  closers: (() => Promise<void>)[];
  streams: Set<Duplex>;
}

/** A bind mount of a forward's listener into the container. */
export interface SocketBind {
  source: string;
  destination: string;
}

/**
 * UNIX socket forwards across the container boundary. `to-host`: the engine listens on the Linux side
 * (a socket the runtime binds into the container at its path) and connects each caller to the host
 * socket named in its own record of the forward. `to-container`: the engine listens at the host path and
 * connects each caller to the socket served inside the container, reached through /proc/PID/root.
 */
export class SocketForwards {
  private readonly open = new Map<string, Open>();

  constructor(private readonly host: Host) {}

  /** The Linux-side listener of a to-host forward: short, since a socket's path must fit in 108 bytes. */
  listenerPath(forward: SocketForward): string {
    return `${this.host.dataRoot}/sockets/${forward.id.slice(0, 32)}.sock`;
  }

  /** Listens for the container's to-host forwards; made before its process starts, so the mounts exist when it needs them. */
  async listenInside(containerId: string, forwards: readonly SocketForward[]): Promise<SocketBind[]> {
    const toHost = forwards.filter((f) => f.direction === 'to-host');
    if (toHost.length === 0) return [];
    await this.host.mkdir(`${this.host.dataRoot}/sockets`);
    const open = this.entry(containerId);
    const binds: SocketBind[] = [];
    for (const forward of toHost) {
      const path = this.listenerPath(forward);
      // Left by an engine that crashed: the container it served is gone or restarting now.
      await this.host.remove(path);
      // World-writable so a non-root process in the container can connect; its folder is root's alone.
      const listener = await this.host.listenUnix(path, 0o666, (stream) => this.carry(open, stream, () => connectUnixSocket(forward.hostPath)));
      open.closers.push(() => listener.close());
      binds.push({ source: path, destination: forward.containerPath });
    }
    return binds;
  }

  /** Listens at the host paths of the container's to-container forwards, once its process runs. */
  async listenOnHost(containerId: string, pid: number, forwards: readonly SocketForward[]): Promise<void> {
    const open = this.entry(containerId);
    for (const forward of forwards.filter((f) => f.direction === 'to-container')) {
      const root = `/proc/${pid}/root`;
      const listener = await listenHost(forward.hostPath, (stream) =>
        this.carry(open, stream, async () => this.host.connectUnix(await secureJoin(root, forward.containerPath, (p) => this.host.readlink(p)))),
      );
      open.closers.push(() => listener.close());
    }
  }

  /** Closes the container's listeners and the connections through them; no socket file is left. */
  async close(containerId: string): Promise<void> {
    const open = this.open.get(containerId);
    if (!open) return;
    this.open.delete(containerId);
    for (const stream of open.streams) stream.destroy();
    for (const close of open.closers.reverse()) await close().catch(() => {});
  }

  /** Removes the socket files a crashed engine left for a container that no longer runs. */
  async removeLeftovers(forwards: readonly SocketForward[]): Promise<void> {
    for (const forward of forwards) {
      if (forward.direction === 'to-host') await this.host.remove(this.listenerPath(forward));
      else if ((await lstat(forward.hostPath).catch(() => undefined))?.isSocket()) await rm(forward.hostPath, { force: true });
    }
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.open.keys()]) await this.close(id);
  }

  private entry(containerId: string): Open {
    let open = this.open.get(containerId);
    if (!open) this.open.set(containerId, (open = { closers: [], streams: new Set() }));
    return open;
  }

  /** Connects one caller on to the forward's other end; a failed connect just hangs up on the caller. */
  private carry(open: Open, caller: Duplex, reach: () => Promise<Duplex>): void {
    open.streams.add(caller);
    caller.once('close', () => open.streams.delete(caller));
    caller.on('error', () => caller.destroy());
    reach().then(
      (target) => {
        if (caller.destroyed) return target.destroy();
        open.streams.add(target);
        target.once('close', () => open.streams.delete(target));
        splice(caller, target);
      },
      () => caller.destroy(),
    );
  }
}

/**
 * Listens at a host path for the user (0600). A socket file there that nobody answers is a leftover of a
 * crashed engine and is replaced; anything else at the path is refused, never overwritten.
 */
async function listenHost(path: string, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    const alive = existing.isSocket() ? await connectUnixSocket(path).then((s) => (s.destroy(), true), () => false) : true;
    if (alive) throw new BerthError('INVALID_ARGUMENT', `invalid --socket-listen: ${path} already exists on the host`);
    await rm(path, { force: true });
  }
  return listenUnixSocket(path, 0o600, onConnection).catch((err: unknown) => {
    throw new BerthError('INVALID_ARGUMENT', `invalid --socket-listen: ${err instanceof Error ? err.message : String(err)}`);
  });
}
