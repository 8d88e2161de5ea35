import { ATTACH_WINDOW_BYTES } from './terminal-host-protocol.js';
import type { SessionTable } from './session-table.js';

interface Stream {
  detach: AbortController;
  /** Output sent and not yet acknowledged. */
  inFlight: number;
  /** Resolves the wait for room, if the session waits. */
  room?: () => void;
}

/**
 * The terminal host's side of the engine's attaches (the app's, the web page's, the Docker API's
 * clients), which arrive over IPC: each streams output as `send` notes, at most ATTACH_WINDOW_BYTES
 * ahead of the engine's acknowledgements, so a slow reader there pauses the session as one here does.
 */
export class RelayedAttaches {
  private readonly streams = new Map<number, Stream>();

  constructor(
    private readonly table: SessionTable,
    private readonly send: (stream: number, data: Uint8Array) => void,
  ) {}

  /** Streams the session to `stream` until it ends (its code) or is detached (null). */
  async attach(sessionId: string, stream: number): Promise<number | null> {
    const state: Stream = { detach: new AbortController(), inFlight: 0 };
    this.streams.set(stream, state);
    try {
      return await this.table.attach(
        sessionId,
        {
          write: (data) => {
            this.send(stream, data);
            state.inFlight += data.length;
            return state.inFlight < ATTACH_WINDOW_BYTES;
          },
          drained: () => (state.inFlight < ATTACH_WINDOW_BYTES ? Promise.resolve() : new Promise<void>((resolve) => (state.room = resolve))),
        },
        state.detach.signal,
      );
    } finally {
      this.streams.delete(stream);
    }
  }

  detach(stream: number): void {
    this.streams.get(stream)?.detach.abort();
  }

  ack(stream: number, bytes: number): void {
    const state = this.streams.get(stream);
    if (!state) return;
    state.inFlight -= bytes;
    if (state.inFlight < ATTACH_WINDOW_BYTES) state.room?.();
  }
}
