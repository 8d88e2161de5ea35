import net from 'node:net';

/** What a net.Socket keeps of its libuv stream; internal to Node, stable since its early versions. */
interface HandleHolder {
  _handle: object | null;
}

/** The constructor options net.Socket accepts besides the documented ones (Node's own cluster code uses them). */
type SocketFromHandleOptions = net.SocketConstructorOpts & { handle: object; pauseOnCreate: boolean; onread: net.OnReadOpts };

/**
 * Re-creates a socket accepted by a net.Server (with pauseOnConnect) as one that reads into the
 * caller's buffer. net.Server has no `onread` option, and without it every read allocates a new
 * buffer, which costs a fifth of the throughput. The accepted socket gives up its handle without
 * closing it, and is destroyed so the server stops counting it; the new socket owns the handle.
 */
export function adoptAcceptedSocket(accepted: net.Socket, onread: net.OnReadOpts): net.Socket {
  const holder = accepted as unknown as HandleHolder;
  const handle = holder._handle;
  if (handle === null || typeof handle !== 'object') throw new Error('the accepted socket has no handle to adopt');
  holder._handle = null;
  accepted.destroy();
  const options: SocketFromHandleOptions = { handle, onread, allowHalfOpen: true, readable: true, writable: true, pauseOnCreate: true };
  return new net.Socket(options);
}
