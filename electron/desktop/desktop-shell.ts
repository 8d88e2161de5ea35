import { routeHash } from '../../shared/app-route.js';
import type { CallContext, ContractHost, EventName, EventPayload, ParsedRequest, Response } from '../../shared/contract.js';
import type { Container } from '../../shared/containers.js';
import type { HostStatus } from '../../shared/host-status.js';
import type { Settings } from '../../shared/settings.js';
import { ContainerAlerts, type Alert } from './container-alerts.js';
import { trayMenu, trayTooltip } from './tray-menu.js';

/** The parts of Electron the desktop shell uses: the real module in the app, a fake in its test. */
export type DesktopElectron = Pick<typeof import('electron'), 'Tray' | 'Menu' | 'Notification'>;

export interface DesktopOptions {
  electron: DesktopElectron;
  /** The engine (or the slot it will fill). */
  host: ContractHost;
  trayIcon: string;
  /** Shows the window, at a page of the app when a hash is given (`#/containers/ID/overview`). */
  openPage(hash?: string): void;
  quit(): void;
}

const NO_STREAM: CallContext<never> = { emit: () => true, drained: () => Promise.resolve(), signal: new AbortController().signal };

/**
 * What the app is beyond its window: a tray icon with the engine's state and a menu, and
 * notifications when a container exits unexpectedly or a port moves (when Settings allow).
 * Everything it shows comes from the engine's events.
 */
export class DesktopShell {
  private readonly tray: InstanceType<DesktopElectron['Tray']>;
  private readonly alerts: ContainerAlerts;
  private readonly containers = new Map<string, Container>();
  private host: HostStatus | undefined;
  private settings: Settings | undefined;
  private readonly listener = (name: EventName, payload: EventPayload<EventName>) => this.take(name, payload);

  constructor(private readonly options: DesktopOptions) {
    this.tray = new options.electron.Tray(options.trayIcon);
    this.tray.on('click', () => options.openPage());
    this.alerts = new ContainerAlerts((alert) => this.notify(alert));
    this.refresh();
  }

  /** Reads what is there now, then follows the events. Resolves once the engine has answered (or failed to). */
  async start(): Promise<void> {
    this.host = await this.ask('system.status', {});
    this.options.host.on('event', this.listener);
    this.refresh();
    try {
      const [settings, containers] = await Promise.all([this.ask('settings.get', {}), this.ask('containers.list', { all: true })]);
      this.settings ??= settings;
      for (const container of containers) if (!this.containers.has(container.id)) this.containers.set(container.id, container);
      this.alerts.seed(containers);
    } catch {
      // No engine (the host could not be made ready): the tray says so from the host's status.
    }
    this.refresh();
  }

  close(): void {
    this.options.host.off('event', this.listener);
    this.tray.destroy();
  }

  private take(name: EventName, payload: EventPayload<EventName>): void {
    this.alerts.take(name, payload);
    if (name === 'host.changed') this.host = payload as HostStatus;
    else if (name === 'settings.changed') this.settings = payload as Settings;
    else if (name === 'containers.changed') {
      const { container, removedId } = payload as EventPayload<'containers.changed'>;
      if (container) this.containers.set(container.id, container);
      if (removedId) this.containers.delete(removedId);
    } else return;
    this.refresh();
  }

  private refresh(): void {
    const all = [...this.containers.values()];
    const state = { host: this.host, running: all.filter((c) => c.state.status === 'running').length, total: all.length, keepRunningOnQuit: this.settings?.keepRunningOnQuit ?? false };
    const { Menu } = this.options.electron;
    this.tray.setToolTip(trayTooltip(state));
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenu(state, { open: () => this.options.openPage(), quit: () => this.options.quit() })));
  }

  private notify(alert: Alert): void {
    const { Notification } = this.options.electron;
    if (this.settings?.notifications === false || !Notification.isSupported()) return;
    const notification = new Notification({ title: alert.title, body: alert.body });
    notification.on('click', () => this.options.openPage(routeHash({ page: 'container', id: alert.containerId, tab: 'overview' })));
    notification.show();
  }

  private ask<M extends 'system.status' | 'settings.get' | 'containers.list'>(method: M, request: ParsedRequest<M>): Promise<Response<M>> {
    const handler = this.options.host.api[method] as (request: ParsedRequest<M>, context: CallContext<never>) => Promise<Response<M>>;
    return handler(request, NO_STREAM);
  }
}
