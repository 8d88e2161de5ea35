import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortRelay, PortReservation } from './port-relay.js';
import type { RelayLimits } from './relay-limits.js';
import { LocalPortRelay } from './relay-local.js';
import { WorkerPortRelay } from './worker-port-relay.js';

// Real sockets on 127.0.0.1 only; the "containers" are plain echo servers, which is all a relay sees.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function later(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits (bounded) for the open descriptors to come back down to `most`; returns the last count. */
async function fdsSettle(most: number, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = fdCount();
  while (count > most && Date.now() < deadline) {
    await later(20);
    count = fdCount();
  }
  return count;
}

async function until(what: string, ready: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await later(10);
  }
}

interface TcpServer {
  port: number;
  sockets: Set<net.Socket>;
}

/** A TCP server on 127.0.0.1 that runs `serve` per connection; closed after the test. */
async function tcpServer(serve: (socket: net.Socket) => void, host = '127.0.0.1'): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, sockets };
}

const echoServer = (host?: string) => tcpServer((socket) => socket.pipe(socket), host);

async function udpEchoServer(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, from) => socket.send(message, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Everything the socket sends until it ends (or fails: then the error). */
function readAll(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Reads until `bytes` have arrived. */
function readBytes(socket: net.Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < bytes) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Resolves when the peer has ended its side (our test clients allow half-open, so they do not close). */
function ended(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readableEnded) resolve();
    socket.once('end', resolve);
    socket.resume();
  });
}

/** Resolves once the socket is closed, with how (a reset shows as an error). */
function closed(socket: net.Socket): Promise<{ error?: string }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.once('close', () => resolve(error === undefined ? {} : { error }));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

function tcp(guestPort: number, hostPort = 0, hostIp = '127.0.0.1'): PortReservation {
  return { hostIp, hostPort, guestPort, protocol: 'tcp' };
}

function udp(guestPort: number, hostPort = 0): PortReservation {
  return { hostIp: '127.0.0.1', hostPort, guestPort, protocol: 'udp' };
}

async function reserved(relay: PortRelay, owner: string, ports: PortReservation[]): Promise<number[]> {
  const result = await relay.reserve(owner, ports);
  if (!result.ok) throw new Error(`reserve failed: ${result.failure.message}`);
  return result.hostPorts;
}

const ipv6Loopback = await canBind(0, '::1');

const kinds = [
  { kind: 'in this thread', start: (limits: Partial<RelayLimits>) => Promise.resolve(new LocalPortRelay(limits)) },
  { kind: 'in a worker', start: (limits: Partial<RelayLimits>) => WorkerPortRelay.start({ limits }) },
];

