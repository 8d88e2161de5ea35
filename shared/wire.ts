import { z } from 'zod';
import { ErrorInfo } from './errors.js';

/**
 * Messages every stream transport (the CLI socket, the browser's WebSocket) carries, one JSON
 * object per message. Calls are matched to their answers by id; events carry no id. A notification
 * (`notify`) is a call that wants no answer: see `notifications` in contract.ts.
 */
export const ClientMessage = z.union([
  z.object({ id: z.number().int().positive(), method: z.string().max(128), params: z.unknown().optional() }),
  z.object({ notify: z.string().max(128), params: z.unknown().optional() }),
  z.object({ id: z.number().int().positive(), cancel: z.literal(true) }),
  z.object({ subscribe: z.literal(true) }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export type ServerMessage =
  | { id: number; item: unknown }
  | { id: number; result: unknown }
  | { id: number; error: ErrorInfo }
  | { event: string; payload: unknown };

/** The one Electron IPC channel: these messages both ways, like the WebSocket in browser mode. */
export const WIRE_CHANNEL = 'berth:wire';

/**
 * What the preload script exposes to the page as `window.berth`, and all it exposes: a way to send
 * contract messages and to hear the answers. The main process validates everything that arrives.
 */
export interface WireBridge {
  send(message: ClientMessage): void;
  /** Returns a function that stops listening. */
  onMessage(listener: (message: ServerMessage) => void): () => void;
}
