import { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { HostProcess, UnixListener } from '../host.js';
import { ACK_AT, AGENT_HELLO, FIRST_ACCEPTED, FrameDecoder, FrameError, FrameType as T, MAX_DATA, WINDOW, agentError, encodeFrame, frameHeader, pathBytes, u32 } from './agent-frames.js';

/** How long close() waits for the agent to exit after its stdin ends, and again after SIGKILL. */
const EXIT_GRACE_MS = 5_000;
/** The agent's last words kept for the error that reports its death. */
const STDERR_TAIL_BYTES = 2_048;

type Callback = (error?: Error | null) => void;

type Request = { ok: () => void; fail: (error: Error) => void };

/**
 * UNIX sockets inside the distro, reached through the socket agent (socket-agent-script.ts) that
 * `start` runs there: one agent multiplexes every listener and connection over its stdin and
 * stdout. It starts on first use, and again on the next call after it died.
 */
export class DistroSockets {
  private link: AgentLink | undefined;
  private closed = false;

  constructor(private readonly start: () => HostProcess) {}

  async listenUnix(path: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
    return this.agent().listen(pathBytes(path), path, mode, onConnection);
  }

  async connectUnix(path: string): Promise<Duplex> {
    return this.agent().connect(pathBytes(path), path);
  }

  /** Stops the agent (it closes its sockets and unlinks its listeners); later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = undefined;
    await link?.stop();
  }

  private agent(): AgentLink {
    if (this.closed) throw new Error('the distro socket agent is closed');
    if (!this.link || this.link.failure) this.link = new AgentLink(this.start());
    return this.link;
  }
}

/** One running agent: its frames, its channels, its listeners and the requests awaiting a reply. */
class AgentLink {
  failure: Error | undefined;
  private readonly streams = new Map<number, AgentStream>();
  private readonly listeners = new Map<number, { onConnection: (stream: Duplex) => void; label: string; closing?: Promise<void> }>();
  private readonly requests = new Map<number, Request>();
  private readonly decoder = new FrameDecoder((type, channel, payload) => this.frame(type, channel, payload));
  private readonly stdin: NonNullable<HostProcess['stdin']>;
  private nextId = 1;
  private greeted = false;
  private stopping = false;
  private stderrTail = '';

  constructor(private readonly proc: HostProcess) {
    const { stdin, stdout, stderr } = proc;
    if (!stdin || !stdout) {
      proc.kill('SIGKILL');
      throw new Error('the socket agent has no stdin or stdout');
    }
    this.stdin = stdin;
    // A broken pipe is reported by the exit, with the agent's stderr.
    stdin.on('error', () => {});
    stdout.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      try {
        this.decoder.feed(chunk);
      } catch (error) {
        // Anything else came from a stream's consumer: thrown on, as from any 'data' handler.
        if (!(error instanceof FrameError)) throw error;
        this.broken(error.message);
      }
    });
    stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    void proc.exited.then((code) => {
      const said = this.stderrTail.trim();
      this.fail(new Error(this.stopping ? 'the socket agent was closed' : `the socket agent exited with code ${code}${said ? `: ${said}` : ''}`));
    });
  }

  listen(path: Buffer, label: string, mode: number, onConnection: (stream: Duplex) => void): Promise<UnixListener> {
    const id = this.allocate();
    return new Promise((resolve, reject) => {
      const ok = () => {
        // Registered before the next frame is read: an ACCEPT may follow in the same chunk.
        this.listeners.set(id, { onConnection, label });
        resolve({ close: () => this.unlisten(id) });
      };
      const fail = (error: Error) => reject(prefixed(error, `cannot listen at ${label} in the distro`));
      this.request(T.Listen, id, Buffer.concat([u32(mode), path]), { ok, fail });
    });
  }

  connect(path: Buffer, label: string): Promise<Duplex> {
    const id = this.allocate();
    return new Promise((resolve, reject) => {
      // Made before the next frame is read: the peer's first bytes may follow in the same chunk.
      const ok = () => resolve(this.open(id, label));
      const fail = (error: Error) => reject(prefixed(error, `cannot connect to ${label} in the distro`));
      this.request(T.Connect, id, path, { ok, fail });
    });
  }

  send(type: number, channel: number, payload?: Buffer): void {
    if (this.failure) return;
    if (type === T.Data && payload) {
      // Header and bytes go separately, so bulk data is not copied into a frame.
      this.stdin.write(frameHeader(type, channel, payload.length));
      this.stdin.write(payload);
    } else {
      this.stdin.write(encodeFrame(type, channel, payload));
    }
  }

  /** A stream went away on this side: the agent drops its socket (unless it did first). */
  forget(channel: number): void {
    if (this.streams.delete(channel)) this.send(T.Close, channel);
  }

  async stop(): Promise<void> {
    if (this.failure) return; // dead already, or killed for breaking the protocol
    this.stopping = true;
    this.stdin.end();
    if (!(await exitsWithin(this.proc, EXIT_GRACE_MS))) {
      this.proc.kill('SIGKILL');
      await exitsWithin(this.proc, EXIT_GRACE_MS);
    }
    this.fail(new Error('the socket agent was closed'));
    this.release();
  }

  /** Lets go of the agent's pipes: a child it left behind may hold them open, and the engine's event loop with them. */
  private release(): void {
    for (const pipe of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) pipe?.destroy();
  }

  /**
   * The agent is gone: pending calls reject and streams are destroyed, with the error unless the
   * agent was closed on purpose (an 'error' nobody listens for would crash the engine as it stops).
   */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const streams = [...this.streams.values()];
    const requests = [...this.requests.values()];
    this.streams.clear();
    this.requests.clear();
    this.listeners.clear();
    for (const request of requests) request.fail(error);
    for (const stream of streams) stream.destroy(this.stopping ? undefined : error);
  }

  /** The agent said something it should not: nothing it says can be trusted any more. */
  private broken(what: string): void {
    this.fail(new Error(`the socket agent broke its protocol: ${what}`));
    this.proc.kill('SIGKILL');
    this.release();
  }

  private unlisten(id: number): Promise<void> {
    const listener = this.listeners.get(id);
    if (!listener || this.failure) return Promise.resolve();
    // ACCEPTs already on their way are still delivered: the listener goes once the agent says so.
    listener.closing ??= new Promise<void>((resolve) =>
      this.request(T.Unlisten, id, undefined, {
        ok: () => {
          this.listeners.delete(id);
          resolve();
        },
        // The agent died: its listening sockets are closed, so the listener is gone too.
        fail: () => resolve(),
      }),
    );
    return listener.closing;
  }

  private request(type: number, id: number, payload: Buffer | undefined, request: Request): void {
    if (this.failure) return request.fail(this.failure);
    this.requests.set(id, request);
    this.send(type, id, payload);
  }

  private open(channel: number, label: string): AgentStream {
    const stream = new AgentStream(this, channel, label);
    this.streams.set(channel, stream);
    return stream;
  }

  /** A channel or listener number of the engine's range, none in use (ranges wrap after 2^31 - 1). */
  private allocate(): number {
    for (let tries = 0; tries <= this.streams.size + this.listeners.size + this.requests.size; tries++) {
      const id = this.nextId;
      this.nextId = id + 1 >= FIRST_ACCEPTED ? 1 : id + 1;
      if (!this.streams.has(id) && !this.listeners.has(id) && !this.requests.has(id)) return id;
    }
    throw new Error('no free socket agent channel');
  }

  private frame(type: number, channel: number, payload: Buffer): void {
    if (this.failure) return;
    if (!this.greeted) {
      if (type !== T.Hello || payload.toString() !== AGENT_HELLO) return this.broken(`a frame of type ${type} before its greeting`);
      this.greeted = true;
      return;
    }
    if ((type === T.Ack || type === T.Accept) && payload.length !== 4) return this.broken(`a frame of type ${type} with ${payload.length} bytes`);
    const stream = this.streams.get(channel);
    switch (type) {
      case T.Data:
        return stream?.received(payload);
      case T.Ack:
        return stream?.acknowledged(payload.readUInt32BE(0));
      case T.Eof:
        return void stream?.push(null);
      case T.Shut:
        return stream?.shut();
      case T.Close:
        if (!stream) return;
        this.streams.delete(channel);
        return void stream.destroy(prefixed(agentError(payload), `the socket ${stream.label} in the distro failed`));
      case T.Accept: {
        const listener = this.listeners.get(payload.readUInt32BE(0));
        if (!listener) return this.send(T.Close, channel);
        const accepted = this.open(channel, listener.label);
        // Called outside the frame loop, so a handler that throws cannot derail the protocol.
        queueMicrotask(() => listener.onConnection(accepted));
        return;
      }
      case T.Ok:
      case T.Err: {
        const request = this.requests.get(channel);
        this.requests.delete(channel);
        return type === T.Ok ? request?.ok() : request?.fail(agentError(payload));
      }
      default:
        return this.broken(`a frame of unknown type ${type}`);
    }
  }
}

