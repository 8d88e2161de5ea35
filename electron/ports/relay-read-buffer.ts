import type { RelayLimits } from './relay-limits.js';

/** Bytes of grown read buffers across all connections of one relay, kept under a limit. */
export class ReadBufferBudget {
  private used = 0;

  constructor(private readonly limit: number) {}

  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }

  get usedBytes(): number {
    return this.used;
  }
}

/**
 * The buffer one direction of a connection reads into, reused for every read (no allocation per
 * chunk). Interactive traffic keeps the small first buffer; a read that fills it means bulk, and
 * the next read gets a larger one: fewer, larger reads are what bulk throughput needs.
 */
export class ReadBuffer {
  private current: Buffer;
  /** Bytes above the first size, charged to the budget. */
  private charged = 0;

  constructor(
    private readonly limits: Pick<RelayLimits, 'firstReadBufferBytes' | 'largestReadBufferBytes'>,
    private readonly budget: ReadBufferBudget,
  ) {
    // Slow: a buffer of its own, never a slice of Node's shared pool that others write to.
    this.current = Buffer.allocUnsafeSlow(limits.firstReadBufferBytes);
  }

  /** The buffer for the next read, given how many bytes the last read brought. */
  next(lastRead: number): Buffer {
    const size = this.current.length;
    if (lastRead < size || size >= this.limits.largestReadBufferBytes) return this.current;
    const grown = Math.min(size * 4, this.limits.largestReadBufferBytes);
    const extra = grown - this.limits.firstReadBufferBytes - this.charged;
    if (!this.budget.take(extra)) return this.current;
    this.charged += extra;
    // The old buffer may still back a pending write: it is dropped, never reused.
    this.current = Buffer.allocUnsafeSlow(grown);
    return this.current;
  }

  /** Gives the grown bytes back to the budget when the connection is gone. */
  release(): void {
    this.budget.give(this.charged);
    this.charged = 0;
  }
}
