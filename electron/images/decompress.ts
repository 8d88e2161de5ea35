import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { BerthError } from '../../shared/berth-error.js';
import { binarySize } from '../../shared/binary-size.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const BZIP2_MAGIC = Buffer.from('BZh');
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * fzstd allocates a frame's window up front (up to 2 GiB, as its header says) and copies all of it
 * for every block, so a tiny frame with a huge window would stall the engine. Encoders default to
 * 8 MiB (klauspost, as BuildKit and containerd use it; the zstd CLI up to level 19); 32 MiB covers
 * up to `zstd --ultra -20`.
 */
export const MAX_ZSTD_WINDOW_BYTES = 32 * MiB;
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
// Skippable frames: 0x184D2A50 to 0x184D2A5F.
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

/**
 * How far decompression may go before the data counts as a decompression bomb. Checked on the
 * stream as it flows, so a bomb stops before it fills the disk or ties up the engine for long.
 */
export interface ExpansionLimits {
  /** Most uncompressed bytes in all. */
  maxBytes: number;
  /** Past `ratioFloorBytes` of output, the output may be at most this many times the input read. */
  maxRatio: number;
  ratioFloorBytes: number;
}

/**
 * Real layers compress 2-10 fold; gzip tops out near 1000 fold, on runs of zeros. Below the floor
 * any ratio passes (a layer with a zero-filled file of a few hundred MiB is legal, if odd); above
 * it a bomb is caught within a GiB, and a layer of 1+ GiB needs at least 1% of it on the wire.
 */
export const MAX_EXPANSION_RATIO = 100;
export const EXPANSION_RATIO_FLOOR_BYTES = 1 * GiB;
/**
 * Uncompressed size of one layer. The biggest real ones (CUDA toolkits, baked-in model weights)
 * run to tens of GiB; the image store takes another value where a disk calls for it.
 */
export const DEFAULT_MAX_LAYER_BYTES = 64 * GiB;

/** Names the compression from the first bytes; media types are not trusted for this. */
export function detectCompression(head: Buffer, what: string): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  if (head.subarray(0, 3).equals(BZIP2_MAGIC) || head.subarray(0, 6).equals(XZ_MAGIC)) {
    throw new BerthError('UNSAFE_LAYER', `${what} uses a compression Berth does not read (only gzip, zstd or none)`);
  }
  return 'none';
}

/**
 * The uncompressed bytes of `source`, whichever of gzip, zstd or nothing it was packed with;
 * with `limits`, output past them fails the stream with UNSAFE_LAYER.
 */
export async function decompress(source: Readable, what: string, limits?: ExpansionLimits): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < 6) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    have += next.value.length;
  }
  const compression = detectCompression(Buffer.concat(head), what);
  let consumed = 0;
  const replayed = Readable.from(replay(head, ended ? undefined : iterator, (n) => (consumed += n)), { objectMode: false });
  const stages: Readable[] =
    compression === 'gzip'
      ? [replayed, createGunzip()]
      : compression === 'zstd'
        ? [Readable.from(zstdChunks(replayed, what), { objectMode: false })]
        : [replayed];
  if (limits) stages.push(new ExpansionGuard(limits, () => consumed, what));
  const last = stages[stages.length - 1] as Readable;
  // Errors from any stage destroy them all; the consumer of the last one sees them.
  if (stages.length > 1) pipeline(stages, () => {});
  return last;
}

