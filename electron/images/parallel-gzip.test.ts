import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parallelGzip } from './parallel-gzip.js';

const BLOCK = 64 * 1024;

/** Text that compresses, so back-references and block boundaries both matter. */
function compressible(bytes: number): Buffer {
  const line = Buffer.from('berth pushes layers gzipped, block by block, on every core\n');
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, (_, i) => (i % 7 === 0 ? randomBytes(line.length) : line))).subarray(0, bytes);
}

/** The input in uneven chunks, as a file stream would not give it. */
function chunked(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 3) % 40_000 + 1) chunks.push(data.subarray(at, at + n));
  return Readable.from(chunks);
}

describe('parallelGzip', () => {
  it.each([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3.5 * BLOCK])('gives one gzip member that zlib reads back whole (%i bytes)', async (bytes) => {
    for (const data of [compressible(bytes), randomBytes(bytes)]) {
      const zipped = await buffer(parallelGzip(chunked(data), { blockBytes: BLOCK, concurrency: 3 }));
      expect(gunzipSync(zipped).equals(data)).toBe(true);
    }
  });

  it('is read by the gzip tool, and the same input always gives the same bytes', async () => {
    const data = compressible(5 * BLOCK + 123);
    const first = await buffer(parallelGzip(chunked(data), { blockBytes: BLOCK, concurrency: 4 }));
    const second = await buffer(parallelGzip(Readable.from([data]), { blockBytes: BLOCK, concurrency: 1 }));
    expect(second.equals(first)).toBe(true);
    expect(first.length).toBeLessThan(data.length / 2);
    const dir = await mkdtemp(join(tmpdir(), 'berth-pgzip-'));
    try {
      await writeFile(join(dir, 'layer.gz'), first);
      const { stdout } = await promisify(execFile)('gzip', ['-dc', join(dir, 'layer.gz')], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      expect(stdout.equals(data)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails when its input fails', async () => {
    const failing = Readable.from((async function* () {
      yield Buffer.alloc(BLOCK * 2);
      throw new Error('disk went away');
    })());
    await expect(buffer(parallelGzip(failing, { blockBytes: BLOCK }))).rejects.toThrow('disk went away');
  });
});
