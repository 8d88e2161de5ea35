import { connect, type Socket } from 'node:net';
import type { MethodName, NotificationName, Request, Response, StreamItem } from '../../../shared/contract.js';
import { BerthError } from '../../../shared/berth-error.js';
import type { ClientMessage, ServerMessage } from '../../../shared/wire.js';
import { WireClient } from '../../../shared/wire-client.js';
import type { LinkStatus, WireLink } from '../../../shared/wire-link.js';
import { LineFramer } from '../line-framer.js';

/** The wire messages as JSON lines over the engine's UNIX socket. */
class SocketLink implements WireLink {
  status: LinkStatus = 'open';
  private readonly messageListeners: ((message: ServerMessage) => void)[] = [];
  private readonly statusListeners: ((status: LinkStatus) => void)[] = [];

  constructor(private readonly socket: Socket) {
    const framer = new LineFramer(64 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const line of framer.push(chunk)) {
        const message = JSON.parse(line) as ServerMessage;
        for (const listener of this.messageListeners) listener(message);
      }
    });
    socket.on('close', () => {
      this.status = 'closed';
      for (const listener of this.statusListeners) listener('closed');
    });
    socket.on('error', () => {});
  }

  send(message: ClientMessage): boolean {
    if (this.status !== 'open') return false;
    this.socket.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  onMessage(listener: (message: ServerMessage) => void): void {
    this.messageListeners.push(listener);
  }

  onStatus(listener: (status: LinkStatus) => void): void {
    this.statusListeners.push(listener);
  }
}

/** Connects to one of the engine's sockets; says plainly when no engine is there. */
export function connectToEngine(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(
        missing
          ? new BerthError('ENGINE_NOT_RUNNING', `no Berth engine is running (no socket at ${path})`, { fix: 'start the app or run `berth serve`' })
          : new BerthError('INTERNAL', `cannot reach the engine at ${path}: ${err.message}`),
      );
    });
  });
}

/** A typed client of the engine's API socket (what the `berth` command uses). */
export class SocketClient {
  private readonly client: WireClient;
  /** Aborted by cancelAll: every streaming call then asks the engine to end it. */
  private readonly calls = new AbortController();

  private constructor(private readonly socket: Socket) {
    this.client = new WireClient(new SocketLink(socket));
  }

  static async connect(path: string): Promise<SocketClient> {
    return new SocketClient(await connectToEngine(path));
  }

  call<M extends MethodName>(method: M, params: Request<M>, onItem?: (item: StreamItem<M>) => void): Promise<Response<M>> {
    return this.client.call(method, params, { onItem, signal: this.calls.signal });
  }

  /** A call that wants no answer (see `notifications` in the contract); false when not connected. */
  notify<M extends NotificationName>(method: M, params: Request<M>): boolean {
    return this.client.notify(method, params);
  }

  /** Asks the engine to end every streaming call (logs -f, stats); they then answer normally. */
  cancelAll(): void {
    this.calls.abort();
  }

  close(): void {
    this.socket.end();
  }
}
