import type { ServerMessage } from '../../../shared/wire.js';
import type { ContractHost } from '../../../shared/contract.js';
import { openWireSession, type WireSession } from '../wire-session.js';
import { WIRE_CHANNEL } from '../../../shared/wire.js';

/** The parts of Electron's WebContents the transport uses (so it can be tested without Electron). */
export interface IpcSender {
  readonly id: number;
  send(channel: string, message: ServerMessage): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
  on(event: 'did-navigate', listener: () => void): unknown;
}

export interface IpcEvent {
  readonly sender: IpcSender;
  readonly senderFrame: { readonly url: string } | null;
}

/** The parts of Electron's ipcMain the transport uses. */
export interface IpcMainLike {
  on(channel: string, listener: (event: IpcEvent, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEvent, message: unknown) => void): unknown;
}

/**
 * The contract over Electron IPC: one channel, shared/wire.ts messages, one session per window.
 * Messages from frames other than our own renderer are dropped; each message is validated by the
 * session and each call's params by dispatch(), so a malformed payload earns an error, not a crash.
 * Returns a function that stops serving.
 */
export function serveIpc(host: ContractHost, ipcMain: IpcMainLike, isTrustedUrl: (url: string) => boolean): () => void {
  const sessions = new Map<number, WireSession>();

  const watched = new Set<number>();

  const end = (senderId: number) => {
    sessions.get(senderId)?.close();
    sessions.delete(senderId);
  };

  const sessionOf = (sender: IpcSender): WireSession => {
    const existing = sessions.get(sender.id);
    if (existing) return existing;
    // Electron queues IPC messages itself and offers no back-pressure signal, so the carrier never reports one.
    const session = openWireSession(host, {
      send(message) {
        if (!sender.isDestroyed()) sender.send(WIRE_CHANNEL, message);
        return true;
      },
      drained: () => Promise.resolve(),
    });
    sessions.set(sender.id, session);
    if (!watched.has(sender.id)) {
      watched.add(sender.id);
      sender.once('destroyed', () => {
        watched.delete(sender.id);
        end(sender.id);
      });
      // A reload keeps the WebContents but not the page: the page's calls and subscription end with it.
      sender.on('did-navigate', () => end(sender.id));
    }
    return session;
  };

  const listener = (event: IpcEvent, message: unknown) => {
    const url = event.senderFrame?.url;
    if (url === undefined || !isTrustedUrl(url)) return;
    sessionOf(event.sender).receive(message);
  };
  ipcMain.on(WIRE_CHANNEL, listener);
  return () => {
    ipcMain.removeListener(WIRE_CHANNEL, listener);
    for (const session of sessions.values()) session.close();
    sessions.clear();
  };
}
