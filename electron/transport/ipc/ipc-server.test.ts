import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../../../e2e/fixtures/browser.js';
import { APP_URL, FakeIpcMain, FakeWindow } from '../../../e2e/fixtures/fake-ipc.js';
import type { ServerMessage } from '../../../shared/wire.js';
import { serveIpc } from './ipc-server.js';

/** A fake window that keeps what it is sent. */
function recordingWindow(): FakeWindow & { received: ServerMessage[] } {
  const received: ServerMessage[] = [];
  return Object.assign(new FakeWindow((message) => received.push(message)), { received });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

function setUp() {
  let aborted = 0;
  const engine = new FakeEngine({
    'images.list': async () => [],
    'containers.stats': async (_request, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      aborted++;
      return [];
    },
  });
  const ipcMain = new FakeIpcMain();
  const stop = serveIpc(engine, ipcMain, (url) => url === APP_URL);
  return { engine, ipcMain, stop, aborted: () => aborted };
}

describe('Electron IPC transport', () => {
  it('answers calls from the app page through the contract', async () => {
    const { ipcMain } = setUp();
    const window = recordingWindow();
    ipcMain.deliver(window, { id: 1, method: 'images.list', params: {} });
    await settle();
    expect(window.received).toEqual([{ id: 1, result: [] }]);
  });

  it('answers a malformed payload with an error and keeps working', async () => {
    const { ipcMain } = setUp();
    const window = recordingWindow();
    ipcMain.deliver(window, 'rm -rf /');
    ipcMain.deliver(window, { id: 2, method: 'containers.remove', params: { id: ['x'] } });
    ipcMain.deliver(window, { id: 3, method: '__proto__', params: {} });
    ipcMain.deliver(window, { id: 4, method: 'images.list' });
    await settle();
    expect(window.received).toEqual([
      { id: 0, error: expect.objectContaining({ code: 'INVALID_ARGUMENT' }) },
      { id: 2, error: expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('id') }) },
      { id: 3, error: expect.objectContaining({ code: 'UNKNOWN_METHOD' }) },
      { id: 4, result: [] },
    ]);
  });

  it('ignores messages from any page but the app', async () => {
    const { ipcMain } = setUp();
    const window = recordingWindow();
    ipcMain.deliver(window, { id: 1, method: 'images.list', params: {} }, 'http://127.0.0.1:8080/');
    await settle();
    expect(window.received).toEqual([]);
  });

  it('sends events only to subscribed windows', async () => {
    const { engine, ipcMain } = setUp();
    const listening = recordingWindow();
    const quiet = recordingWindow();
    ipcMain.deliver(listening, { subscribe: true });
    ipcMain.deliver(quiet, { id: 1, method: 'images.list', params: {} });
    await settle();
    engine.emitEvent('containers.changed', { removedId: 'abc' });
    expect(listening.received).toEqual([{ event: 'containers.changed', payload: { removedId: 'abc' } }]);
    expect(quiet.received).toEqual([{ id: 1, result: [] }]);
  });

  it('ends a window’s calls and events when it reloads or closes', async () => {
    const { engine, ipcMain, aborted } = setUp();
    const window = recordingWindow();
    ipcMain.deliver(window, { subscribe: true });
    ipcMain.deliver(window, { id: 1, method: 'containers.stats', params: { stream: true } });
    await settle();
    window.emit('did-navigate');
    await settle();
    expect(aborted()).toBe(1);
    expect(engine.listenerCount('event')).toBe(0);
    ipcMain.deliver(window, { subscribe: true });
    ipcMain.deliver(window, { id: 1, method: 'containers.stats', params: { stream: true } });
    await settle();
    window.destroyed = true;
    window.emit('destroyed');
    await settle();
    expect(aborted()).toBe(2);
    expect(engine.listenerCount('event')).toBe(0);
  });
});
