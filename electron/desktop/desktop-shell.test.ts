import type { Server } from 'node:net';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEngine, engineCaller, waitFor } from '../../e2e/fixtures/engine-client.js';
import { closeServer, holdPort } from '../../e2e/fixtures/ports.js';
import { makeTestEngineEnv, type TestEngineEnv } from '../../e2e/fixtures/test-engine.js';
import type { Engine } from '../engine/engine.js';
import { DesktopShell, type DesktopElectron } from './desktop-shell.js';

// The tray and the notifications against a real engine, with Electron faked (its binary cannot be
// had on these machines): what the tray shows and what is notified come from real containers' events.

class FakeTray {
  static last: FakeTray;
  tooltip = '';
  menu: MenuItemConstructorOptions[] = [];
  destroyed = false;
  readonly clicks: (() => void)[] = [];
  constructor(readonly icon: string) {
    FakeTray.last = this;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setContextMenu(menu: { template: MenuItemConstructorOptions[] }) {
    this.menu = menu.template;
  }
  on(event: string, listener: () => void) {
    if (event === 'click') this.clicks.push(listener);
    return this;
  }
  destroy() {
    this.destroyed = true;
  }
  labels(): string[] {
    return this.menu.filter((item) => item.label).map((item) => item.label!);
  }
  choose(label: string): void {
    const item = this.menu.find((entry) => entry.label === label);
    if (!item?.click) throw new Error(`no menu item "${label}" in ${this.labels().join(' | ')}`);
    (item.click as () => void)();
  }
}

class FakeNotification {
  static shown: FakeNotification[] = [];
  static supported = true;
  private click: (() => void) | undefined;
  constructor(readonly options: { title: string; body: string }) {}
  static isSupported() {
    return FakeNotification.supported;
  }
  on(event: string, listener: () => void) {
    if (event === 'click') this.click = listener;
    return this;
  }
  show() {
    FakeNotification.shown.push(this);
  }
  clickIt() {
    this.click?.();
  }
}

const fakeElectron = {
  Tray: FakeTray,
  Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => ({ template }) },
  Notification: FakeNotification,
} as unknown as DesktopElectron;

