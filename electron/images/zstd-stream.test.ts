import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { decompressZstd } from './zstd-stream.js';

const zstd = (input: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input });
const decoded = (input: Buffer): Promise<Buffer> => buffer(Readable.from(decompressZstd(Readable.from([input]), 'test layer')));

describe('decompressZstd', () => {
  it('decodes what the zstd program encodes, in chunks of any size', async () => {
    const plain = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'a')]);
    const packed = zstd(plain);
    const chunks = Array.from({ length: Math.ceil(packed.length / 999) }, (_, i) => packed.subarray(i * 999, (i + 1) * 999));
    expect(await buffer(Readable.from(decompressZstd(Readable.from(chunks), 'test layer')))).toEqual(plain);
  });

  it("refuses corrupt data with the decoder's complaint in one line", async () => {
    const packed = zstd(randomBytes(200_000));
    // A compressed block's contents spoiled; the frame and block headers the walker reads stay intact.
    const spoiled = Buffer.from(packed);
    for (let i = 1000; i < 1100; i++) spoiled[i] = (spoiled[i] ?? 0) ^ 0x5a;
    const err = await errorOf(decoded(Buffer.concat([zstd(Buffer.from('first frame')), spoiled])));
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toMatch(/^test layer holds corrupt zstd data: \S.*$/);
    expect(err.message).not.toMatch(/EPIPE/);
  });

  it('refuses a stream that ends in the middle of a frame', async () => {
    const packed = zstd(randomBytes(200_000));
    const err = await errorOf(decoded(packed.subarray(0, packed.length - 10)));
    expect(err.code).toBe('UNSAFE_LAYER');
    expect(err.message).toBe('test layer holds corrupt zstd data: it ends in the middle of a frame');
  });
});
