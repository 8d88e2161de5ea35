import type { Serializable } from 'node:child_process';
import { createServer } from 'node:net';
import { listenOnUnixSocket, type UnixListener } from './transport/unix-listener.js';
import { IpcChannel, type IpcEndpoint } from './terminal/ipc-channel.js';
import { SessionTable } from './terminal/session-table.js';
import { RelayedAttaches } from './terminal/relayed-attach.js';
import type { EngineCalls, EngineNotes, HostCalls, HostNotes } from './terminal/terminal-host-protocol.js';
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

const table = new SessionTable({
  scrollbackBytes: Number(scrollbackBytes),
  changed: (session) => channel.notify('changed', { session }),
  resized: (session) => channel.notify('resized', { session }),
  forgotten: (sessionId) => channel.notify('forgotten', { sessionId }),
  mainExitCode: (sessionId) => channel.call('mainExitCode', { sessionId }),
});

const relayed = new RelayedAttaches(table, (stream, data) => channel.notify('output', { stream, data }));

const channel: IpcChannel<EngineCalls, EngineNotes, HostCalls, HostNotes> = new IpcChannel<EngineCalls, EngineNotes, HostCalls, HostNotes>(
  parent,
  {
    open: ({ session, mode, commandLine, held }) => table.open(session, mode, commandLine, held),
    attach: async ({ sessionId, stream }) => ({ exitCode: await relayed.attach(sessionId, stream) }),
    close: async ({ sessionId }) => (await table.close(sessionId), null),
    endContainer: async ({ containerId }) => (await table.endContainer(containerId), null),
    closeAll: async () => (await table.closeAll(), null),
    flow: async ({ sessionId }) => table.flow(sessionId),
  },
  {
    input: ({ sessionId, data }) => table.input(sessionId, Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    resize: ({ sessionId, cols, rows }) => table.resize(sessionId, cols, rows),
    detach: ({ stream }) => relayed.detach(stream),
    ack: ({ stream, bytes }) => relayed.ack(stream, bytes),
  },
  // The engine went away (quit, crash, kill -9): agents lose their input with this process, and an
  // exec's agent hangs its shell up on that, as when the engine held them itself.
  () => void (served?.close() ?? Promise.resolve()).finally(() => process.exit(0)),
);

let served: UnixListener | undefined;
served = await listenOnUnixSocket(createServer((socket) => serveTerminalStream(table, socket)), socketPath!);
channel.notify('ready', null);
