import dgram from 'node:dgram';
import net from 'node:net';

/**
 * One client's datagrams to the container: a socket of its own towards the container, so replies
 * can be told apart and sent back to that client (from the published port).
 */
export class UdpFlow {
  private readonly socket: dgram.Socket;
  lastActive = Date.now();

  constructor(
    private readonly target: string,
    private readonly targetPort: number,
    reply: (message: Buffer) => void,
  ) {
    this.socket = dgram.createSocket(net.isIPv6(target) ? 'udp6' : 'udp4');
    this.socket.on('message', (message, from) => {
      // Unconnected (so sends can start before a bind completes): only the container's replies count.
      if (from.port !== targetPort || from.address !== target) return;
      this.lastActive = Date.now();
      reply(message);
    });
    // Send errors (the container not listening yet, a full buffer) lose a datagram, as UDP may.
    this.socket.on('error', () => {});
  }

  send(message: Buffer): void {
    this.lastActive = Date.now();
    this.socket.send(message, this.targetPort, this.target);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
