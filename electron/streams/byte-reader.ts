/**
 * Reads exact byte counts from a stream of chunks without copying where it can: what lies in one
 * chunk comes back as a view of it, and only a span that straddles chunks is joined.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly endedEarly: () => Error,
  ) {}

  /** `length` bytes; undefined when the source ends before any of them and `atBoundary` allows it. */
  async exact(length: number, atBoundary: true): Promise<Buffer | undefined>;
  async exact(length: number): Promise<Buffer>;
  async exact(length: number, atBoundary = false): Promise<Buffer | undefined> {
    while (this.buffered < length) {
      if (!(await this.fill())) {
        if (atBoundary && this.buffered === 0) return undefined;
        throw this.endedEarly();
      }
    }
    return this.take(length);
  }

  /** Between 1 and `length` bytes, whatever is at hand. */
  async upTo(length: number): Promise<Buffer> {
    if (this.buffered === 0 && !(await this.fill())) throw this.endedEarly();
    return this.take(Math.min(length, (this.chunks[0] as Buffer).length));
  }

  /** Drops `length` bytes. */
  async skip(length: number): Promise<void> {
    for (let left = length; left > 0; ) left -= (await this.upTo(left)).length;
  }

  private async fill(): Promise<boolean> {
    for (;;) {
      const next = await this.source.next();
      if (next.done) return false;
      if (next.value.length === 0) continue;
      this.chunks.push(next.value);
      this.buffered += next.value.length;
      return true;
    }
  }

  private take(length: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= length) {
      this.consume(length);
      return first.subarray(0, length);
    }
    const parts: Buffer[] = [];
    for (let need = length; need > 0; ) {
      const chunk = this.chunks[0] as Buffer;
      const part = chunk.subarray(0, need);
      parts.push(part);
      need -= part.length;
      this.consume(part.length);
    }
    return Buffer.concat(parts, length);
  }

  private consume(length: number): void {
    const first = this.chunks[0] as Buffer;
    if (first.length === length) this.chunks.shift();
    else this.chunks[0] = first.subarray(length);
    this.buffered -= length;
  }
}
