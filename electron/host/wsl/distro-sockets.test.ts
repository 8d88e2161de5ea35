import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostProcess } from '../host.js';
import { spawnProcess } from '../local/local-process.js';
import { FrameDecoder, FrameError, FrameType, MAX_FRAME, encodeFrame, frameHeader } from './agent-frames.js';
import { DistroSockets } from './distro-sockets.js';
import { SOCKET_AGENT_SCRIPT } from './socket-agent-script.js';

const MiB = 1 << 20;
/** Hang guard for one step: generous, never a claim about speed. */
const STEP_MS = 20_000;

/** Resolves with the value, or rejects once `ms` have passed. */
function within<T>(promise: Promise<T>, what: string, ms = STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Everything a readable side yields until its end. By events, not `for await`: the iterator
 * destroys a duplex when its readable side ends, which would cut off its writable side.
 */
function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.resume(); // a paused stream stays paused when a 'data' listener comes
  });
}

/** Writes `total` random bytes in 64 KiB chunks, minding back-pressure, then ends; resolves with their sha256. */
async function sendRandom(stream: Writable, total: number): Promise<string> {
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; ) {
    const chunk = randomBytes(Math.min(64 * 1024, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  return hash.digest('hex');
}

function hashAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    stream.on('data', (chunk: Buffer) => hash.update(chunk));
    stream.once('end', () => resolve(hash.digest('hex')));
    stream.once('error', reject);
    stream.resume();
  });
}

/** Resolves when the stream closes, with the error it reported (if any). */
function closed(stream: Duplex): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    stream.on('error', (e) => (error = e));
    stream.once('close', () => resolve(error));
  });
}

/** Connections a listener delivers, taken one at a time. */
function inbox(): { onConnection: (stream: Duplex) => void; next: () => Promise<Duplex> } {
  const arrived: Duplex[] = [];
  const waiting: ((stream: Duplex) => void)[] = [];
  return {
    onConnection: (stream) => {
      const waiter = waiting.shift();
      if (waiter) waiter(stream);
      else arrived.push(stream);
    },
    next: () => {
      const stream = arrived.shift();
      return within(stream ? Promise.resolve(stream) : new Promise<Duplex>((resolve) => waiting.push(resolve)), 'a connection');
    },
  };
}

describe('the socket agent frame decoder', () => {
  const frames = Buffer.concat([
    encodeFrame(FrameType.Data, 7, Buffer.from('hello')),
    encodeFrame(FrameType.Eof, 7),
    encodeFrame(FrameType.Ack, 0x8000_0001, Buffer.alloc(4, 9)),
    encodeFrame(FrameType.Data, 8, Buffer.alloc(70_000, 1)), // spans several of the cuts below
  ]);
  const decode = (chunks: Buffer[]) => {
    const seen: string[] = [];
    const decoder = new FrameDecoder((type, channel, payload) => seen.push(`${type}/${channel}/${payload.length}/${payload[0] ?? '-'}`));
    for (const chunk of chunks) decoder.feed(chunk);
    return seen;
  };
  const expected = ['4/7/5/104', '5/7/0/-', '6/2147483649/4/9', '4/8/70000/1'];

  it('finds the same frames however the bytes are cut', () => {
    expect(decode([frames])).toEqual(expected);
    expect(decode([...frames].map((byte) => Buffer.of(byte)))).toEqual(expected);
    expect(decode([frames.subarray(0, 4), frames.subarray(4, 20), frames.subarray(20, 40_000), frames.subarray(40_000)])).toEqual(expected);
  });

  it('rejects an overlong frame, and keeps in step when a consumer throws', () => {
    expect(() => decode([frameHeader(FrameType.Data, 1, MAX_FRAME + 1)])).toThrow(FrameError);
    const seen: number[] = [];
    const decoder = new FrameDecoder((_type, channel) => {
      seen.push(channel);
      if (channel === 7) throw new Error('consumer bug');
    });
    expect(() => decoder.feed(frames)).toThrow('consumer bug');
    expect(seen).toEqual([7, 7, 0x8000_0001, 8]);
  });
});

