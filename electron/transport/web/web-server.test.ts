import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeEngine } from '../../../e2e/fixtures/browser.js';
import { makeTempDir, type TempDir } from '../../../e2e/fixtures/temp-dir.js';
import type { ServerMessage } from '../../../shared/wire.js';
import { serveWeb, type WebServer } from './web-server.js';

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(origin: string, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { headers, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket; resolves with the socket, or with the HTTP status that refused it. */
function connect(url: string, options: WebSocket.ClientOptions): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** A client that collects every message, to ask for the next one matching a test. */
function messages(ws: WebSocket) {
  const seen: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: WebSocket.RawData) => {
    seen.push(JSON.parse(data.toString()) as ServerMessage);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    send: (message: unknown) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async next(match: (m: ServerMessage) => boolean): Promise<ServerMessage> {
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('browser-mode server', () => {
  let dir: TempDir;
  let server: WebServer;
  let engine: FakeEngine;
  let token: string;
  let apiUrl: string;

  beforeAll(async () => {
    dir = await makeTempDir('berth-web-');
    await mkdir(join(dir.path, 'assets'));
    await writeFile(join(dir.path, 'index.html'), '<!doctype html><title>Berth</title>');
    await writeFile(join(dir.path, 'assets', 'app.js'), 'console.log(1)');
    engine = new FakeEngine({
      'containers.inspect': async ({ id }) => {
        throw new Error(`no container ${id}`);
      },
      'containers.logs': async (_request, { emit, signal }) => {
        emit({ stream: 'stdout', base64: Buffer.from('line\n').toString('base64') });
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return {};
      },
    });
    server = await serveWeb(engine, { rendererDir: dir.path });
    token = new URL(server.url).searchParams.get('token') ?? '';
    apiUrl = `${server.origin.replace('http:', 'ws:')}/api?token=${token}`;
  });

  afterAll(async () => {
    await server?.close();
    await dir?.remove();
  });

  it('prints one URL on 127.0.0.1 with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('serves the page only with the token, and sends a strict policy with it', async () => {
    const page = await get(server.origin, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Berth</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await get(server.origin, '/')).status).toBe(403);
    const almost = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await get(server.origin, `/?token=${almost}`)).status).toBe(403);
    expect((await get(server.origin, '/assets/app.js')).status).toBe(200);
  });

  it('refuses a foreign Host header, paths outside the bundle and other methods', async () => {
    expect((await get(server.origin, `/?token=${token}`, { Host: '10.0.0.1:80' })).status).toBe(403);
    expect((await get(server.origin, '/../../etc/passwd')).status).toBe(404);
    expect((await get(server.origin, '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get(server.origin, '/assets/missing.js')).status).toBe(404);
  });

  it('refuses the API socket with a wrong token, a foreign Origin or no Origin', async () => {
    const wrongToken = `${server.origin.replace('http:', 'ws:')}/api?token=not-the-token`;
    expect(await connect(wrongToken, { origin: server.origin })).toBe(403);
    expect(await connect(apiUrl, { origin: 'http://127.0.0.1:9' })).toBe(403);
    expect(await connect(apiUrl, { origin: server.origin.replace('127.0.0.1', 'localhost') })).toBe(403);
    expect(await connect(apiUrl, {})).toBe(403);
  });

  it('refuses the API socket to a rebound Host, without a token, with a near-miss token or a null Origin, and off /api', async () => {
    const base = server.origin.replace('http:', 'ws:');
    const almost = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    // DNS rebinding: the right token and Origin, but the page was reached under another name.
    expect(await connect(apiUrl, { origin: server.origin, headers: { Host: 'evil.example:80' } })).toBe(403);
    expect(await connect(`${base}/api`, { origin: server.origin })).toBe(403);
    expect(await connect(`${base}/api?token=${almost}`, { origin: server.origin })).toBe(403);
    expect(await connect(`${base}/api?token=${token}x`, { origin: server.origin })).toBe(403);
    expect(await connect(apiUrl, { origin: 'null' })).toBe(403);
    expect(await connect(`${base}/other?token=${token}`, { origin: server.origin })).toBe(404);
  });

  it('refuses other HTTP methods and the page under its other name without the token', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.origin}/?token=${token}`, { method, timeout: 5_000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(405);
    }
    expect((await get(server.origin, '/index.html')).status).toBe(403);
    expect((await get(server.origin, `/index.html?token=${token}`)).status).toBe(200);
  });

  it('answers malformed messages with errors and keeps serving', async () => {
    const ws = await connect(apiUrl, { origin: server.origin });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const client = messages(ws);
    client.send('{not json');
    expect(await client.next((m) => 'error' in m && m.id === 0)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    client.send({ id: 1, method: 'containers.stop', params: { id: 42 } });
    expect(await client.next((m) => 'error' in m && m.id === 1)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('id') } });
    client.send({ id: 2, method: 'containers.explode', params: {} });
    expect(await client.next((m) => 'error' in m && m.id === 2)).toMatchObject({ error: { code: 'UNKNOWN_METHOD' } });
    client.send({ id: 3, method: 'containers.inspect', params: { id: 'web' } });
    expect(await client.next((m) => 'error' in m && m.id === 3)).toMatchObject({ error: { code: 'INTERNAL', message: 'no container web' } });
    ws.close();
  });

  it('streams items, ends a call on cancel and pushes events to subscribers', async () => {
    const ws = await connect(apiUrl, { origin: server.origin });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const client = messages(ws);
    client.send({ subscribe: true });
    client.send({ id: 7, method: 'containers.logs', params: { id: 'web', follow: true } });
    expect(await client.next((m) => 'item' in m && m.id === 7)).toEqual({ id: 7, item: { stream: 'stdout', base64: Buffer.from('line\n').toString('base64') } });
    client.send({ id: 7, cancel: true });
    expect(await client.next((m) => 'result' in m && m.id === 7)).toEqual({ id: 7, result: {} });
    engine.emitEvent('images.changed', {});
    expect(await client.next((m) => 'event' in m)).toEqual({ event: 'images.changed', payload: {} });
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
  });
});