/**
 * One connection through the agent. Each direction has a credit window: bytes from the agent are
 * acknowledged as the reader takes them, and writes wait while the agent holds WINDOW bytes unacknowledged.
 */
class AgentStream extends Duplex {
  /** Bytes the reader took, not yet acknowledged (sent in batches of ACK_AT). */
  private credit = 0;
  /** Bytes pushed while the reader was full: acknowledged when it asks for more. */
  private held = 0;
  private unacked = 0;
  private writing: { chunk: Buffer; offset: number; done: Callback } | undefined;
  private finishing: Callback | undefined;

  constructor(private readonly link: AgentLink, private readonly channel: number, readonly label: string) {
    super({ allowHalfOpen: true });
  }

  received(data: Buffer): void {
    if (this.destroyed) return;
    if (this.push(data)) this.acknowledge(data.length);
    else this.held += data.length;
  }

  acknowledged(count: number): void {
    this.unacked -= count;
    this.pump();
  }

  shut(): void {
    const done = this.finishing;
    this.finishing = undefined;
    done?.();
  }

  override _read(): void {
    const held = this.held;
    this.held = 0;
    this.acknowledge(held);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: Callback): void {
    this.writing = { chunk, offset: 0, done };
    this.pump();
  }

  /** Finished once the agent has written everything to the socket and shut its write side. */
  override _final(done: Callback): void {
    this.finishing = done;
    this.link.send(T.Eof, this.channel);
  }

