import type { Serializable } from 'node:child_process';
import { createServer } from 'node:net';
import { listenOnUnixSocket, type UnixListener } from './transport/unix-listener.js';
import { IpcChannel, type IpcEndpoint } from './terminal/ipc-channel.js';
import { SessionTable } from './terminal/session-table.js';
import { ATTACH_WINDOW_BYTES, type EngineCalls, type EngineNotes, type HostCalls, type HostNotes } from './terminal/terminal-host-protocol.js';
import type { TerminalSink } from './terminal/terminal-session.js';
import { serveTerminalStream } from './terminal/terminal-stream.js';

// The terminal host: a process of its own that holds every terminal session (its agent, scrollback and
// readers), forked by the engine with V8's optimising compilers off (docs/architecture.md). Its
// socket serves sessions' streams to the `berth` command (terminal-stream.ts); the engine's own
// clients reach them over IPC.
// Composition only.

const [socketPath, scrollbackBytes] = process.argv.slice(2);
// Named for its engine's home, so one engine's host can be told from another's.
process.title = `berth terminal host ${socketPath}`;

const parent: IpcEndpoint = {
  send: (message: Serializable) => process.send?.(message) ?? false,
  on: (event: 'message' | 'disconnect', listener: (message: Serializable) => void) => process.on(event, listener),
};

/** The engine's attaches, by stream number: what each may still send, and who waits for room. */
const streams = new Map<number, { detach: AbortController; inFlight: number; room?: () => void }>();

const table = new SessionTable({
  scrollbackBytes: Number(scrollbackBytes),
  changed: (session) => channel.notify('changed', { session }),
  resized: (session) => channel.notify('resized', { session }),
  forgotten: (sessionId) => channel.notify('forgotten', { sessionId }),
  mainExitCode: (sessionId) => channel.call('mainExitCode', { sessionId }),
});

const channel: IpcChannel<EngineCalls, EngineNotes, HostCalls, HostNotes> = new IpcChannel<EngineCalls, EngineNotes, HostCalls, HostNotes>(
  parent,
  {
    open: ({ session, mode, commandLine }) => table.open(session, mode, commandLine),
    attach: async ({ sessionId, stream }) => {
      const state: { detach: AbortController; inFlight: number; room?: () => void } = { detach: new AbortController(), inFlight: 0 };
      streams.set(stream, state);
      const sink: TerminalSink = {
        write: (data) => {
          channel.notify('output', { stream, data });
          state.inFlight += data.length;
          return state.inFlight < ATTACH_WINDOW_BYTES;
        },
        drained: () => (state.inFlight < ATTACH_WINDOW_BYTES ? Promise.resolve() : new Promise<void>((resolve) => (state.room = resolve))),
      };
      try {
        return { exitCode: await table.attach(sessionId, sink, state.detach.signal) };
      } finally {
        streams.delete(stream);
      }
    },
    close: async ({ sessionId }) => (await table.close(sessionId), null),
    endContainer: async ({ containerId }) => (await table.endContainer(containerId), null),
    closeAll: async () => (await table.closeAll(), null),
    flow: async ({ sessionId }) => table.flow(sessionId),
  },
  {
    input: ({ sessionId, data }) => table.input(sessionId, Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    resize: ({ sessionId, cols, rows }) => table.resize(sessionId, cols, rows),
    detach: ({ stream }) => streams.get(stream)?.detach.abort(),
    ack: ({ stream, bytes }) => {
      const state = streams.get(stream);
      if (!state) return;
      state.inFlight -= bytes;
      if (state.inFlight < ATTACH_WINDOW_BYTES) state.room?.();
    },
  },
  // The engine went away (quit, crash, kill -9): agents lose their input with this process, and an
  // exec's agent hangs its shell up on that, as when the engine held them itself.
  () => void (served?.close() ?? Promise.resolve()).finally(() => process.exit(0)),
);

let served: UnixListener | undefined;
served = await listenOnUnixSocket(createServer((socket) => serveTerminalStream(table, socket)), socketPath!);
channel.notify('ready', null);