/** The bytes read to sniff the format, then the rest of the source, counted as they go by. */
async function* replay(head: Buffer[], rest: AsyncIterator<Buffer> | undefined, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for (const chunk of head) {
    onBytes(chunk.length);
    yield chunk;
  }
  if (!rest) return;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      onBytes(next.value.length);
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

/** Passes decompressed bytes on while they stay within `limits` of the compressed ones read. */
class ExpansionGuard extends Transform {
  private produced = 0;

  constructor(
    private readonly limits: ExpansionLimits,
    private readonly consumed: () => number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    const { maxBytes, maxRatio, ratioFloorBytes } = this.limits;
    if (this.produced > maxBytes) {
      callback(new BerthError('UNSAFE_LAYER', `${this.what} decompresses to more than ${sizeText(maxBytes)}, the limit for one layer`));
      return;
    }
    if (this.produced > ratioFloorBytes && this.produced > maxRatio * this.consumed()) {
      callback(
        new BerthError(
          'UNSAFE_LAYER',
          `${this.what} is a decompression bomb: ${sizeText(this.consumed())} of it expanded past ${sizeText(ratioFloorBytes)}, more than ${maxRatio} times as much`,
        ),
      );
      return;
    }
    callback(null, chunk);
  }
}

function sizeText(bytes: number): string {
  const { value, unit } = binarySize(bytes);
  return unit === 'B' ? `${value} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

async function* zstdChunks(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // fzstd may reuse memory between pushes: copy each block out.
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  const push = (bytes: Uint8Array, final: boolean): void => {
    try {
      decoder.push(bytes, final);
    } catch (err) {
      throw new BerthError('UNSAFE_LAYER', `${what} holds corrupt zstd data: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  // One block per push: a block decompresses to 128 KiB at most, so output follows demand.
  for await (const segment of zstdSegments(source, what)) {
    push(segment, false);
    while (out.length > 0) yield out.shift() as Buffer;
  }
  push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift() as Buffer;
}

/**
 * A zstd stream cut at its frame headers, blocks and checksums (RFC 8878), each frame's window
 * checked before fzstd sees its header. Every step consumes input, so the loops end with it.
 */
async function* zstdSegments(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const corrupt = (why: string): BerthError => new BerthError('UNSAFE_LAYER', `${what} holds corrupt zstd data: ${why}`);
  const reader = new ByteReader(source[Symbol.asyncIterator](), () => corrupt('it ends in the middle of a frame'));
  for (;;) {
    const magic = await reader.exact(4, true);
    if (!magic) return;
    const kind = magic.readUInt32LE(0);
    if ((kind & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
      const size = await reader.exact(4);
      yield Buffer.concat([magic, size]);
      for (let left = size.readUInt32LE(0); left > 0; ) {
        const part = await reader.upTo(left);
        left -= part.length;
        yield part;
      }
      continue;
    }
    if (kind !== ZSTD_FRAME_MAGIC) throw corrupt('a frame does not start with the zstd magic number');
    const descriptor = (await reader.exact(1))[0] ?? 0;
    const singleSegment = (descriptor & 0x20) !== 0;
    const hasChecksum = (descriptor & 0x04) !== 0;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03] ?? 0;
    const sizeFlag = descriptor >> 6;
    const contentSizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
    const rest = await reader.exact((singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes);
    const window = singleSegment ? readLittleEndian(rest, dictionaryBytes, contentSizeBytes) + (sizeFlag === 1 ? 256 : 0) : windowSize(rest[0] ?? 0);
    if (window > MAX_ZSTD_WINDOW_BYTES) {
      throw new BerthError('UNSAFE_LAYER', `${what} is zstd-compressed with a ${sizeText(window)} window, more than the ${sizeText(MAX_ZSTD_WINDOW_BYTES)} Berth reads`);
    }
    yield Buffer.concat([magic, Buffer.from([descriptor]), rest]);
    for (let last = false; !last; ) {
      const header = await reader.exact(3);
      const value = (header[0] ?? 0) | ((header[1] ?? 0) << 8) | ((header[2] ?? 0) << 16);
      last = (value & 1) === 1;
      const type = (value >> 1) & 3;
      if (type === 3) throw corrupt('a block has the reserved type');
      // An RLE block holds its one repeated byte; raw and compressed ones hold `size` bytes.
      const body = await reader.exact(type === 1 ? 1 : value >>> 3);
      yield Buffer.concat([header, body]);
    }
    if (hasChecksum) yield await reader.exact(4);
  }
}

/** The window a zstd Window_Descriptor byte names. */
function windowSize(byte: number): number {
  const base = 2 ** (10 + (byte >> 3));
  return base + (base / 8) * (byte & 7);
}

function readLittleEndian(bytes: Buffer, offset: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + (bytes[offset + i] ?? 0);
  return value;
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
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
    return this.take(Math.min(length, this.buffered));
  }

  private async fill(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done) return false;
    this.chunks.push(next.value);
    this.buffered += next.value.length;
    return true;
  }

  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    const taken = all.subarray(0, length);
    const left = all.subarray(length);
    this.chunks = left.length > 0 ? [left] : [];
    this.buffered = left.length;
    return taken;
  }
}
