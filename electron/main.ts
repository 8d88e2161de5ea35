import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, session, shell, Tray } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPEN_PAGE_CHANNEL, PICK_FOLDER_CHANNEL } from '../shared/app-bridge.js';
import { BerthError } from '../shared/berth-error.js';
import { DesktopShell } from './desktop/desktop-shell.js';
import { configFromEnv, packageRoot } from './engine/engine-config.js';
import { serveIpc } from './transport/ipc/ipc-server.js';
import { serveEngine, type ServedEngine } from './transport/serve-engine.js';

// Composition only: the engine, its two transports (IPC for the window, the socket for `berth`),
// one locked-down window, and the tray with its notifications. Everything with behaviour lives in the
// modules imported above.

const RENDERER = new URL('../renderer/index.html', import.meta.url);
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const isExternal = (url: string) => /^https?:\/\//i.test(url);
const isRenderer = (url: string) => url.split(/[?#]/)[0] === RENDERER.href;
const CLIPBOARD_PERMISSIONS = new Set(['clipboard-read', 'clipboard-sanitized-write']);

/** The tray's icon: shipped beside the app when packaged, else the source tree's. */
const trayIcon = () => (app.isPackaged ? join(process.resourcesPath, 'tray.png') : join(packageRoot(), 'build', 'icons', '32x32.png'));

function openWindow(hash = ''): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Berth',
    width: 1280,
    height: 820,
    minWidth: 1100,
    minHeight: 560,
    show: false,
    // The page's own background, so the window does not flash white before it paints.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#0f1216' : '#f6f7f9',
    autoHideMenuBar: true,
    webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false },
  });
  // Port links open in the system browser; the window itself never navigates away from the app.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    event.preventDefault();
    if (isExternal(url)) void shell.openExternal(url);
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(RENDERER.href + hash);
  return window;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) return app.quit();
  // A packaged app carries the hello image next to itself, not in the source tree.
  if (app.isPackaged && !process.env.BERTH_RESOURCES) process.env.BERTH_RESOURCES = process.resourcesPath;
  await app.whenReady();
  // The terminal's copy and paste keys use the clipboard; nothing else is granted, and only to our own page.
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) =>
    callback(CLIPBOARD_PERMISSIONS.has(permission) && isRenderer(contents.getURL())),
  );

  // The window opens at once: while the host is made ready (the WSL distro imported or upgraded)
  // its status line shows each step, then the engine appears in it.
  let served: ServedEngine;
  try {
    served = await serveEngine(configFromEnv());
  } catch (err) {
    dialog.showErrorBox('Berth could not start its engine', BerthError.from(err).message);
    return app.quit();
  }
  const stopIpc = serveIpc(served.slot, ipcMain, isRenderer);
  // The Build pane's folder picker: the system's own dialog, over the window that asked.
  ipcMain.handle(PICK_FOLDER_CHANNEL, async (event) => {
    const owner = BrowserWindow.fromWebContents(event.sender);
    if (!owner || !isRenderer(event.senderFrame?.url ?? '')) return undefined;
    const picked = await dialog.showOpenDialog(owner, { properties: ['openDirectory'] });
    return picked.canceled ? undefined : picked.filePaths[0];
  });
  served.opening.catch((err: unknown) => {
    dialog.showErrorBox('Berth could not start its engine', BerthError.from(err).message);
    app.quit();
  });
  let window = openWindow();
  /** The window, opened again if it was closed, in front, at `hash` when given. */
  const openPage = (hash?: string) => {
    if (window.isDestroyed()) window = openWindow(hash);
    else if (hash) window.webContents.send(OPEN_PAGE_CHANNEL, hash);
    window.show();
    window.focus();
  };
  app.on('second-instance', () => openPage());
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = openWindow();
  });
  // Berth lives on in its tray with the window closed, so it can still say when a container dies.
  const desktop = new DesktopShell({ electron: { Tray, Menu, Notification }, host: served.slot, trayIcon: trayIcon(), openPage, quit: () => app.quit() });
  void desktop.start();
  app.on('window-all-closed', () => {});
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    closed = true;
    desktop.close();
    stopIpc();
    void served.stop().finally(() => app.quit());
  });
}

void main();
