// The socket agent's wire format (the agent itself is in socket-agent-script.ts): frames of
// u8 type, u32 channel, u32 payload length (big-endian), then the payload.

export const FrameType = {
  /** Engine → agent: listen at a path; channel = listener id, payload = u32 mode + path. */
  Listen: 1,
  /** Engine → agent: connect to a path; channel = the new channel, payload = path. */
  Connect: 2,
  /** Engine → agent: stop listening and unlink the socket file; channel = listener id. */
  Unlisten: 3,
  /** Both ways: bytes of a channel. */
  Data: 4,
  /** Both ways: the sender sends no more bytes (engine: end(); agent: the socket read EOF). */
  Eof: 5,
  /** Both ways: payload = u32 count of the channel's bytes the receiver has consumed. */
  Ack: 6,
  /** Engine → agent: drop the socket. Agent → engine: the socket failed, payload = "ENAME text". */
  Close: 7,
  /** Agent → engine: a Listen, Connect or Unlisten succeeded. */
  Ok: 8,
  /** Agent → engine: a Listen or Connect failed, payload = "ENAME text". */
  Err: 9,
  /** Agent → engine: a listener accepted; channel = the new channel, payload = u32 listener id. */
  Accept: 10,
  /** Agent → engine: after Eof, every byte went to the socket and its write side is shut. */
  Shut: 11,
  /** Agent → engine: the first frame, payload = AGENT_HELLO. */
  Hello: 12,
} as const;

export const HEADER_BYTES = 9;
/** Unacknowledged bytes a sender may have out per channel and direction. */
export const WINDOW = 1 << 20;
/** Receivers acknowledge in batches of this many bytes (well under WINDOW, so no one waits for a batch). */
export const ACK_AT = 1 << 18;
/** Largest Data payload. */
export const MAX_DATA = 1 << 16;
/** Largest payload of any frame (a Listen is 4 bytes + a path of up to PATH_MAX). */
export const MAX_FRAME = 1 << 17;
/** Channels the engine opens are 1 .. FIRST_ACCEPTED-1; the agent numbers accepted ones from here on. */
export const FIRST_ACCEPTED = 0x8000_0000;
export const AGENT_HELLO = 'berth-socket-agent 1';
/** Longest path the kernel takes (PATH_MAX, less its NUL). */
const PATH_MAX = 4_095;

export function frameHeader(type: number, channel: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(channel, 1);
  header.writeUInt32BE(length, 5);
  return header;
}

export function encodeFrame(type: number, channel: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([frameHeader(type, channel, payload.length), payload]);
}

/** A path as the agent takes it; checked here, since a NUL or an overlong path cannot mean what was asked. */
export function pathBytes(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (!path.startsWith('/') || path.includes('\0') || bytes.length > PATH_MAX) {
    throw new Error(`not an absolute Linux path of at most ${PATH_MAX} bytes: ${JSON.stringify(path)}`);
  }
  return bytes;
}

/** The agent's "ENAME text" (of an Err or a Close) as an error whose code is ENAME. */
export function agentError(payload: Buffer): NodeJS.ErrnoException {
  const text = payload.toString();
  const space = text.indexOf(' ');
  const code = space > 0 ? text.slice(0, space) : text;
  const error: NodeJS.ErrnoException = new Error(space > 0 ? `${code} (${text.slice(space + 1)})` : code);
  error.code = code;
  return error;
}

export function u32(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32BE(value, 0);
  return buffer;
}

/** The byte stream is not the agent's frames (or is corrupt). */
export class FrameError extends Error {}

/**
 * Cuts a byte stream into frames. A payload that arrives whole within one chunk is handed on as a
 * view of that chunk, so bulk data is not copied; only payloads split across chunks are joined.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly onFrame: (type: number, channel: number, payload: Buffer) => void) {}

  /**
   * Throws FrameError on a frame longer than MAX_FRAME. What onFrame throws (a stream's consumer
   * runs inside push()) is thrown once the whole chunk is parsed, so the stream stays in step.
   */
  feed(chunk: Buffer): void {
    let offset = 0;
    let thrown: { error: unknown } | undefined;
    // Each turn takes at least one byte of the chunk, or completes a frame with an empty payload.
    while (offset < chunk.length || (this.headerBytes === HEADER_BYTES && this.length() === 0)) {
      if (this.headerBytes < HEADER_BYTES) {
        const n = chunk.copy(this.header, this.headerBytes, offset, offset + HEADER_BYTES - this.headerBytes);
        this.headerBytes += n;
        offset += n;
        if (this.headerBytes < HEADER_BYTES) break;
        if (this.length() > MAX_FRAME) throw new FrameError(`a frame of ${this.length()} bytes (at most ${MAX_FRAME})`);
        continue;
      }
      const need = this.length() - this.partBytes;
      const take = Math.min(need, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      if (take < need) {
        this.parts.push(piece);
        this.partBytes += take;
        break;
      }
      const payload = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      const type = this.header.readUInt8(0);
      const channel = this.header.readUInt32BE(1);
      this.headerBytes = 0;
      this.parts = [];
      this.partBytes = 0;
      try {
        this.onFrame(type, channel, payload);
      } catch (error) {
        thrown ??= { error };
      }
    }
    if (thrown) throw thrown.error;
  }

  private length(): number {
    return this.header.readUInt32BE(5);
  }
}
