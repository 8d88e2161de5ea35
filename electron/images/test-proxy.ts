import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test proxy does with one request: pass it on, answer it, or spoil the answer. */
export type ProxyDecision =
  | { action: 'forward' }
  | { action: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward, but flip one byte in the middle of the body. */
  | { action: 'corrupt' }
  /** Forward, but cut the connection after half of the body. */
  | { action: 'truncate' };

export interface TestProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/**
 * A small HTTP server on 127.0.0.1 in front of a real registry: a fault injector and auth front
 * for tests, never a stand-in for the registry itself.
 */
export async function startProxy(target: string, decide: (req: IncomingMessage) => ProxyDecision): Promise<TestProxy> {
  const requests: TestProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers });
    const decision = decide(req);
    if (decision.action === 'answer') {
      res.writeHead(decision.status, decision.headers ?? {});
      res.end(decision.body ?? '');
      return;
    }
    forward(target, req, res, decision.action);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forward(target: string, req: IncomingMessage, res: ServerResponse, action: 'forward' | 'corrupt' | 'truncate'): void {
  const headers = { ...req.headers, host: target };
  delete headers.authorization;
  const upstream = http.request(`http://${target}${req.url ?? '/'}`, { method: req.method, headers, agent: false }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    if (action === 'forward' || (answer.statusCode !== 200 && answer.statusCode !== 206)) {
      answer.pipe(res);
      return;
    }
    const length = Number(answer.headers['content-length'] ?? 0);
    const middle = Math.floor(length / 2);
    let seen = 0;
    answer.on('data', (chunk: Buffer) => {
      const start = seen;
      seen += chunk.length;
      if (action === 'truncate') {
        if (seen <= middle) res.write(chunk);
        else {
          res.write(chunk.subarray(0, middle - start));
          res.socket?.destroy();
          answer.destroy();
        }
        return;
      }
      if (start <= middle && middle < seen) {
        const spoiled = Buffer.from(chunk);
        spoiled[middle - start] = (spoiled[middle - start] ?? 0) ^ 0xff;
        res.write(spoiled);
      } else {
        res.write(chunk);
      }
    });
    answer.on('end', () => res.end());
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}
