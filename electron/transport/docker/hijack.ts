import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { DockerError } from './docker-call.js';
import { COMMON_HEADERS } from './docker-reply.js';

/** Largest request body read off an upgraded connection (an exec start's JSON is tiny). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A connection taken over for raw bytes both ways (attach, exec start): output goes out as written,
 * and the client's bytes after its request are the process's stdin until it half-closes.
 */
export interface Hijacked {
  write(data: Buffer): void;
  /** Ends the output; the client sees the end of the stream. */
  end(): void;
  /** The client's bytes (stdin); ends when it closes its sending side. */
  input: Readable;
}

/**
 * On an upgraded connection the request's body (an exec start's JSON, sent with a length or chunked)
 * arrives with the first bytes of stdin: Node hands both over as `head`. Splits them.
 */
export async function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  let buffered = head;
  const more = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        cleanup();
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length > MAX_BODY_BYTES + 64) reject(new DockerError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
        else resolve();
      };
      const onEnd = () => (cleanup(), reject(new DockerError(400, 'the connection ended inside the request body')));
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
    });
  const length = req.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    if (!Number.isInteger(n) || n < 0 || n > MAX_BODY_BYTES) throw new DockerError(400, `invalid Content-Length: ${length.slice(0, 32)}`);
    while (buffered.length < n) await more();
    return { body: buffered.subarray(0, n), rest: buffered.subarray(n) };
  }
  if (/chunked/i.test(req.headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = buffered.indexOf('\r\n', at);
      if (eol === -1) {
        await more();
        continue;
      }
      const size = parseInt(buffered.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isInteger(size) || size < 0 || size > MAX_BODY_BYTES) throw new DockerError(400, 'invalid chunk in the request body');
      if (buffered.length < eol + 2 + size + 2) {
        await more();
        continue;
      }
      parts.push(buffered.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
      if (size === 0) return { body: Buffer.concat(parts), rest: buffered.subarray(at) };
    }
  }
  return { body: Buffer.alloc(0), rest: head };
}

/** Docker's 101 answer on an upgraded connection, then the raw socket: `rest` (bytes after the request) comes first as input. */
export function hijackSocket(socket: Duplex, rest: Buffer, contentType: string): Hijacked {
  const headers = { ...COMMON_HEADERS, 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' };
  socket.write(`HTTP/1.1 101 UPGRADED\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  if (rest.length > 0) socket.unshift(rest);
  return { write: (data) => void socket.write(data), end: () => socket.end(), input: socket };
}

/** Without an Upgrade header, Docker answers 200 and streams the output on the response; the request is the input. */
export function hijackResponse(req: IncomingMessage, res: ServerResponse, contentType: string): Hijacked {
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': contentType });
  res.flushHeaders();
  return { write: (data) => void res.write(data), end: () => res.end(), input: req };
}
