/**
 * Frames of `[type u8][length u32 BE][bytes]`: how the attach agent and the terminal host's streams
 * carry bytes of several kinds over one pipe or socket, with no encoding of the bytes themselves.
 */
export function encodeFrame(type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(5 + data.length);
  frame.writeUInt8(type, 0);
  frame.writeUInt32BE(data.length, 1);
  data.copy(frame, 5);
  return frame;
}

/** Cuts a byte stream back into frames; a frame longer than `maxBytes` is refused, not buffered. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = Number.MAX_SAFE_INTEGER) {}

  /** The frames `chunk` completes, in order; throws on one over `maxBytes`. */
  push(chunk: Buffer): { type: number; data: Buffer }[] {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: { type: number; data: Buffer }[] = [];
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32BE(1);
      if (length > this.maxBytes) throw new Error(`a frame of ${length} bytes is over the limit of ${this.maxBytes}`);
      if (this.pending.length < 5 + length) break;
      frames.push({ type: this.pending[0]!, data: this.pending.subarray(5, 5 + length) });
      this.pending = this.pending.subarray(5 + length);
    }
    return frames;
  }
}
