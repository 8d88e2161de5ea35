import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';

const deflate = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

// ID1 ID2, deflate, no flags, no mtime (so the same bytes always give the same digest), no extra flags, OS unknown.
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
const BLOCK_BYTES = 1024 * 1024;

/**
 * Gzips a stream on several threads, as pigz does: the input is cut into blocks, each deflated on its
 * own (zlib's thread pool), the blocks joined in order into one ordinary gzip member, every block but
 * the last ended with a sync flush so they join on byte boundaries. A layer that does not compress
 * goes about as many times faster as there are cores; it costs a little ratio, as no block looks back
 * into the one before. The same input always gives the same bytes.
 */
export function parallelGzip(source: AsyncIterable<Buffer>, options: { blockBytes?: number; concurrency?: number } = {}): Readable {
  const blockBytes = options.blockBytes ?? BLOCK_BYTES;
  const concurrency = options.concurrency ?? Math.max(1, Math.min(4, availableParallelism()));
  return Readable.from(gzipBlocks(source, blockBytes, concurrency), { objectMode: false });
}

async function* gzipBlocks(source: AsyncIterable<Buffer>, blockBytes: number, concurrency: number): AsyncGenerator<Buffer> {
  yield HEADER;
  let crc = 0;
  let size = 0;
  const pending: Promise<Buffer>[] = [];
  let held: Buffer[] = [];
  let heldBytes = 0;
  const start = (block: Buffer, last: boolean): void => {
    crc = crc32(block, crc);
    size += block.length;
    // Room for the whole block's output in one chunk: zlib's 16 KiB would make a round trip to this thread per 16 KiB.
    const deflated = deflate(block, { finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH, chunkSize: block.length + 64 * 1024 });
    // Awaited in order below; meanwhile a failure must not count as unhandled.
    deflated.catch(() => undefined);
    pending.push(deflated);
  };
  for await (const chunk of source) {
    held.push(chunk);
    heldBytes += chunk.length;
    while (heldBytes >= blockBytes) {
      const all = Buffer.concat(held, heldBytes);
      start(all.subarray(0, blockBytes), false);
      held = [all.subarray(blockBytes)];
      heldBytes -= blockBytes;
      if (pending.length >= concurrency) yield await pending.shift()!;
    }
  }
  start(Buffer.concat(held, heldBytes), true);
  for (const deflated of pending) yield await deflated;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}
