import type { MenuItemConstructorOptions } from 'electron';
import type { HostStatus } from '../../shared/host-status.js';

export interface TrayState {
  /** Undefined until the engine says how it is. */
  host: HostStatus | undefined;
  running: number;
  total: number;
  keepRunningOnQuit: boolean;
}

export interface TrayActions {
  open(): void;
  quit(): void;
}

function engineLine(host: HostStatus | undefined): string {
  if (!host) return 'Engine starting';
  if (host.state === 'ready') return 'Engine running';
  if (host.state === 'importing') return `Setting up: ${host.progress?.step ?? host.message}`;
  return `Engine stopped: ${host.message}`;
}

/** The tray icon's hover text: the engine's state and what runs. */
export function trayTooltip(state: TrayState): string {
  return state.host?.state === 'ready' ? `Berth: ${state.running} running` : `Berth: ${engineLine(state.host)}`;
}

/** The tray icon's menu: the engine's state, what runs, open the window, quit (saying what becomes of the containers). */
export function trayMenu(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: engineLine(state.host), enabled: false },
    { label: `${state.running} of ${state.total} ${state.total === 1 ? 'container' : 'containers'} running`, enabled: false },
    { type: 'separator' },
    { label: 'Open Berth', click: () => actions.open() },
    { type: 'separator' },
    { label: state.keepRunningOnQuit || state.running === 0 ? 'Quit Berth' : 'Quit Berth and stop containers', click: () => actions.quit() },
  ];
}
