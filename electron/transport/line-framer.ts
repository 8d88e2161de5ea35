/** Splits a byte stream into newline-terminated messages, refusing any longer than `maxBytes`. */
export class LineFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Returns the complete lines in `chunk`; throws once a line grows past the limit. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      // A line's end counts too: one completed by this chunk may already be over the limit.
      this.take(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.pending).toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  private take(part: Buffer): void {
    this.pending.push(part);
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.maxBytes) {
      // What was held is dropped, so a caller that keeps pushing does not keep it growing.
      this.pending = [];
      this.pendingBytes = 0;
      throw new Error(`message longer than ${this.maxBytes} bytes`);
    }
  }
}
