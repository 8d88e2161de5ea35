import type { AppBridge } from '../../shared/app-bridge.js';
import type { WireBridge } from '../../shared/wire.js';
import { ElectronLink } from './electron-link.js';
import { WebSocketLink } from './web-link.js';
import { WireClient } from '../../shared/wire-client.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    berth?: WireBridge;
    /** The desktop's folder picker, from the same preload. */
    berthApp?: AppBridge;
  }
}

/** True inside the desktop app, where links open in the system browser. */
export const inElectron = window.berth !== undefined;

/** The one engine client of this page: IPC in the app window, a WebSocket in browser mode. */
export const client = new WireClient(window.berth ? new ElectronLink(window.berth) : WebSocketLink.fromPage(window.location));
