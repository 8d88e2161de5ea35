import { rm } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { listenWithMode } from '../host/local/unix-socket.js';

export interface UnixListener {
  /** Stops listening and ends every connection, streaming ones included. */
  close(): Promise<void>;
}

/**
 * Serves `server` on a UNIX socket only its owner may use (0600; the engine's home around it is
 * 0700), or a Windows named pipe. A stale socket file from an engine that crashed is replaced.
 */
export async function listenOnUnixSocket(server: Server, path: string): Promise<UnixListener> {
  // A Windows named pipe has no file to replace or mode to set: it goes with its last listener.
  const pipe = path.startsWith('\\\\.\\pipe\\');
  if (!pipe) await rm(path, { force: true });
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  if (pipe) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } else {
    await listenWithMode(server, path, 0o600);
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }),
  };
}
