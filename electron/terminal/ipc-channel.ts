import type { Serializable } from 'node:child_process';
import { BerthError } from '../../shared/berth-error.js';
import type { ErrorInfo } from '../../shared/errors.js';

/** One end of a Node IPC channel: a forked child seen from the engine, or the engine seen from the child. */
export interface IpcEndpoint {
  send(message: Serializable): boolean;
  on(event: 'message', listener: (message: Serializable) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

/** Calls one side serves: each method's params and result. */
export type Methods = Record<string, { params: unknown; result: unknown }>;
/** Notifications one side hears: each one's params; no answer, run in the order sent. */
export type Notes = Record<string, unknown>;

export type Handlers<M extends Methods> = { [K in keyof M]: (params: M[K]['params']) => Promise<M[K]['result']> };
export type NoteHandlers<N extends Notes> = { [K in keyof N]: (params: N[K]) => void };

type Message =
  | { kind: 'call'; id: number; method: string; params: unknown }
  | { kind: 'reply'; id: number; result?: unknown; error?: ErrorInfo }
  | { kind: 'note'; method: string; params: unknown };

interface Pending {
  resolve(result: unknown): void;
  reject(error: BerthError): void;
}

/**
 * Typed calls and notifications both ways between two of Berth's own processes, over the IPC channel
 * Node gives a forked child. Both ends are Berth, built together: messages are trusted as typed.
 * `Calls`/`Sent` are what this end asks of the other; `Served`/`Heard` what it answers.
 */
export class IpcChannel<Calls extends Methods, Sent extends Notes, Served extends Methods, Heard extends Notes> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly served: Handlers<Served>,
    private readonly heard: NoteHandlers<Heard>,
    onClose: () => void = () => {},
  ) {
    endpoint.on('message', (message) => this.receive(message as Message));
    endpoint.on('disconnect', () => {
      this.closed = true;
      for (const call of this.pending.values()) call.reject(new BerthError('INTERNAL', 'the terminal host went away'));
      this.pending.clear();
      onClose();
    });
  }

  call<K extends keyof Calls & string>(method: K, params: Calls[K]['params']): Promise<Calls[K]['result']> {
    if (this.closed) return Promise.reject(new BerthError('INTERNAL', 'the terminal host went away'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.post({ kind: 'call', id, method, params });
    });
  }

  notify<K extends keyof Sent & string>(method: K, params: Sent[K]): void {
    this.post({ kind: 'note', method, params });
  }

  private post(message: Message): void {
    if (!this.closed) this.endpoint.send(message as Serializable);
  }

  private receive(message: Message): void {
    if (message.kind === 'reply') {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) call?.reject(BerthError.fromInfo(message.error));
      else call?.resolve(message.result);
    } else if (message.kind === 'note') {
      try {
        this.heard[message.method as keyof Heard]?.(message.params as Heard[keyof Heard]);
      } catch {
        // A note has no answer to carry an error, and must not end the process: a key for a session
        // that ended a moment ago is dropped, as the engine drops it.
      }
    } else {
      const { id } = message;
      const handler = this.served[message.method as keyof Served];
      const answer = handler ? handler(message.params as Served[keyof Served]['params']) : Promise.reject(new BerthError('UNKNOWN_METHOD', `unknown call "${message.method}"`));
      answer.then(
        (result) => this.post({ kind: 'reply', id, result }),
        (error: unknown) => this.post({ kind: 'reply', id, error: BerthError.from(error).toInfo() }),
      );
    }
  }
}