  override _destroy(error: Error | null, done: Callback): void {
    this.link.forget(this.channel);
    done(error);
  }

  private acknowledge(count: number): void {
    this.credit += count;
    if (this.credit < ACK_AT) return;
    this.link.send(T.Ack, this.channel, u32(this.credit));
    this.credit = 0;
  }

  /** Sends what the window allows of the chunk being written; its callback waits for the rest. */
  private pump(): void {
    const writing = this.writing;
    if (!writing || this.destroyed) return;
    const { chunk } = writing;
    while (writing.offset < chunk.length && this.unacked < WINDOW) {
      const size = Math.min(chunk.length - writing.offset, WINDOW - this.unacked, MAX_DATA);
      this.link.send(T.Data, this.channel, chunk.subarray(writing.offset, writing.offset + size));
      writing.offset += size;
      this.unacked += size;
    }
    if (writing.offset < chunk.length) return;
    this.writing = undefined;
    writing.done();
  }
}

function prefixed(error: NodeJS.ErrnoException, what: string): NodeJS.ErrnoException {
  const wrapped: NodeJS.ErrnoException = new Error(`${what}: ${error.message}`, { cause: error });
  if (error.code !== undefined) wrapped.code = error.code;
  return wrapped;
}

function exitsWithin(proc: HostProcess, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const timeout = delay(ms, false, { signal: timer.signal }).catch(() => false);
  return Promise.race([proc.exited.then(() => true), timeout]).finally(() => timer.abort());
}
