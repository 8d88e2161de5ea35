import type { TerminalSession as SessionInfo } from '../../shared/terminals.js';
import { execExitCode } from '../runtime/exec-status.js';
import type { PtyProcess } from './pty-process.js';
import { Scrollback } from './scrollback.js';

/** Where one attach sends the session's output. */
export interface TerminalSink {
  /** false: the reader is backed up; send nothing more until `drained`. */
  write(data: Buffer): boolean;
  drained(): Promise<void>;
}

/** Largest single item sent to a reader: small chunks are merged up to this, big ones split. */
const ITEM_BYTES = 64 * 1024;
/**
 * What one backed-up reader may have queued while others keep reading. Past it the pty pauses too,
 * so a slow viewer next to a fast one cannot grow the engine's memory.
 */
const READER_BACKLOG_BYTES = 1024 * 1024;

/**
 * What a reader is sent: everything, or (a client reading conmon's socket itself, which has the
 * process's output from there) only what Berth's agent says, such as why the process did not start.
 */
export type ReaderOutput = 'all' | 'notices';

/** One attached reader: its queue of output not yet sent, and whether its transport is backed up. */
class Reader {
  private queue: Buffer[] = [];
  queued = 0;
  backedUp = false;
  private ended = false;
  private finish!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    private readonly sink: TerminalSink,
    readonly output: ReaderOutput,
    private readonly onDrained: () => void,
  ) {}

  push(data: Buffer): void {
    this.queue.push(data);
    this.queued += data.length;
    if (!this.backedUp) this.flush();
  }

  /** No more output will come: resolves `done` once the queue is sent. */
  end(): void {
    this.ended = true;
    if (!this.backedUp) this.flush();
  }

  detach(): void {
    this.queue = [];
    this.queued = 0;
    this.ended = true;
    this.finish();
  }

  private flush(): void {
    while (this.queued > 0) {
      const item = this.take();
      if (!this.sink.write(item)) {
        this.backedUp = true;
        void this.sink.drained().then(() => {
          this.backedUp = false;
          this.flush();
          this.onDrained();
        });
        return;
      }
    }
    if (this.ended) this.finish();
  }

  /** Up to ITEM_BYTES from the front of the queue, merging small chunks into one item. */
  private take(): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    while (this.queue.length > 0 && size < ITEM_BYTES) {
      const next = this.queue[0]!;
      const room = ITEM_BYTES - size;
      if (next.length <= room) {
        parts.push(next);
        size += next.length;
        this.queue.shift();
      } else {
        parts.push(next.subarray(0, room));
        size += room;
        this.queue[0] = next.subarray(room);
      }
    }
    this.queued -= size;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  }
}

/**
 * One interactive shell in a container, owned by the engine: it outlives any window attached to it.
 * Output goes to a bounded scrollback and to every attached reader; when all readers are backed up
 * the pty is paused, so the shell, not the engine, waits.
 */
export class TerminalSession {
  private readonly readers = new Set<Reader>();
  private readonly scrollback: Scrollback;
  private paused = false;
  private exitCode: number | null = null;
  private finish!: (code: number) => void;
  /** Resolves with the exit code once the shell has ended. */
  readonly exited = new Promise<number>((resolve) => (this.finish = resolve));
  /** Times the pty was paused for back-pressure (tests and the bench read it). */
  pauses = 0;

  constructor(
    readonly id: string,
    readonly containerId: string,
    readonly command: string[],
    private size: { cols: number; rows: number },
    private readonly pty: PtyProcess,
    scrollbackBytes: number,
    /** The container's main process rather than a shell run in it. */
    readonly main = false,
    private readonly created = new Date().toISOString(),
  ) {
    this.scrollback = new Scrollback(scrollbackBytes);
    pty.onData((data, notice) => this.output(data, notice));
    pty.onExit((code) => this.ended(code));
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  info(): SessionInfo {
    return { id: this.id, containerId: this.containerId, command: this.command, cols: this.size.cols, rows: this.size.rows, exitCode: this.exitCode, main: this.main, created: this.created };
  }

  /**
   * Replays the scrollback, then streams output until the shell ends (its exit code) or `signal`
   * aborts (null: detached, the shell keeps running).
   */
  async attach(sink: TerminalSink, signal: AbortSignal, output: ReaderOutput = 'all'): Promise<number | null> {
    if (signal.aborted) return null;
    const reader = new Reader(sink, output, () => this.adjustFlow());
    // Replay and subscription happen in one step, so no output falls between them.
    if (output === 'all') for (const chunk of this.scrollback.snapshot()) reader.push(chunk);
    if (!this.running) {
      reader.end();
    } else {
      this.readers.add(reader);
      this.adjustFlow();
    }
    const detach = () => reader.detach();
    signal.addEventListener('abort', detach, { once: true });
    try {
      await reader.done;
    } finally {
      signal.removeEventListener('abort', detach);
      this.readers.delete(reader);
      this.adjustFlow();
    }
    return signal.aborted ? null : this.exitCode;
  }

  write(data: Buffer): void {
    if (this.running) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.running) this.pty.resize(cols, rows);
  }

  /** Lets a process held for a client of its own start. */
  start(): void {
    this.pty.start();
  }

  /** Hangs up the shell; `exited` resolves once it is gone. */
  close(): void {
    if (this.running) this.pty.kill('SIGHUP');
  }

  /** For a shell that ignores the hang-up. */
  kill(): void {
    if (this.running) this.pty.kill('SIGKILL');
  }

  private output(data: Buffer, notice: boolean): void {
    this.scrollback.push(data);
    for (const reader of this.readers) if (notice || reader.output === 'all') reader.push(data);
    this.adjustFlow();
  }

  private ended(code: number): void {
    if (!this.running) return;
    // The runtime's own failure (no such command) shows on the terminal; the code says it like Docker.
    const tail = Buffer.concat(this.scrollback.snapshot().slice(-4)).toString('latin1').slice(-4096);
    this.exitCode = execExitCode(code, tail);
    if (this.paused) this.pty.resume();
    for (const reader of this.readers) reader.end();
    this.finish(this.exitCode);
  }

  /** Pauses when every reader is backed up or one has queued too much; with no reader, reads on into the scrollback. */
  private adjustFlow(): void {
    if (!this.running) return;
    let paced = 0;
    let backedUp = 0;
    let overfull = false;
    // A client reading conmon itself paces the process there, conmon blocking on its socket.
    for (const reader of this.readers) {
      if (reader.output !== 'all') continue;
      paced++;
      if (reader.backedUp) backedUp++;
      if (reader.queued > READER_BACKLOG_BYTES) overfull = true;
    }
    const pause = paced > 0 && (backedUp === paced || overfull);
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) {
      this.pauses++;
      this.pty.pause();
    } else {
      this.pty.resume();
    }
  }
}
