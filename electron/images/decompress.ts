import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BerthError } from '../../shared/berth-error.js';
import { binarySizeText } from '../../shared/binary-size.js';
import { decompressZstd } from './zstd-stream.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const BZIP2_MAGIC = Buffer.from('BZh');
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

const MiB = 1024 * 1024;
/** zlib's 16 KiB default would make every later stage run 64 times as often. */
const OUTPUT_CHUNK_BYTES = 1 * MiB;
const GiB = 1024 * MiB;

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
      ? [replayed, createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES })]
      : compression === 'zstd'
        ? [Readable.from(decompressZstd(replayed, what), { objectMode: false })]
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
      callback(new BerthError('UNSAFE_LAYER', `${this.what} decompresses to more than ${binarySizeText(maxBytes)}, the limit for one layer`));
      return;
    }
    if (this.produced > ratioFloorBytes && this.produced > maxRatio * this.consumed()) {
      callback(
        new BerthError(
          'UNSAFE_LAYER',
          `${this.what} is a decompression bomb: ${binarySizeText(this.consumed())} of it expanded past ${binarySizeText(ratioFloorBytes)}, more than ${maxRatio} times as much`,
        ),
      );
      return;
    }
    callback(null, chunk);
  }
}


