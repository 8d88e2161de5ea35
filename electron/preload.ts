import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ServerMessage } from '../shared/wire.js';
import { WIRE_CHANNEL, type WireBridge } from '../shared/wire.js';
import { OPEN_PAGE_CHANNEL, PICK_FOLDER_CHANNEL, type AppBridge } from '../shared/app-bridge.js';

// The page gets the contract's message channel, the folder picker and the pages the desktop opens, nothing else: no ipcRenderer,
// no Node, no events objects (they would leak the sender). Bundled to CommonJS (vite --mode preload): sandboxed
// preloads cannot load ES modules or other files.
const bridge: WireBridge = {
  send(message) {
    ipcRenderer.send(WIRE_CHANNEL, message);
  },
  onMessage(listener) {
    const forward = (_event: IpcRendererEvent, message: ServerMessage) => listener(message);
    ipcRenderer.on(WIRE_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(WIRE_CHANNEL, forward);
    };
  },
};

const app: AppBridge = {
  pickFolder: () => ipcRenderer.invoke(PICK_FOLDER_CHANNEL) as Promise<string | undefined>,
  onOpenPage(listener) {
    const forward = (_event: IpcRendererEvent, hash: string) => listener(String(hash));
    ipcRenderer.on(OPEN_PAGE_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(OPEN_PAGE_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('berth', bridge);
contextBridge.exposeInMainWorld('berthApp', app);
