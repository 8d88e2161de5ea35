import dgram from 'node:dgram';
import net from 'node:net';
import type { RelayEndpoint } from './port-relay.js';
import type { RelayLimits } from './relay-limits.js';
import { UdpFlow } from './relay-udp-flow.js';

interface Queued {
  message: Buffer;
  address: string;
  port: number;
}

/**
 * A published UDP port. Each client address:port gets a flow to the container; flows idle for too
 * long are closed, and their number is bounded. Datagrams that arrive before the container is
 * there are queued (bounded) and sent once it is.
 */
export class UdpListener {
  private readonly flows = new Map<string, UdpFlow>();
  private queued: Queued[] = [];
  private queuedBytes = 0;
  /** Set by activate: where datagrams go. */
  private target: RelayEndpoint | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  readonly protocol = 'udp';

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
    readonly guestPort: number,
    private readonly limits: RelayLimits,
  ) {
    socket.on('message', (message, from) => this.receive(message, from.address, from.port));
    socket.on('error', () => {});
    this.sweeper = setInterval(() => this.sweep(), limits.udpSweepMs);
    this.sweeper.unref();
  }

  /** Binds hostIp:hostPort; rejects with the system error (EADDRINUSE...) if it cannot. */
  static bind(hostIp: string, hostPort: number, guestPort: number, limits: RelayLimits): Promise<UdpListener> {
    const ipv6 = net.isIPv6(hostIp);
    const socket = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4', ipv6Only: ipv6 });
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        try {
          socket.close();
        } catch {
          // a failed bind may leave nothing to close
        }
        reject(error);
      };
      socket.once('error', fail);
      socket.bind({ address: hostIp, port: hostPort, exclusive: true }, () => {
        socket.off('error', fail);
        resolve(new UdpListener(socket, socket.address().port, guestPort, limits));
      });
    });
  }

  /** Starts forwarding to `to` (the endpoint the host's path gives for this port). */
  activate(to: RelayEndpoint): void {
    if (this.target?.address !== to.address || this.target.port !== to.port) this.closeFlows();
    this.target = to;
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    for (const datagram of queued) this.receive(datagram.message, datagram.address, datagram.port);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearInterval(this.sweeper);
    this.closeFlows();
    this.queued = [];
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(message: Buffer, address: string, port: number): void {
    if (this.closed) return;
    if (this.target === undefined) {
      const limits = this.limits;
      if (this.queued.length >= limits.queuedDatagramsPerPort || this.queuedBytes + message.length > limits.queuedBytesPerPort) return;
      this.queued.push({ message, address, port });
      this.queuedBytes += message.length;
      return;
    }
    const key = `${port}/${address}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      if (this.flows.size >= this.limits.udpFlowsPerPort) this.evictLeastRecent();
      flow = new UdpFlow(this.target.address, this.target.port, (reply) => {
        if (!this.closed) this.socket.send(reply, port, address);
      });
      this.flows.set(key, flow);
    }
    flow.send(message);
  }

  private sweep(): void {
    const oldest = Date.now() - this.limits.udpFlowIdleMs;
    for (const [key, flow] of this.flows) {
      if (flow.lastActive >= oldest) continue;
      flow.close();
      this.flows.delete(key);
    }
  }

  private evictLeastRecent(): void {
    let leastKey: string | undefined;
    let least = Infinity;
    for (const [key, flow] of this.flows) {
      if (flow.lastActive < least) {
        least = flow.lastActive;
        leastKey = key;
      }
    }
    if (leastKey === undefined) return;
    this.flows.get(leastKey)?.close();
    this.flows.delete(leastKey);
  }

  private closeFlows(): void {
    for (const flow of this.flows.values()) flow.close();
    this.flows.clear();
  }
}
