import type net from 'node:net';
import type { ReadBuffer } from './relay-read-buffer.js';

/**
 * Moves bytes one way between two sockets with no copy in JavaScript and no allocation per chunk:
 * the source reads into one reused buffer, and the bytes go from it straight to the sink. When the sink cannot take them at once
 * (its kernel buffer is full) the source stops reading until that write is done, since the next
 * read would overwrite the bytes still waiting to be sent.
 */
export class OneWay {
  source: net.Socket | undefined;
  /** Until the sink is there, reads go to `spill`, which must copy what it keeps. */
  sink: net.Socket | undefined;
  private waiting = false;
  private lastRead = 0;

  readonly onread: net.OnReadOpts = {
    buffer: () => this.buffer.next(this.lastRead),
    callback: (bytes, buffer) => this.forward(bytes, buffer),
  };

  constructor(
    private readonly buffer: ReadBuffer,
    /** Keeps a chunk read before the sink exists; answers whether to go on reading. */
    private readonly spill: (chunk: Uint8Array) => boolean,
    /** The sink went away under the source. */
    private readonly broken: () => void,
  ) {}

  private forward(bytes: number, buffer: Uint8Array): boolean {
    this.lastRead = bytes;
    const sink = this.sink;
    if (sink === undefined) return this.spill(buffer.subarray(0, bytes));
    if (sink.destroyed) {
      this.broken();
      return false;
    }
    sink.write(buffer.subarray(0, bytes), this.written);
    // Zero means the kernel took it all during write(): the buffer is free for the next read.
    if (sink.writableLength === 0) return true;
    this.waiting = true;
    return false;
  }

  private readonly written = (error?: Error | null): void => {
    if (!this.waiting) return;
    this.waiting = false;
    if (!error && this.source && !this.source.destroyed) this.source.resume();
  };
}
