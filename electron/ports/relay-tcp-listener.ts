import net from 'node:net';
import type { RelayEndpoint } from './port-relay.js';
import { TcpConnection, type TcpConnectionContext } from './relay-tcp-connection.js';

/**
 * A published TCP port: the listening socket is the reservation. Connections that arrive before
 * the container is there are held (bounded) and go through once it is.
 */
export class TcpListener {
  private readonly connections = new Set<TcpConnection>();
  private readonly held = new Set<TcpConnection>();
  /** Set by activate: where connections go. */
  private target: RelayEndpoint | undefined;
  private closing = false;
  readonly protocol = 'tcp';

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly guestPort: number,
    private readonly context: TcpConnectionContext,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    // Accept failures (say, out of file descriptors) drop that one client; the port stays open.
    server.on('error', () => {});
  }

  /** Binds hostIp:hostPort; rejects with the system error (EADDRINUSE...) if it cannot. */
  static bind(hostIp: string, hostPort: number, guestPort: number, context: TcpConnectionContext): Promise<TcpListener> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // ipv6Only: '::' means IPv6 only, as with Docker; IPv4 wildcard is its own reservation.
      server.listen({ host: hostIp, port: hostPort, exclusive: true, ipv6Only: net.isIPv6(hostIp) }, () => {
        server.off('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : hostPort;
        resolve(new TcpListener(server, port, guestPort, context));
      });
    });
  }

  /** Starts forwarding to `to` (the endpoint the host's path gives for this port). */
  activate(to: RelayEndpoint): void {
    this.target = to;
    for (const connection of this.held) connection.connect(to.address, to.port);
    this.held.clear();
  }

  close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    return closed;
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.target === undefined && this.held.size >= this.context.limits.heldConnectionsPerPort) {
      socket.resetAndDestroy();
      return;
    }
    let connection: TcpConnection;
    try {
      connection = new TcpConnection(socket, this.context, (gone) => {
        this.connections.delete(gone);
        this.held.delete(gone);
      });
    } catch {
      // A socket that cannot be taken over is refused rather than let take the worker down.
      socket.destroy();
      return;
    }
    this.connections.add(connection);
    if (this.target !== undefined) {
      connection.connect(this.target.address, this.target.port);
    } else {
      this.held.add(connection);
      connection.hold();
    }
  }
}
