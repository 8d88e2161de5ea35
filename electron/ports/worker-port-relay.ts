import { Worker } from 'node:worker_threads';
import { BerthError } from '../../shared/berth-error.js';
import type { PortRelay, PortReservation } from './port-relay.js';
import type { PortPath } from '../host/host.js';
import type { RelayLimits } from './relay-limits.js';
import type { ReserveResult } from './relay-local.js';
import type { RelayReady, RelayReply, RelayRequest, RelayWorkerData } from './relay-messages.js';
import { relayWorkerFile } from './relay-worker-file.js';

/** Distributes Omit over the request union, so each op keeps its own fields. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface WorkerPortRelayOptions {
  limits?: Partial<RelayLimits>;
  /** The worker script; found by relayWorkerFile() when not given. */
  workerFile?: URL;
  /** Called once if the worker dies on its own (its ports are gone then); not called after close(). */
  onStopped?: (error: BerthError) => void;
}

interface Pending {
  resolve: (reply: RelayReply & { ok: true }) => void;
  reject: (error: BerthError) => void;
}

/**
 * The port relay the engine uses: its sockets live in a worker thread, so bulk traffic through
 * published ports never stalls the engine's main thread. The worker keeps the process alive only
 * while a call is under way; published ports do not outlive the engine that owns them.
 */
/** How long close() waits for the worker to close its sockets cleanly. */
const CLOSE_TIMEOUT_MS = 5_000;

export class WorkerPortRelay implements PortRelay {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: BerthError | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly onStopped: ((error: BerthError) => void) | undefined,
  ) {
    worker.on('message', (reply: RelayReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(`the port relay stopped: ${error.message}`));
    worker.on('exit', (code) => this.fail(`the port relay exited (code ${code})`));
    worker.unref();
  }

  static async start(options: WorkerPortRelayOptions = {}): Promise<WorkerPortRelay> {
    const workerData: RelayWorkerData = { limits: options.limits ?? {} };
    // execArgv: the host's flags (--input-type, a loader, --inspect) are not meant for this script.
    const worker = new Worker(options.workerFile ?? relayWorkerFile(), { workerData, name: 'port relay', execArgv: [] });
    let onMessage: (message: RelayReady) => void = () => {};
    let onError: (error: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (message) => (message.ready ? resolve() : reject(new Error('unexpected first message')));
        onError = reject;
        onExit = (code) => reject(new Error(`exited with code ${code}`));
        worker.once('message', onMessage).once('error', onError).once('exit', onExit);
      });
    } catch (error) {
      await worker.terminate();
      throw new BerthError('INTERNAL', `the port relay did not start: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      // Only these: Worker keeps listeners of its own (they ref its port while 'message' has listeners).
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    }
    return new WorkerPortRelay(worker, options.onStopped);
  }

  async reserve(owner: string, ports: PortReservation[]): Promise<ReserveResult> {
    const reply = await this.call({ op: 'reserve', owner, ports });
    if (!reply.reserved) throw new BerthError('INTERNAL', 'the port relay answered a reserve without its result');
    return reply.reserved;
  }

  async activate(owner: string, target: PortPath): Promise<void> {
    await this.call({ op: 'activate', owner, target });
  }

  async release(owner: string): Promise<void> {
    await this.call({ op: 'release', owner });
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    // Bounded: a worker that does not answer is terminated all the same, and its sockets go with it.
    if (!this.failure) {
      const closed = this.call({ op: 'close' }).catch(() => {});
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
    }
    this.failure ??= new BerthError('INTERNAL', 'the port relay is closed');
    await this.worker.terminate();
  }

  private call(request: Unnumbered<RelayRequest>): Promise<RelayReply & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as RelayRequest);
    });
  }

  private settle(reply: RelayReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) pending.resolve(reply);
    else pending.reject(new BerthError(reply.code, reply.message));
  }

  private fail(message: string): void {
    if (!this.failure) {
      this.failure = new BerthError('INTERNAL', message);
      if (!this.closing) this.onStopped?.(this.failure);
    }
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
