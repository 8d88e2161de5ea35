import type { EventName, EventPayload, MethodName, NotificationName, Request, Response, StreamItem } from './contract.js';
import { BerthError } from './berth-error.js';
import type { ServerMessage } from './wire.js';
import type { LinkStatus, WireLink } from './wire-link.js';

/** One event from the engine, typed by its name. */
export type EngineEvent = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];

export interface CallOptions<M extends MethodName> {
  onItem?: (item: StreamItem<M>) => void;
  /** Aborting sends a cancel; the engine then ends the call and it resolves as usual. */
  signal?: AbortSignal;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: BerthError): void;
  onItem: ((item: unknown) => void) | undefined;
}

/**
 * A typed client of the contract over any WireLink (the renderer's and the CLI's). Generic like the transports: a
 * method added to shared/contract.ts is callable here with its types, without code here.
 */
export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly eventListeners = new Set<(event: EngineEvent) => void>();
  private readonly statusListeners = new Set<(status: LinkStatus) => void>();

  constructor(private readonly link: WireLink) {
    link.onMessage((message) => this.receive(message));
    link.onStatus((status) => {
      if (status === 'open' && this.eventListeners.size > 0) link.send({ subscribe: true });
      if (status !== 'open') this.failPending();
      for (const listener of this.statusListeners) listener(status);
    });
  }

  get status(): LinkStatus {
    return this.link.status;
  }

  call<M extends MethodName>(method: M, params: Request<M>, options: CallOptions<M> = {}): Promise<Response<M>> {
    const id = this.nextId++;
    return new Promise<Response<M>>((resolve, reject) => {
      if (!this.link.send({ id, method, params })) {
        reject(new BerthError('ENGINE_NOT_RUNNING', 'not connected to the engine'));
        return;
      }
      const signal = options.signal;
      const cancel = () => this.pending.has(id) && this.link.send({ id, cancel: true });
      // The listener goes when the call settles: a client making many calls on one signal must not pile them up.
      const settled = () => signal?.removeEventListener('abort', cancel);
      this.pending.set(id, {
        resolve: (value: unknown) => {
          settled();
          (resolve as (value: unknown) => void)(value);
        },
        reject: (error: BerthError) => {
          settled();
          reject(error);
        },
        onItem: options.onItem as ((item: unknown) => void) | undefined,
      });
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /**
   * Sends a notification: the engine runs it in order with the calls and answers nothing, so its
   * errors are not seen here. False when not connected (it is dropped).
   */
  notify<M extends NotificationName>(method: M, params: Request<M>): boolean {
    return this.link.send({ notify: method, params });
  }

  /** Events from the engine; the subscription is renewed whenever the link reconnects. */
  onEvent(listener: (event: EngineEvent) => void): () => void {
    if (this.eventListeners.size === 0 && this.link.status === 'open') this.link.send({ subscribe: true });
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onStatus(listener: (status: LinkStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private receive(message: ServerMessage): void {
    if ('event' in message) {
      const event = { name: message.event, payload: message.payload } as EngineEvent;
      for (const listener of this.eventListeners) listener(event);
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
      call.reject(BerthError.fromInfo(message.error));
    }
  }

  private failPending(): void {
    for (const call of this.pending.values()) call.reject(new BerthError('ENGINE_NOT_RUNNING', 'the connection to the engine was lost'));
    this.pending.clear();
  }
}