describe('the desktop shell: tray and notifications (Electron faked, engine real)', { timeout: 120_000 }, () => {
  let env: TestEngineEnv;
  let engine: Engine;
  let call: ReturnType<typeof engineCaller>;
  let shell: DesktopShell;
  const opened: (string | undefined)[] = [];
  let quits = 0;
  const titles = () => FakeNotification.shown.map((n) => n.options.title);

  beforeAll(async () => {
    env = await makeTestEngineEnv();
    engine = await env.openEngine();
    call = engineCaller(engine);
    // One that ran before the shell started: its exit is old news.
    await call('containers.run', { image: 'hello', name: 'before', cmd: ['sh', '-c', 'exit 4'], autoExpose: false });
    await waitFor('before to exit', () => call('containers.inspect', { id: 'before' }), (c) => c.state.status === 'exited');
    shell = new DesktopShell({ electron: fakeElectron, host: engine, trayIcon: '/icons/tray.png', openPage: (hash) => opened.push(hash), quit: () => quits++ });
    await shell.start();
  });

  afterAll(async () => {
    shell?.close();
    if (engine) await closeTestEngine(engine);
    await env?.cleanup();
  });

  it('shows the engine and what runs in the tray, opens the window and quits from its menu', async () => {
    const tray = FakeTray.last;
    expect(tray.icon).toBe('/icons/tray.png');
    expect(tray.labels()).toEqual(['Engine running', '0 of 1 container running', 'Open Berth', 'Quit Berth']);
    expect(tray.tooltip).toBe('Berth: 0 running');

    await call('containers.run', { image: 'hello', name: 'sleeper', cmd: ['sleep', '300'], autoExpose: false });
    await waitFor('the tray to count it', async () => tray.labels(), (labels) => labels[1] === '1 of 2 containers running');
    expect(tray.labels().at(-1)).toBe('Quit Berth and stop containers');
    await call('settings.set', { keepRunningOnQuit: true });
    await waitFor('the quit item to follow the setting', async () => tray.labels(), (labels) => labels.at(-1) === 'Quit Berth');
    await call('settings.set', { keepRunningOnQuit: false });

    tray.choose('Open Berth');
    tray.clicks.forEach((click) => click());
    expect(opened).toEqual([undefined, undefined]);
    tray.choose('Quit Berth and stop containers');
    expect(quits).toBe(1);
    expect(titles()).toEqual([]);
  });

  it('notifies a container that exits with an error on its own, with its last line, and a click opens its page', async () => {
    const crashed = await call('containers.run', { image: 'hello', name: 'crasher', cmd: ['sh', '-c', 'echo lost the database >&2; exit 3'], autoExpose: false });
    await waitFor('the notification', async () => titles(), (shown) => shown.includes('crasher exited with code 3'));
    const notification = FakeNotification.shown.find((n) => n.options.title === 'crasher exited with code 3')!;
    expect(notification.options.body).toBe('lost the database');
    notification.clickIt();
    expect(opened.at(-1)).toBe(`#/containers/${crashed.id}/overview`);
  });

  it('says nothing of a clean exit, a stop, a kill or a forced remove', async () => {
    const before = titles().length;
    await call('containers.run', { image: 'hello', name: 'clean', cmd: ['true'], autoExpose: false });
    await call('containers.stop', { id: 'sleeper', timeout: 1 });
    await call('containers.start', { id: 'sleeper' });
    await call('containers.kill', { id: 'sleeper', signal: 'KILL' });
    await call('containers.run', { image: 'hello', name: 'doomed', cmd: ['sleep', '300'], autoExpose: false });
    await call('containers.remove', { id: 'doomed', force: true });
    await waitFor('clean to exit', () => call('containers.inspect', { id: 'clean' }), (c) => c.state.status === 'exited');
    // A crash after them is still told, so the silence above is not a slow event stream.
    await call('containers.run', { image: 'hello', name: 'marker', cmd: ['sh', '-c', 'exit 9'], autoExpose: false });
    await waitFor('the marker', async () => titles(), (shown) => shown.includes('marker exited with code 9'));
    expect(titles().slice(before)).toEqual(['marker exited with code 9']);
  });

  it('notifies a port that an auto_remap moved, and nothing once Settings turn notifications off', async () => {
    let busy: Server | undefined = await holdPort(env.publishIp, 80);
    try {
      const moved = await call('containers.run', { image: 'hello', name: 'remapped', cmd: ['sleep', '300'] });
      const mapping = moved.ports.find((p) => p.source === 'auto_remap');
      expect(mapping).toBeDefined();
      await waitFor('the port notification', async () => titles(), (shown) => shown.includes('remapped: port 80 was busy'));
      expect(FakeNotification.shown.at(-1)?.options.body).toBe(`Its 80/tcp is on ${env.publishIp}:${mapping!.hostPort} instead.`);

      await call('settings.set', { notifications: false });
      await call('containers.remove', { id: 'remapped', force: true });
      const before = titles().length;
      await call('containers.run', { image: 'hello', name: 'quiet-crash', cmd: ['sh', '-c', 'exit 5'], autoExpose: false });
      await call('containers.run', { image: 'hello', name: 'remapped-again', cmd: ['sleep', '300'] });
      await waitFor('quiet-crash to exit', () => call('containers.inspect', { id: 'quiet-crash' }), (c) => c.state.status === 'exited');
      expect(titles().slice(before)).toEqual([]);
      await closeServer(busy);
      busy = undefined;
    } finally {
      if (busy) await closeServer(busy);
      await call('settings.set', { notifications: true });
    }
  });

  it('leaves the tray when it closes', () => {
    shell.close();
    expect(FakeTray.last.destroyed).toBe(true);
  });
});
