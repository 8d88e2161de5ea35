import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
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

/** Listens on a UNIX socket on this machine; fails if the path exists, and removes the file on close. */
export async function listenUnixSocket(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
  const server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen at ${path}: ${err.code ?? err.message}`)));
    server.listen(path, () => resolve());
  });
  try {
    await chmod(path, mode);
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    close: () => new Promise<void>((resolve) => server.close(() => void rm(path, { force: true }).finally(resolve))),
  };
}
