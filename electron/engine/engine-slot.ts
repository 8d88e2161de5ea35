import { EventEmitter } from 'node:events';
import { BerthError } from '../../shared/berth-error.js';
import { contract, type Api, type CallContext, type ContractEvents, type ContractHost, type EventName, type EventPayload, type MethodName } from '../../shared/contract.js';
import { hostStatusLine, type HostStatus } from '../../shared/host-status.js';

type Handler = (request: unknown, context: CallContext<unknown>) => Promise<unknown>;

/**
 * What the transports serve from the moment the app starts. While the host is being made ready (the
 * WSL distro imported or upgraded) it answers `system.status`, and other calls wait for the engine;
 * once the engine is in, it passes everything on. If the host cannot be made ready, calls fail with
 * the reason and its fix. Clients hear each step as `host.changed`, so a window shows the
 * bootstrap's progress and then the engine, without a reload.
 */
export class EngineSlot extends EventEmitter<ContractEvents> implements ContractHost {
  readonly api: Api;
  private engine: ContractHost | undefined;
  private failed = false;
  /** Calls waiting for the engine: resolved by attach, rejected by fail. */
  private readonly waiting = new Set<{ resolve(): void; reject(error: BerthError): void }>();
  private readonly forward = (name: EventName, payload: EventPayload<EventName>) => this.emit('event', name, payload);

  /** A slot for an engine about to be opened on a host of this kind. */
  static starting(kind: HostStatus['kind']): EngineSlot {
    return new EngineSlot({ kind, state: 'importing', message: 'Starting Berth', progress: { step: 'Starting', fraction: 0 } });
  }

  constructor(private status: HostStatus) {
    super();
    const handlers: Record<string, Handler> = {};
    for (const name of Object.keys(contract) as MethodName[]) handlers[name] = (request, context) => this.call(name, request, context);
    this.api = handlers as unknown as Api;
  }

  get current(): HostStatus {
    return this.status;
  }

  setStatus(status: HostStatus): void {
    this.status = status;
    this.emit('event', 'host.changed', status);
  }

  /** From now on every call goes to the engine, and its events to the clients. */
  attach(engine: ContractHost, status: HostStatus): void {
    this.engine = engine;
    engine.on('event', this.forward);
    this.setStatus(status);
    for (const waiter of [...this.waiting]) waiter.resolve();
  }

  /** The host cannot be made ready: `status` says why, and every call is refused with it. */
  fail(status: HostStatus): void {
    this.failed = true;
    this.setStatus(status);
    for (const waiter of [...this.waiting]) waiter.reject(this.notReady());
  }

  /** Stops passing calls on (the engine is closing); calls then wait as during start-up. */
  detach(): void {
    this.engine?.off('event', this.forward);
    this.engine = undefined;
  }

  private async call(name: MethodName, request: unknown, context: CallContext<unknown>): Promise<unknown> {
    if (name === 'system.status') return this.status;
    if (!this.engine) await this.ready(context.signal);
    return (this.engine!.api[name] as Handler)(request, context);
  }

  /** Waits for attach; a caller that goes away stops waiting. */
  private ready(signal: AbortSignal): Promise<void> {
    if (this.failed || signal.aborted) return Promise.reject(this.notReady());
    return new Promise((resolve, reject) => {
      const settle = (error?: BerthError) => {
        signal.removeEventListener('abort', gone);
        this.waiting.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const waiter = { resolve: () => settle(), reject: (error: BerthError) => settle(error) };
      const gone = () => settle(this.notReady());
      signal.addEventListener('abort', gone, { once: true });
      this.waiting.add(waiter);
    });
  }

  private notReady(): BerthError {
    return new BerthError('HOST_NOT_READY', hostStatusLine(this.status), { detail: this.status });
  }
}
