import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { BerthError } from '../../../shared/berth-error.js';
import { AccessGuard } from './access-guard.js';
import { resolveStaticPath, sendFile } from './static-files.js';
import type { ContractHost } from '../../../shared/contract.js';
import { openWireSession } from '../wire-session.js';

export interface WebServerOptions {
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface WebServer {
  /** The one URL that opens the UI, token included. */
  url: string;
  origin: string;
  close(): Promise<void>;
}

const ADDRESS = '127.0.0.1';
const API_PATH = '/api';
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Streams pause above the high mark and resume below the low one (logs -f into a slow tab). */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** A client this far behind (events pile up in a stalled tab) is dropped; it reconnects and reloads. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

function securityHeaders(origin: string): Record<string, string> {
  const wsOrigin = origin.replace(/^http:/, 'ws:');
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      // xterm.js sizes and colours its cells through <style> elements it writes at run time; scripts stay 'self' only.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ${wsOrigin}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    // The page URL carries the token: it must never leave in a Referer (e.g. when a port link opens).
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * Browser mode: serves the built renderer and the contract over a WebSocket on 127.0.0.1, both behind
 * a random token in the URL. The socket carries shared/wire.ts messages, one JSON object per frame.
 */
export async function serveWeb(host: ContractHost, options: WebServerOptions): Promise<WebServer> {
  if (!existsSync(join(options.rendererDir, 'index.html'))) {
    throw new BerthError('INTERNAL', `the UI is not built (no index.html in ${options.rendererDir})`, { fix: 'run `npm run build`' });
  }
  const token = randomBytes(24).toString('base64url');
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let guard: AccessGuard | undefined;
  const server = createServer((request, response) => {
    if (guard) handleHttp(guard, options.rendererDir, request, response);
    else response.writeHead(503).end();
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!guard || url.pathname !== API_PATH) return refuseUpgrade(socket, '404 Not Found');
    if (!guard.hostAllowed(request) || !guard.originAllowed(request) || !guard.tokenValid(url.searchParams.get('token'))) {
      return refuseUpgrade(socket, '403 Forbidden');
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveConnection(host, ws));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: ADDRESS, port: options.port ?? 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new BerthError('INTERNAL', 'the UI server has no TCP address');
  guard = new AccessGuard(ADDRESS, address.port, token);
  const origin = guard.origin;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    close: () => closeAll(server, sockets),
  };
}

function handleHttp(guard: AccessGuard, rendererDir: string, request: IncomingMessage, response: ServerResponse): void {
  const headers = securityHeaders(guard.origin);
  const deny = (status: number, text: string): void => {
    response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };
  if (!guard.hostAllowed(request)) return deny(403, 'Forbidden: unexpected Host header.');
  if (request.method !== 'GET' && request.method !== 'HEAD') return deny(405, 'Method not allowed.');
  const url = new URL(request.url ?? '/', guard.origin);
  const page = url.pathname === '/' || url.pathname === '/index.html';
  // The page itself needs the token; the hashed assets it loads are the public bundle and need none.
  if (page && !guard.tokenValid(url.searchParams.get('token'))) {
    return deny(403, 'Forbidden: this Berth link is not valid. Open the URL that `berth serve --web` printed.');
  }
  const path = resolveStaticPath(rendererDir, page ? '/index.html' : url.pathname);
  if (path === undefined) return deny(404, 'Not found.');
  sendFile(response, path, headers, request.method === 'HEAD').catch(() => response.destroy());
}

function serveConnection(host: ContractHost, ws: WebSocket): void {
  // Bytes handed to ws.send() and not yet written to the socket: the back-pressure streams wait on.
  let unflushed = 0;
  let waiters: (() => void)[] = [];
  const release = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  const session = openWireSession(host, {
    send(message) {
      if (ws.readyState !== ws.OPEN) return true;
      if (unflushed > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'client too slow');
        return true;
      }
      const text = JSON.stringify(message);
      unflushed += text.length;
      ws.send(text, () => {
        unflushed -= text.length;
        if (unflushed <= LOW_WATER_BYTES) release();
      });
      return unflushed <= HIGH_WATER_BYTES;
    },
    drained: () => (unflushed <= LOW_WATER_BYTES || ws.readyState !== ws.OPEN ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    let message: unknown;
    try {
      if (isBinary) throw new Error('binary frame');
      message = JSON.parse(data.toString());
    } catch {
      // Not JSON text: the session answers it as a malformed message.
      message = undefined;
    }
    session.receive(message);
  });
  const end = () => {
    session.close();
    release();
  };
  ws.on('close', end);
  ws.on('error', end);
}

async function closeAll(server: Server, sockets: WebSocketServer): Promise<void> {
  for (const client of sockets.clients) client.terminate();
  await new Promise<void>((resolve) => sockets.close(() => resolve()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
