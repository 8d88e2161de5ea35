import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { UnixListener } from '../host.js';

/** Connects to a UNIX socket on this machine (on Windows a named pipe too), half-close allowed. */
export function connectUnixSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Binds `server` to a UNIX socket whose file is born with `mode`: the umask is set around the bind
 * (listen binds at once), so the file is never open wider for a moment before a chmod. The umask is
 * the process's, so it is put back straight after.
 */
export function listenWithMode(server: Server, path: string, mode: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o777 & ~mode);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
}

/** Listens on a UNIX socket on this machine; fails if the path exists, and removes the file on close. */
export async function listenUnixSocket(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
  const server = createServer({ allowHalfOpen: true }, onConnection);
  await listenWithMode(server, path, mode).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot listen at ${path}: ${err.code ?? err.message}`);
  });
  return {
    close: () => new Promise<void>((resolve) => server.close(() => void rm(path, { force: true }).finally(resolve))),
  };
}
