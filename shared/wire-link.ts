import type { ClientMessage, ServerMessage } from './wire.js';

export type LinkStatus = 'connecting' | 'open' | 'closed';

/** Something that carries shared/wire.ts messages to the engine: a WebSocket, Electron's IPC bridge, the CLI socket. */
export interface WireLink {
  readonly status: LinkStatus;
  /** False when the link is not open; the message is dropped. */
  send(message: ClientMessage): boolean;
  onMessage(listener: (message: ServerMessage) => void): void;
  onStatus(listener: (status: LinkStatus) => void): void;
}
