import { dirname } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { BerthError } from '../../../shared/berth-error.js';
import type { ServerMessage } from '../../../shared/wire.js';
import type { ContractHost } from '../../../shared/contract.js';
import { makePrivateDir } from '../../records/private-dir.js';
import { whenDrained } from '../../streams/when-drained.js';
import { openWireSession } from '../wire-session.js';
import { LineFramer } from '../line-framer.js';
import { listenOnUnixSocket, type UnixListener } from '../unix-listener.js';

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** A client this far behind (it sends but stopped reading) is dropped, as in browser mode, not held in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The API on a UNIX socket for the `berth` command: JSON lines carrying the shared contract.
 * The socket file is 0600 inside the 0700 engine home, so only its owner can talk to it.
 */
export type SocketServer = UnixListener;

export async function serveSocket(engine: ContractHost, path: string): Promise<SocketServer> {
  // The home of a first start does not exist yet, and one made by hand may be open to others: the
  // socket is served before the engine makes it.
  await makePrivateDir(dirname(path));
  const server = createServer((socket) => serveConnection(engine, socket));
  return listenOnUnixSocket(server, path);
}

function serveConnection(engine: ContractHost, socket: Socket): void {
  const framer = new LineFramer(MAX_MESSAGE_BYTES);
  // Answers and events are written whatever the back-pressure (only streams wait for it), so the backlog is capped.
  const write = (text: string): boolean => {
    if (!socket.writable) return true;
    if (socket.writableLength > MAX_BUFFERED_BYTES) {
      socket.destroy();
      return true;
    }
    return socket.write(text);
  };
  const session = openWireSession(engine, {
    send: (message: ServerMessage) => write(`${JSON.stringify(message)}\n`),
    drained: () => (socket.writableNeedDrain && socket.writable ? whenDrained(socket) : Promise.resolve()),
  });
  const refusal = (text: string) => `${JSON.stringify({ id: 0, error: new BerthError('INVALID_ARGUMENT', text).toInfo() })}\n`;
  let dropped = false;

  socket.on('data', (chunk: Buffer) => {
    if (dropped) return;
    let lines: string[];
    try {
      lines = framer.push(chunk);
    } catch (err) {
      // The stream is out of step: nothing more from this client is read or run (end() alone would
      // leave a half-open client sending on), and once the refusal is out the connection goes.
      dropped = true;
      session.close();
      socket.end(refusal((err as Error).message), () => socket.destroy());
      return;
    }
    for (const line of lines) {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        write(refusal('malformed message: expected one JSON object per line'));
        continue;
      }
      session.receive(message);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => session.close());
}
