import net from 'node:net';
import { adoptAcceptedSocket } from './relay-accepted-socket.js';
import type { RelayLimits } from './relay-limits.js';
import { OneWay } from './relay-one-way.js';
import { ReadBuffer, type ReadBufferBudget } from './relay-read-buffer.js';

export interface TcpConnectionContext {
  limits: RelayLimits;
  budget: ReadBufferBudget;
}

/**
 * One client connection on a published TCP port and its leg to the container. Until `connect`, the
 * client is held: what it sends is kept (bounded), and a client that resets is dropped. Then both
 * legs relay with half-close: a FIN from either side is passed on as a FIN, and the other direction
 * goes on. An error on either side resets the other.
 */
export class TcpConnection {
  private readonly client: net.Socket;
  private upstream: net.Socket | undefined;
  private readonly toContainer: OneWay;
  private readonly toClient: OneWay;
  private readonly clientBuffer: ReadBuffer;
  private readonly upstreamBuffer: ReadBuffer;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private clientEnded = false;
  private clientClosed = false;
  private upstreamClosed = true;
  private gone = false;

  constructor(
    accepted: net.Socket,
    private readonly context: TcpConnectionContext,
    private readonly onGone: (connection: TcpConnection) => void,
  ) {
    this.clientBuffer = new ReadBuffer(context.limits, context.budget);
    this.upstreamBuffer = new ReadBuffer(context.limits, context.budget);
    this.toContainer = new OneWay(this.clientBuffer, (chunk) => this.keep(chunk), () => this.destroy());
    this.toClient = new OneWay(this.upstreamBuffer, () => false, () => this.destroy());
    const client = adoptAcceptedSocket(accepted, this.toContainer.onread);
    this.client = client;
    this.toContainer.source = client;
    this.toClient.sink = client;
    client.setNoDelay(true);
    client.on('end', () => {
      this.clientEnded = true;
      this.upstream?.end();
    });
    client.on('error', () => reset(this.upstream));
    client.on('close', () => {
      this.clientClosed = true;
      // A leg that closed before the other had finished sending: the relay is over.
      if (!this.client.readableEnded) reset(this.upstream);
      this.settle();
    });
  }

  /** Reads what the client sends until `connect`; reading is how a client that resets is noticed. */
  hold(): void {
    this.client.resume();
  }

  connect(host: string, port: number): void {
    if (this.upstream || this.gone) return;
    this.upstreamClosed = false;
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true, onread: this.toClient.onread });
    this.upstream = upstream;
    this.toClient.source = upstream;
    upstream.once('connect', () => {
      for (const chunk of this.held) upstream.write(chunk);
      this.held = [];
      this.heldBytes = 0;
      if (this.clientEnded) upstream.end();
      this.toContainer.sink = upstream;
      if (!this.clientEnded && !this.client.destroyed) this.client.resume();
    });
    upstream.on('end', () => this.client.end());
    upstream.on('error', () => reset(this.client));
    upstream.on('close', () => {
      this.upstreamClosed = true;
      if (!upstream.readableEnded) reset(this.client);
      this.settle();
    });
  }

  /** Closes both legs (FIN, not reset): the port is being released. */
  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  private keep(chunk: Uint8Array): boolean {
    this.held.push(Buffer.from(chunk));
    this.heldBytes += chunk.length;
    return this.heldBytes < this.context.limits.heldBytesPerConnection;
  }

  private settle(): void {
    if (this.gone || !this.clientClosed || !this.upstreamClosed) return;
    this.gone = true;
    this.held = [];
    this.clientBuffer.release();
    this.upstreamBuffer.release();
    this.onGone(this);
  }
}

/** Passes an abort on as a TCP reset, as the peer would have seen from the container or client. */
function reset(socket: net.Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