describe.each(kinds)('port relay $kind', ({ start }) => {
  async function newRelay(limits: Partial<RelayLimits> = {}): Promise<PortRelay> {
    const relay = await start(limits);
    cleanups.push(() => relay.close());
    return relay;
  }

  it('fails a reservation on a busy port and leaves nothing of it bound', async () => {
    const relay = await newRelay();
    const busy = await tcpServer(() => {});
    const free = await freePort();
    const busyUdp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => busyUdp.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => busyUdp.close(() => resolve())));

    const result = await relay.reserve('c1', [tcp(80, free), tcp(81, busy.port)]);
    expect(result).toMatchObject({ ok: false, failure: { index: 1, code: 'EADDRINUSE' } });
    expect(result.ok ? '' : result.failure.message).toContain(`127.0.0.1:${busy.port}/tcp`);
    expect(await canBind(free)).toBe(true);

    const udpResult = await relay.reserve('c1', [tcp(80, free), udp(53, busyUdp.address().port)]);
    expect(udpResult).toMatchObject({ ok: false, failure: { index: 1, code: 'EADDRINUSE' } });
    expect(await canBind(free)).toBe(true);
    // Nothing was kept for the owner either: releasing it is a no-op.
    await relay.release('c1');
  });

  it('binds an OS-chosen port for host port 0, and rejects what is not a reservation', async () => {
    const relay = await newRelay();
    const [port] = await reserved(relay, 'c1', [tcp(80)]);
    expect(port).toBeGreaterThan(0);
    expect(await canBind(port!)).toBe(false);
    await expect(relay.reserve('c1', [tcp(80, 0, 'localhost')])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(relay.reserve('c1', [tcp(0)])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(relay.activate('c1', { address: 'not-an-address', port: 'guest' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('holds a connection made before activate, then serves it', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    const client = await connect(port!);
    client.write('early bytes');
    await later(50);
    expect(echo.sockets.size).toBe(0);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    expect((await readBytes(client, 11)).toString()).toBe('early bytes');
    client.write(' and more');
    expect((await readBytes(client, 9)).toString()).toBe(' and more');
    client.destroy();
  });

  it("forwards each port to its own forward at the target when told to (the WSL distro's forwards)", async () => {
    const relay = await newRelay();
    // The far ends listen on another loopback address, one per published port; nothing listens
    // there on the guest port, 80.
    const first = await tcpServer((socket) => socket.end('reached the first forward'), '127.0.0.4');
    const second = await tcpServer((socket) => socket.end('reached the second forward'), '127.0.0.4');
    const [a, b] = await reserved(relay, 'c1', [tcp(80), tcp(80)]);
    const forward = (hostPort: number, port: number) => ({ protocol: 'tcp' as const, hostPort, guestPort: 80, port });
    await expect(relay.activate('c1', { address: '127.0.0.4', port: 'forward', forwards: [forward(a!, first.port)] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`no forward for ${b}/tcp`),
    });
    await relay.activate('c1', { address: '127.0.0.4', port: 'forward', forwards: [forward(a!, first.port), forward(b!, second.port)] });
    expect((await readAll(await connect(a!))).toString()).toBe('reached the first forward');
    expect((await readAll(await connect(b!))).toString()).toBe('reached the second forward');
  });

  it('passes a half-close on: the client ends its side and still gets the reply', async () => {
    const relay = await newRelay();
    // Replies only after the client's FIN, then closes: what `nc -N` or an HTTP/1.0 upload expects.
    const server = await tcpServer((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).length} bytes`));
    });
    const [port] = await reserved(relay, 'c1', [tcp(server.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const client = await connect(port!);
    const reply = readAll(client);
    client.write(Buffer.alloc(100_000, 7));
    client.end();
    expect((await reply).toString()).toBe('got 100000 bytes');
    expect(await closed(client)).toEqual({});
  });

  it('relays bulk data both ways intact, through a slow reader', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const data = randomBytes(24 * 1024 * 1024);
    const client = await connect(port!);
    const hash = createHash('sha256');
    let got = 0;
    let chunks = 0;
    const done = new Promise<void>((resolve, reject) => {
      client.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        got += chunk.length;
        // Stall now and then, so the relay's writes back up and its reads must wait.
        if (++chunks % 50 === 0) {
          client.pause();
          setTimeout(() => client.resume(), 5);
        }
      });
      client.once('end', resolve);
      client.once('error', reject);
    });
    for (let at = 0; at < data.length; at += 1024 * 1024) client.write(data.subarray(at, at + 1024 * 1024));
    client.end();
    await done;
    expect(got).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('keeps the UDP flows of two clients apart', async () => {
    const relay = await newRelay();
    const echoPort = await udpEchoServer();
    const [port] = await reserved(relay, 'c1', [udp(echoPort)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const clients = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const socket = dgram.createSocket('udp4');
        const replies: string[] = [];
        socket.on('message', (message, from) => {
          expect(from.port).toBe(port);
          replies.push(message.toString());
        });
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
        return { name, socket, replies };
      }),
    );
    for (let i = 0; i < 5; i++) for (const client of clients) client.socket.send(`${client.name}${i}`, port!, '127.0.0.1');
    await until('all replies', () => clients.every((client) => client.replies.length >= 5));
    for (const client of clients) expect(client.replies.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${client.name}${i}`));
  });

  it('queues datagrams that arrive before activate, and sends them after', async () => {
    const relay = await newRelay();
    const echoPort = await udpEchoServer();
    const [port] = await reserved(relay, 'c1', [udp(echoPort)]);
    const client = dgram.createSocket('udp4');
    const replies: string[] = [];
    client.on('message', (message) => replies.push(message.toString()));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    for (const word of ['one', 'two', 'three']) client.send(word, port!, '127.0.0.1');
    await later(50);
    expect(replies).toEqual([]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    await until('queued replies', () => replies.length === 3);
    expect(replies.sort()).toEqual(['one', 'three', 'two']);
  });

  it('closes idle UDP flows, and bounds their number', async () => {
    const relay = await newRelay({ udpFlowIdleMs: 150, udpSweepMs: 50, udpFlowsPerPort: 2 });
    const echoPort = await udpEchoServer();
    const [port] = await reserved(relay, 'c1', [udp(echoPort)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const sockets = await Promise.all(
      [0, 1, 2].map(async () => {
        const socket = dgram.createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
        return socket;
      }),
    );
    const before = fdCount();
    let replies = 0;
    for (const socket of sockets) socket.on('message', () => replies++);
    for (const socket of sockets) {
      socket.send('hi', port!, '127.0.0.1');
      await until('a reply', () => replies === sockets.indexOf(socket) + 1);
    }
    // Three clients, at most two flows (two sockets towards the container).
    expect(fdCount() - before).toBeLessThanOrEqual(2);
    expect(await fdsSettle(before)).toBe(before);
  });

  it('release closes the listeners and their live connections, and is idempotent', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port, udpPort] = await reserved(relay, 'c1', [tcp(echo.port), udp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const client = await connect(port!);
    client.write('ping');
    expect((await readBytes(client, 4)).toString()).toBe('ping');
    const gone = ended(client);
    await relay.release('c1');
    await gone;
    await until('the container side to close', () => echo.sockets.size === 0);
    expect(await canBind(port!)).toBe(true);
    const again = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => again.bind(udpPort, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => again.close(() => resolve()));
    await relay.release('c1');
    await relay.release('never-reserved');
  });

  it('serves 200 concurrent connections, then gives back every descriptor', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const before = fdCount();
    const clients = await Promise.all(Array.from({ length: 200 }, () => connect(port!)));
    const replies = await Promise.all(
      clients.map(async (client, i) => {
        const reply = readAll(client);
        client.end(`client ${i}`);
        return (await reply).toString();
      }),
    );
    expect(replies).toEqual(clients.map((_, i) => `client ${i}`));
    for (const client of clients) client.destroy();
    expect(await fdsSettle(before + 2)).toBeLessThanOrEqual(before + 2);
  });

  it('serves 10,000 short connections one after another without leaking', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const before = fdCount();
    const started = Date.now();
    for (let i = 0; i < 10_000; i++) {
      const client = await connect(port!);
      const reply = readAll(client);
      client.end('x');
      expect((await reply).toString()).toBe('x');
      client.destroy();
    }
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(await fdsSettle(before + 2)).toBeLessThanOrEqual(before + 2);
  }, 60_000);

  it('holds a bounded number of connections and resets the rest', async () => {
    const relay = await newRelay({ heldConnectionsPerPort: 2 });
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    const clients: net.Socket[] = [];
    const outcomes: Promise<{ error?: string }>[] = [];
    for (let i = 0; i < 4; i++) {
      // Not awaiting 'connect': a reset may come before this side has seen its connection made.
      const client = net.connect({ port: port!, host: '127.0.0.1' });
      outcomes.push(closed(client));
      client.write(`c${i}`);
      clients.push(client);
      await later(20);
    }
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const served = await Promise.all(clients.slice(0, 2).map((client) => readBytes(client, 2)));
    expect(served.map(String)).toEqual(['c0', 'c1']);
    for (const client of clients.slice(0, 2)) client.destroy();
    expect((await Promise.all(outcomes)).slice(2)).toEqual([{ error: 'ECONNRESET' }, { error: 'ECONNRESET' }]);
  });

  it('drops a held connection whose client goes away', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    const before = fdCount();
    const resetting = await connect(port!);
    const leaving = await connect(port!);
    leaving.write('bye');
    await later(50);
    resetting.resetAndDestroy();
    leaving.destroy();
    // The reset one is noticed while held: only the relay's side of `leaving` is left.
    expect(await fdsSettle(before + 1)).toBeLessThanOrEqual(before + 1);
    // The one that only sent its FIN looks like a half-close: it is passed on at activate, and
    // then closes.
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    expect(await fdsSettle(before)).toBeLessThanOrEqual(before);
  });

  it('resets the client when nothing listens in the container', async () => {
    const relay = await newRelay();
    const nothing = await freePort();
    const [port] = await reserved(relay, 'c1', [tcp(nothing)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const before = fdCount();
    const client = await connect(port!);
    expect(await closed(client)).toEqual({ error: 'ECONNRESET' });
    expect(await fdsSettle(before)).toBeLessThanOrEqual(before);
  });

  it('forwards ports reserved after activate at once', async () => {
    const relay = await newRelay();
    const echo = await echoServer();
    await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    const client = await connect(port!);
    client.write('late port');
    expect((await readBytes(client, 9)).toString()).toBe('late port');
    client.destroy();
  });

  it.skipIf(!ipv6Loopback)('binds and relays on IPv6 (::1)', async () => {
    const relay = await newRelay();
    const echo = await echoServer('::1');
    const [port] = await reserved(relay, 'c1', [tcp(echo.port, 0, '::1')]);
    await relay.activate('c1', { address: '::1', port: 'guest' });
    const client = await connect(port!, '::1');
    client.write('six');
    expect((await readBytes(client, 3)).toString()).toBe('six');
    client.destroy();
    // '::' is IPv6 only: the IPv4 wildcard stays free for its own reservation.
    const [wild] = await reserved(relay, 'c2', [tcp(echo.port, 0, '::')]);
    expect(await canBind(wild!, '0.0.0.0')).toBe(true);
  });

  it.skipIf(!ipv6Loopback)('gives an IPv6 twin the number its IPv4 address got, and fails both when the twin has it taken', async () => {
    const relay = await newRelay();
    const twin = (guestPort: number): PortReservation => ({ ...tcp(guestPort, 0, '::1'), samePortAs: 0 });
    const [v4, v6] = await reserved(relay, 'c1', [tcp(80), twin(80)]);
    expect(v6).toBe(v4);
    expect(await canBind(v4!, '127.0.0.1')).toBe(false);
    expect(await canBind(v4!, '::1')).toBe(false);

    const taken = await tcpServer(() => {}, '::1');
    const free = await freePort();
    const result = await relay.reserve('c2', [tcp(81, taken.port), twin(81)]);
    expect(result).toMatchObject({ ok: false, failure: { index: 1, code: 'EADDRINUSE' } });
    expect(result.ok ? '' : result.failure.message).toContain(`[::1]:${taken.port}/tcp`);
    expect(await canBind(taken.port, '127.0.0.1')).toBe(true);
    await expect(relay.reserve('c2', [{ ...tcp(82, free), samePortAs: 0 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('close stops everything and refuses later calls', async () => {
    const relay = await start({});
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const client = await connect(port!);
    // Closing may end the connection with a FIN or a reset: either way it must be gone.
    const gone = closed(client);
    client.on('end', () => client.end());
    client.resume();
    await relay.close();
    await gone;
    expect(await canBind(port!)).toBe(true);
    await expect(relay.reserve('c2', [tcp(echo.port)])).rejects.toMatchObject({ code: 'INTERNAL' });
    await relay.close();
  });
});

describe('port relay read buffers', () => {
  it('grow for bulk traffic and are given back when connections close', async () => {
    const relay = new LocalPortRelay();
    cleanups.push(() => relay.close());
    const echo = await echoServer();
    const [port] = await reserved(relay, 'c1', [tcp(echo.port)]);
    await relay.activate('c1', { address: '127.0.0.1', port: 'guest' });
    const client = await connect(port!);
    let grown = 0;
    client.on('data', () => (grown = Math.max(grown, relay.grownBufferBytes)));
    const reply = readAll(client);
    client.end(Buffer.alloc(8 * 1024 * 1024));
    expect((await reply).length).toBe(8 * 1024 * 1024);
    expect(grown).toBeGreaterThan(0);
    client.destroy();
    await until('buffers given back', () => relay.grownBufferBytes === 0);
  });
});
