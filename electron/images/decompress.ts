import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { BerthError } from '../../shared/berth-error.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const BZIP2_MAGIC = Buffer.from('BZh');
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

// zstd can expand a few bytes into megabytes: feed it small slices so output follows demand.
const ZSTD_SLICE = 16 * 1024;

/** Names the compression from the first bytes; media types are not trusted for this. */
export function detectCompression(head: Buffer, what: string): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  if (head.subarray(0, 3).equals(BZIP2_MAGIC) || head.subarray(0, 6).equals(XZ_MAGIC)) {
    throw new BerthError('UNSAFE_LAYER', `${what} uses a compression Berth does not read (only gzip, zstd or none)`);
  }
  return 'none';
}

/** The uncompressed bytes of `source`, whichever of gzip, zstd or nothing it was packed with. */
export async function decompress(source: Readable, what: string): Promise<Readable> {
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
  const replayed = Readable.from(replay(head, ended ? undefined : iterator), { objectMode: false });
  if (compression === 'none') return replayed;
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    // Errors from either side destroy both; the consumer of gunzip sees them.
    pipeline(replayed, gunzip, () => {});
    return gunzip;
  }
  return Readable.from(zstdChunks(replayed), { objectMode: false });
}

/** The bytes read to sniff the format, then the rest of the source. */
async function* replay(head: Buffer[], rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  yield* head;
  if (!rest) return;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

async function* zstdChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // fzstd may reuse memory between pushes: copy each block out.
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  const push = (bytes: Uint8Array, final: boolean): void => {
    try {
      decoder.push(bytes, final);
    } catch (err) {
      throw new BerthError('UNSAFE_LAYER', `zstd data is corrupt: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += ZSTD_SLICE) {
      push(chunk.subarray(at, at + ZSTD_SLICE), false);
      while (out.length > 0) yield out.shift() as Buffer;
    }
  }
  push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift() as Buffer;
}
