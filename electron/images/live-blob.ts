import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { whenDrained } from '../streams/when-drained.js';

const CHUNK_BYTES = 1024 * 1024;

/**
 * A blob's bytes handed on as its download writes them, so that a layer unpacks while it arrives
 * rather than after. The reader gets every byte once, in order, at the reader's pace (the download
 * waits for it). Bytes that cannot be handed on in order (a download that resumes an earlier try's
 * partial file starts past what the reader has) are read from the stored blob at the end instead.
 * The stream ends only once the blob is stored under its digest, so a reader never finishes on
 * bytes that turn out wrong.
 */
export class LiveBlob {
  private readonly output = new PassThrough({ highWaterMark: CHUNK_BYTES });
  private delivered = 0;
  private abandoned = false;

  /** The blob's bytes, for one reader. */
  get stream(): Readable {
    return this.output;
  }

  /** Hands on the part of `chunk` (which starts at byte `offset` of the blob) the reader has not had. */
  async write(chunk: Buffer, offset: number): Promise<void> {
    if (this.gone() || offset > this.delivered || offset + chunk.length <= this.delivered) return;
    const fresh = chunk.subarray(this.delivered - offset);
    this.delivered += fresh.length;
    if (!this.output.write(fresh)) await whenDrained(this.output);
  }

  /** Once the blob at `path` is stored and verified: hands on whatever the reader still lacks, then ends. */
  async finish(path: string): Promise<void> {
    if (this.gone()) return;
    for await (const chunk of createReadStream(path, { start: this.delivered, highWaterMark: CHUNK_BYTES })) {
      if (this.gone()) return;
      await this.write(chunk as Buffer, this.delivered);
    }
    this.output.end();
  }

  /** The download failed for good: the reader hears why. */
  fail(error: Error): void {
    if (!this.gone()) this.output.destroy(error);
  }

  /** No one reads (the layer was there after all, or its unpack stopped): the download goes on alone. */
  abandon(): void {
    this.abandoned = true;
    this.output.destroy();
  }

  private gone(): boolean {
    return this.abandoned || this.output.destroyed;
  }
}
