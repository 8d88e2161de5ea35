import { once } from 'node:events';
import type { Container, LogStream } from '../../shared/containers.js';
import type { ParsedRequest } from '../../shared/contract.js';
import type { Host } from '../host/host.js';
import { bundlePaths } from '../runtime/bundle.js';
import { followLog, LogEntryReader, readLog, type LogEntry, type LogLimits } from '../runtime/container-log.js';
import { LogRotation } from '../runtime/log-rotation.js';
import { monitorFiles } from '../runtime/monitor.js';

export interface LogSink {
  /** false: the reader is backed up; stop until `drained`. */
  write(stream: LogStream, data: Buffer): boolean;
  drained(): Promise<void>;
  /** Following: what comes from here on is written from now (what was asked of the past has been sent). */
  live(): void;
}

export type LogOptions = Omit<ParsedRequest<'containers.logs'>, 'id'>;

/** Consecutive entries of one stream go out as one chunk, up to this size. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Serves `logs`: the stored output, and with follow the output as it is written, stdout and stderr
 * apart; and keeps the logs of running containers rotated.
 */
export class ContainerLogs {
  private readonly rotation: LogRotation;

  constructor(
    private readonly host: Host,
    private readonly limits: LogLimits,
    running: () => string[],
    private readonly whenExited: (id: string) => Promise<void>,
  ) {
    this.rotation = new LogRotation(host, limits, running);
    this.rotation.start();
  }

  close(): Promise<void> {
    return this.rotation.stop();
  }

  async stream(container: Container, options: LogOptions, sink: LogSink, signal: AbortSignal): Promise<void> {
    const paths = bundlePaths(this.host.dataRoot, container.id);
    const writer = new EntryWriter(options, sink);
    if (!options.follow || container.state.status !== 'running') {
      writer.write(await readLog(this.host, paths.log, this.limits, options.tail));
      return;
    }
    if (signal.aborted) return;
    // The follower ends by itself once the container's monitor is done and everything is read.
    const follower = followLog(this.host, paths.log, this.limits, (await monitorFiles(this.host, paths)).pidFile, options.tail);
    const stdout = follower.stdout;
    follower.stderr?.once('data', () => sink.live());
    const reader = new LogEntryReader();
    // A slow reader pauses the follower instead of growing the engine's memory.
    stdout?.on('data', (chunk: Buffer) => {
      if (writer.write(reader.push(chunk))) return;
      stdout.pause();
      void sink.drained().then(() => stdout.resume());
    });
    const stop = () => follower.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    // A cancel does not wait for the follower: on the WSL host a killed wsl.exe leaves its Linux
    // process, and our pipe, until its next write fails.
    await Promise.race([follower.exited, once(signal, 'abort')]);
    signal.removeEventListener('abort', stop);
    // The output is complete; answer once the exit is recorded too, so `run` can report its code.
    if (!signal.aborted) await this.whenExited(container.id);
  }
}

/** Filters entries by time, stamps lines when asked, and batches them per stream. */
class EntryWriter {
  private readonly sinceMs: number;
  private readonly untilMs: number;
  /** Whether the next entry begins a line (a partial entry's continuation does not). */
  private lineStart = true;

  constructor(
    private readonly options: LogOptions,
    private readonly sink: LogSink,
  ) {
    this.sinceMs = options.since === undefined ? -Infinity : options.since * 1000;
    this.untilMs = options.until === undefined ? Infinity : options.until * 1000;
  }

  /** false: the sink is backed up. */
  write(entries: LogEntry[]): boolean {
    let ok = true;
    let stream: LogStream | undefined;
    let parts: Buffer[] = [];
    let size = 0;
    const flush = () => {
      if (stream !== undefined && parts.length > 0) ok = this.sink.write(stream, Buffer.concat(parts)) && ok;
      parts = [];
      size = 0;
    };
    for (const entry of entries) {
      const startsLine = this.lineStart;
      this.lineStart = !entry.partial;
      if (!this.inWindow(entry)) continue;
      if (entry.stream !== stream || size >= CHUNK_BYTES) flush();
      stream = entry.stream;
      if (this.options.timestamps && startsLine) parts.push(Buffer.from(`${dockerTime(entry.time)} `));
      parts.push(entry.data);
      size += entry.data.length;
    }
    flush();
    return ok;
  }

  /** Output of an earlier Berth has no time: it is shown unless a window is asked for. */
  private inWindow(entry: LogEntry): boolean {
    if (entry.time === '') return this.options.since === undefined && this.options.until === undefined;
    const ms = Date.parse(entry.time);
    return ms >= this.sinceMs && ms < this.untilMs;
  }
}

/** conmon writes `+00:00`; Docker shows UTC as `Z`. */
function dockerTime(time: string): string {
  return time === '' ? '-' : time.replace(/\+00:00$/, 'Z');
}
