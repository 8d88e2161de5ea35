import type { EventName, EventPayload } from '../../shared/contract.js';
import type { Container } from '../../shared/containers.js';
import type { PortMapping } from '../../shared/ports.js';

/** One desktop notification: what happened to which container. */
export interface Alert {
  title: string;
  body: string;
  containerId: string;
}

/** At most one alert a container in this long: a container that fails and restarts over and over says so once. */
const QUIET_MS = 60_000;

/**
 * Decides what is worth a notification from the engine's events: a container that exits with a
 * non-zero code (or is OOM-killed) when nobody stopped, killed or removed it, and a port an
 * auto_remap moved. Knows nothing of Electron: `notify` shows the alert.
 */
export class ContainerAlerts {
  private readonly known = new Map<string, Container>();
  /** Containers someone asked to stop (a kill, a stop, a forced remove) since they last started. */
  private readonly asked = new Set<string>();
  /** `id port/proto host-port` of each remap already told. */
  private readonly toldPorts = new Set<string>();
  /** When each container last had an alert of each kind (`id exit`, `id port`). */
  private readonly lastAlert = new Map<string, number>();

  constructor(
    private readonly notify: (alert: Alert) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** What there is already: nothing about it is news. */
  seed(containers: readonly Container[]): void {
    for (const container of containers) {
      // An event that came first is newer than the list.
      if (this.known.has(container.id)) continue;
      this.known.set(container.id, container);
      for (const mapping of container.ports) if (mapping.source === 'auto_remap') this.toldPorts.add(portKey(container.id, mapping));
    }
  }

  take<E extends EventName>(name: E, payload: EventPayload<E>): void {
    if (name === 'containers.action') {
      const { action, id } = payload as EventPayload<'containers.action'>;
      if (action === 'kill' || action === 'stop') this.asked.add(id);
    } else if (name === 'containers.changed') {
      const { container, removedId } = payload as EventPayload<'containers.changed'>;
      if (container) this.changed(container);
      if (removedId) this.forget(removedId);
    }
  }

  private changed(container: Container): void {
    const before = this.known.get(container.id);
    this.known.set(container.id, container);
    const { state } = container;
    if (state.status === 'running' && before?.state.status !== 'running') this.asked.delete(container.id);
    const exited = before?.state.status === 'running' && (state.status === 'exited' || state.status === 'dead');
    if (exited && !this.asked.has(container.id) && (state.exitCode !== 0 || state.oomKilled)) {
      const lastLine = state.lastOutput.trim().split('\n').at(-1) ?? '';
      this.send('exit', {
        containerId: container.id,
        title: state.oomKilled ? `${container.name} ran out of memory` : `${container.name} exited with code ${state.exitCode}`,
        body: lastLine || `It was not stopped by you${container.spec.restart.name === 'no' ? '' : '; its restart policy may bring it back'}.`,
      });
    }
    for (const mapping of container.ports) {
      const key = portKey(container.id, mapping);
      if (mapping.source !== 'auto_remap' || this.toldPorts.has(key)) continue;
      this.toldPorts.add(key);
      this.send('port', {
        containerId: container.id,
        title: `${container.name}: port ${mapping.requestedHostPort ?? mapping.guestPort} was busy`,
        body: `Its ${mapping.guestPort}/${mapping.protocol} is on ${mapping.hostIp}:${mapping.hostPort} instead.`,
      });
    }
  }

  private send(kind: 'exit' | 'port', alert: Alert): void {
    const key = `${alert.containerId} ${kind}`;
    const last = this.lastAlert.get(key);
    if (last !== undefined && this.now() - last < QUIET_MS) return;
    this.lastAlert.set(key, this.now());
    this.notify(alert);
  }

  private forget(id: string): void {
    this.known.delete(id);
    this.asked.delete(id);
    const mine = (key: string) => key.startsWith(`${id} `);
    for (const key of [...this.lastAlert.keys()].filter(mine)) this.lastAlert.delete(key);
    for (const key of [...this.toldPorts].filter(mine)) this.toldPorts.delete(key);
  }
}

function portKey(id: string, mapping: PortMapping): string {
  return `${id} ${mapping.guestPort}/${mapping.protocol} ${mapping.hostPort}`;
}
