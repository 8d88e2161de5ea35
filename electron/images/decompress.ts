import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { BerthError } from '../../shared/errors.js';

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
  const head = await peek(source, 6);
  const compression = detectCompression(head, what);
  if (compression === 'none') return source;
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    // Errors from either side destroy both; the consumer of gunzip sees them.
    pipeline(source, gunzip, () => {});
    return gunzip;
  }
  const zstd = Readable.from(zstdChunks(source), { objectMode: false });
  return zstd;
}

async function* zstdChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // fzstd may reuse memory between pushes: copy each block out.
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  try {
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; at += ZSTD_SLICE) {
        decoder.push(chunk.subarray(at, at + ZSTD_SLICE));
        while (out.length > 0) yield out.shift() as Buffer;
      }
    }
    decoder.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new BerthError('UNSAFE_LAYER', `zstd data is corrupt: ${err instanceof Error ? err.message : String(err)}`);
  }
  while (out.length > 0) yield out.shift() as Buffer;
}

/** Reads at least `bytes` (or all there is) and puts them back, so the stream starts over. */
async function peek(source: Readable, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < bytes) {
    const chunk = await readOnce(source);
    if (chunk === null) break;
    chunks.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) source.unshift(head);
  return head;
}

function readOnce(source: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk: unknown = source.read();
      if (chunk !== null) {
        cleanup();
        resolve(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      } else if (source.readableEnded) {
        cleanup();
        resolve(null);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      source.off('readable', attempt);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    source.on('readable', attempt);
    source.on('end', onEnd);
    source.on('error', onError);
    attempt();
  });
}
