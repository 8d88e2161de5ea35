import { connect, type Socket } from 'node:net';
import type { EventName, EventPayload, MethodName, Request, Response, StreamItem } from '../../../shared/contract.js';
import { BerthError } from '../../../shared/berth-error.js';
import type { ErrorCode } from '../../../shared/errors.js';
import type { ServerMessage } from '../../../shared/wire.js';
import { LineFramer } from '../line-framer.js';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: BerthError): void;
  onItem: ((item: unknown) => void) | undefined;
}

/** A typed client of the engine's API socket (what the `berth` command uses). */
export class SocketClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly listeners = new Set<(name: EventName, payload: unknown) => void>();

  private constructor(private readonly socket: Socket) {
    const framer = new LineFramer(64 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const line of framer.push(chunk)) this.receive(JSON.parse(line) as ServerMessage);
    });
    socket.on('close', () => {
      for (const call of this.pending.values()) call.reject(new BerthError('ENGINE_NOT_RUNNING', 'the engine closed the connection'));
      this.pending.clear();
    });
    socket.on('error', () => {});
  }

  static connect(path: string): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new SocketClient(socket)));
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
        reject(
          missing
            ? new BerthError('ENGINE_NOT_RUNNING', `no Berth engine is running (no socket at ${path}): start the app or run \`berth serve\``)
            : new BerthError('INTERNAL', `cannot reach the engine at ${path}: ${err.message}`),
        );
      });
    });
  }

  call<M extends MethodName>(method: M, params: Request<M>, onItem?: (item: StreamItem<M>) => void): Promise<Response<M>> {
    const id = this.nextId++;
    return new Promise<Response<M>>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onItem: onItem as ((item: unknown) => void) | undefined,
      });
      this.socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  /** Asks the engine to end a streaming call (logs -f, stats); it then answers normally. */
  cancelAll(): void {
    for (const id of this.pending.keys()) this.socket.write(`${JSON.stringify({ id, cancel: true })}\n`);
  }

  subscribe<E extends EventName>(listener: (name: E, payload: EventPayload<E>) => void): void {
    if (this.listeners.size === 0) this.socket.write(`${JSON.stringify({ subscribe: true })}\n`);
    this.listeners.add(listener as (name: EventName, payload: unknown) => void);
  }

  close(): void {
    this.socket.end();
  }

  private receive(message: ServerMessage): void {
    if ('event' in message) {
      for (const listener of this.listeners) listener(message.event as EventName, message.payload);
      return;
    }
    const call = this.pending.get(message.id);
    if (!call) return;
    if ('item' in message) call.onItem?.(message.item);
    else if ('result' in message) {
      this.pending.delete(message.id);
      call.resolve(message.result);
    } else {
      this.pending.delete(message.id);
      // The engine is trusted; the client stays free of zod to start fast.
      const { code, message: text, detail } = message.error;
      call.reject(new BerthError(code as ErrorCode, String(text), detail));
    }
  }
}