describe('distro sockets through the socket agent', { timeout: 120_000 }, () => {
  let dir: string;
  let script: string;
  let agents: HostProcess[];
  let sockets: DistroSockets;
  let servers: Server[];
  let clients: Socket[];
  let children: ChildProcess[];

  /** A Node server at `path` (relative to `cwd` if given, for paths sun_path cannot hold). */
  async function nodeServer(path: string, onSocket: (socket: Socket) => void, cwd?: string): Promise<Server> {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {}); // a peer cut off mid-write is expected here; tests check what they mean to
      onSocket(socket);
    });
    servers.push(server);
    const home = process.cwd();
    if (cwd) process.chdir(cwd);
    try {
      server.listen(path); // a UNIX socket is bound before listen() returns, so cwd can go back at once
    } finally {
      process.chdir(home);
    }
    await within(once(server, 'listening'), 'listening');
    return server;
  }

  async function nodeClient(path: string): Promise<Socket> {
    const socket = connect({ path, allowHalfOpen: true });
    socket.on('error', () => {});
    clients.push(socket);
    await within(once(socket, 'connect'), 'connect');
    return socket;
  }

  beforeEach(async () => {
    dir = await mkdtemp('/tmp/berth-agent-test-');
    script = join(dir, 'socket-agent.pl');
    await writeFile(script, SOCKET_AGENT_SCRIPT, { mode: 0o644 });
    agents = [];
    servers = [];
    clients = [];
    children = [];
    sockets = new DistroSockets(() => {
      const agent = spawnProcess(['perl', script]);
      agents.push(agent);
      return agent;
    });
  });

  afterEach(async () => {
    await sockets.close();
    for (const client of clients) client.destroy();
    for (const server of servers) server.close();
    for (const child of children) child.kill('SIGKILL');
    for (const agent of agents) agent.kill('SIGKILL');
    await Promise.all(agents.map((agent) => agent.exited));
    await rm(dir, { recursive: true, force: true });
  });

  it('listens with the mode, carries bytes both ways, half-closes each way, and unlinks on close', async () => {
    const path = join(dir, 'listen.sock');
    const connections = inbox();
    const listener = await sockets.listenUnix(path, 0o660, connections.onConnection);
    const info = await lstat(path);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o660);

    // The client half-closes first; the agent's side still answers, then half-closes too.
    const client = await nodeClient(path);
    client.end('hello');
    const answer = readAll(client);
    const server = await connections.next();
    expect((await within(readAll(server), 'request')).toString()).toBe('hello');
    server.end('echo:hello');
    expect((await within(answer, 'answer')).toString()).toBe('echo:hello');

    // The agent's side half-closes first; the client still answers.
    const client2 = await nodeClient(path);
    const greeting = readAll(client2);
    const server2 = await connections.next();
    server2.end('greeting');
    expect((await within(greeting, 'greeting')).toString()).toBe('greeting');
    client2.end('reply');
    expect((await within(readAll(server2), 'reply')).toString()).toBe('reply');

    // Closing the listener removes its file but leaves connections it accepted open.
    const client3 = await nodeClient(path);
    const server3 = await connections.next();
    await listener.close();
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await listener.close();
    const late = readAll(client3);
    server3.end('still open');
    expect((await within(late, 'after close')).toString()).toBe('still open');
  });

  it('carries many channels at once', async () => {
    const path = join(dir, 'many.sock');
    await nodeServer(path, (socket) => socket.pipe(socket));
    const payloads = Array.from({ length: 64 }, () => randomBytes(100_000));
    const echoes = await within(
      Promise.all(
        payloads.map(async (payload) => {
          const stream = await sockets.connectUnix(path);
          const echo = readAll(stream);
          stream.end(payload);
          return echo;
        }),
      ),
      'the echoes',
    );
    echoes.forEach((echo, i) => expect(echo.equals(payloads[i] ?? Buffer.alloc(0))).toBe(true));
  });

  it('connects to a server, half-closes, and a destroyed stream closes the connection', async () => {
    const path = join(dir, 'server.sock');
    const peers: Socket[] = [];
    await nodeServer(path, (socket) => {
      peers.push(socket);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(Buffer.concat(chunks).toString().toUpperCase()));
    });

    const stream = await sockets.connectUnix(path);
    const streamClosed = closed(stream);
    stream.end('shout');
    expect((await within(readAll(stream), 'echo')).toString()).toBe('SHOUT');
    expect(await within(streamClosed, 'close after both ends')).toBeUndefined();

    const doomed = await sockets.connectUnix(path);
    doomed.write('partial');
    for (let i = 0; i < 500 && peers.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const peer = peers[1];
    if (!peer) throw new Error('the server saw no second connection');
    // (not events.once: the peer's answer to the EOF it sees may fail with EPIPE first)
    const peerClosed = new Promise((resolve) => peer.once('close', resolve));
    doomed.destroy();
    await within(peerClosed, 'the peer sees the close');
  });

  it('carries 32 MiB each way at once, intact', async () => {
    const path = join(dir, 'bulk.sock');
    const connections = inbox();
    await sockets.listenUnix(path, 0o600, connections.onConnection);
    const near = await sockets.connectUnix(path);
    const far = await connections.next();
    const [sentNear, sentFar, gotFar, gotNear] = await within(
      Promise.all([sendRandom(near, 32 * MiB), sendRandom(far, 32 * MiB), hashAll(far), hashAll(near)]),
      'bulk transfer',
      90_000,
    );
    expect(gotFar).toBe(sentNear);
    expect(gotNear).toBe(sentFar);
  });

  it('holds back a channel whose reader stalls, in either direction, without stalling another', async () => {
    const path = join(dir, 'fair.sock');
    const connections = inbox();
    await sockets.listenUnix(path, 0o600, connections.onConnection);

    // Toward the engine: the agent's stream is not read, so the writer behind it must stall.
    const writer = await nodeClient(path);
    const unread = await connections.next();
    unread.pause();
    const flood = Buffer.alloc(16 * MiB, 1);
    writer.write(flood);
    // Toward the socket: the client does not read, so the agent's stream must hold its writes.
    const sleeper = await nodeClient(path);
    sleeper.pause();
    const pusher = await connections.next();
    let pushed = false;
    pusher.write(Buffer.alloc(16 * MiB, 2), () => (pushed = true));

    // Meanwhile a third channel moves 4 MiB both ways.
    const busy = await nodeClient(path);
    const busyFar = await connections.next();
    const [sent, sentBack, got, gotBack] = await within(
      Promise.all([sendRandom(busy, 4 * MiB), sendRandom(busyFar, 4 * MiB), hashAll(busyFar), hashAll(busy)]),
      'the busy channel',
    );
    expect(got).toBe(sent);
    expect(gotBack).toBe(sentBack);

    // Bounded: neither flood got through (window plus socket buffers are far below 16 MiB).
    expect(writer.writableLength).toBeGreaterThan(0);
    expect(pushed).toBe(false);

    // Once read, both floods arrive whole.
    writer.end();
    pusher.end();
    const [fromWriter, fromPusher] = await within(Promise.all([readAll(unread), readAll(sleeper)]), 'the floods');
    expect(fromWriter.equals(flood)).toBe(true);
    expect(fromPusher.length).toBe(16 * MiB);
    expect(fromPusher.every((b) => b === 2)).toBe(true);
  });

  it('refuses to listen on a path that exists, and leaves it alone', async () => {
    const path = join(dir, 'taken');
    await writeFile(path, 'precious');
    const failure = sockets.listenUnix(path, 0o600, () => {});
    await expect(failure).rejects.toThrow(new RegExp(`${path}.*EEXIST`));
    await expect(failure).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('precious');

    await expect(sockets.listenUnix(join(dir, 'no-such-dir', 'x.sock'), 0o600, () => {})).rejects.toThrow(/no-such-dir\/x\.sock.*ENOENT/);
  });

  it('rejects a connect to a missing path, naming it', async () => {
    const path = join(dir, 'missing.sock');
    const failure = sockets.connectUnix(path);
    await expect(failure).rejects.toThrow(new RegExp(`${path}.*ENOENT`));
    await expect(failure).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('connects and listens at paths longer than sun_path holds', async () => {
    const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    const serverPath = join(deep, 'server.sock');
    expect(Buffer.byteLength(serverPath)).toBeGreaterThan(107);
    await nodeServer('server.sock', (socket) => socket.pipe(socket), deep);
    const stream = await sockets.connectUnix(serverPath);
    stream.end('deep');
    expect((await within(readAll(stream), 'echo')).toString()).toBe('deep');

    const listenPath = join(deep, 'listen.sock');
    const connections = inbox();
    const listener = await sockets.listenUnix(listenPath, 0o600, connections.onConnection);
    const near = await sockets.connectUnix(listenPath);
    const far = await connections.next();
    near.end('round');
    far.end('trip');
    expect((await within(readAll(far), 'near to far')).toString()).toBe('round');
    expect((await within(readAll(near), 'far to near')).toString()).toBe('trip');
    await listener.close();
    await expect(lstat(listenPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for room in a full backlog without holding up other channels', async () => {
    const path = join(dir, 'slow.sock');
    // A listener with a backlog of 0 that accepts one connection per line on its stdin.
    const slow = spawn('perl', [
      '-MSocket',
      '-e',
      'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; bind($s, pack_sockaddr_un($ARGV[0])) or die; listen($s, 0) or die; ' +
        '$| = 1; print "ready\\n"; my @keep; while (<STDIN>) { accept(my $c, $s) or die; push @keep, $c; print "accepted\\n" }',
      path,
    ]);
    children.push(slow);
    await within(once(slow.stdout, 'data'), 'the slow listener');

    const first = await sockets.connectUnix(path); // fills the backlog
    let secondSettled = false;
    const second = sockets.connectUnix(path).finally(() => (secondSettled = true));
    // Another channel works meanwhile.
    const echoPath = join(dir, 'echo.sock');
    await nodeServer(echoPath, (socket) => socket.pipe(socket));
    const echo = await sockets.connectUnix(echoPath);
    echo.end('still here');
    expect((await within(readAll(echo), 'echo')).toString()).toBe('still here');
    expect(secondSettled).toBe(false);

    slow.stdin.write('\n'); // takes `first` off the backlog, so `second` fits
    const connected = await within(second, 'the waiting connect');
    expect(connected.destroyed).toBe(false);
    first.destroy();
    connected.destroy();
  });

  it('destroys open streams and rejects pending calls when the agent dies, then starts afresh', async () => {
    const path = join(dir, 'server.sock');
    await nodeServer(path, () => {});
    const listenPath = join(dir, 'listen.sock');
    const connections = inbox();
    await sockets.listenUnix(listenPath, 0o600, connections.onConnection);
    const outgoing = await sockets.connectUnix(path);
    await nodeClient(listenPath);
    const incoming = await connections.next();
    const outgoingClosed = closed(outgoing);
    const incomingClosed = closed(incoming);

    // Pending at the agent for sure: the target's backlog is full, so the agent keeps retrying.
    const fullPath = join(dir, 'full.sock');
    const full = spawn('perl', [
      '-MSocket',
      '-e',
      'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; bind($s, pack_sockaddr_un($ARGV[0])) or die; listen($s, 0) or die; $| = 1; print "ready\\n"; sleep 60',
      fullPath,
    ]);
    children.push(full);
    await within(once(full.stdout, 'data'), 'the full listener');
    const queued = await sockets.connectUnix(fullPath);
    const queuedClosed = closed(queued);
    const pending = sockets.connectUnix(fullPath);
    pending.catch(() => {});

    expect(agents).toHaveLength(1);
    agents[0]?.kill('SIGKILL');
    await expect(within(pending, 'the pending connect')).rejects.toThrow(/full\.sock.*socket agent exited/);
    expect(await within(outgoingClosed, 'outgoing close')).toBeInstanceOf(Error);
    expect(await within(incomingClosed, 'incoming close')).toBeInstanceOf(Error);
    expect(await within(queuedClosed, 'queued close')).toMatchObject({ message: expect.stringMatching(/socket agent exited with code 137/) });
    expect(outgoing.destroyed && incoming.destroyed).toBe(true);

    // A killed agent could not unlink its socket: the file is left, and nobody listens there.
    await expect(sockets.connectUnix(listenPath)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(agents).toHaveLength(2);
    const again = await sockets.connectUnix(path);
    expect(again.destroyed).toBe(false);
    again.destroy();
  });

  it('close() unlinks every listening socket and ends the agent', async () => {
    const paths = [join(dir, 'one.sock'), join(dir, 'two.sock')];
    for (const path of paths) await sockets.listenUnix(path, 0o600, () => {});
    const echoPath = join(dir, 'echo.sock');
    await nodeServer(echoPath, () => {});
    const open = await sockets.connectUnix(echoPath);
    const openClosed = closed(open);
    await sockets.close();
    for (const path of paths) await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await agents[0]?.exited).toBe(0);
    // Closed on purpose: the stream ends without an error nobody may be listening for.
    expect(await within(openClosed, 'the open stream')).toBeUndefined();
    expect(open.destroyed).toBe(true);
    await expect(sockets.connectUnix(echoPath)).rejects.toThrow(/closed/);
  });
});
