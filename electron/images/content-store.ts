import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import { hexOf } from './digest.js';
import type { LiveBlob } from './live-blob.js';

const READ_CHUNK_BYTES = 1024 * 1024;

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A blob body from a source that can start part-way (an HTTP Range request). */
export interface BlobSource {
  body: Readable;
  /** Where the body starts: the offset asked for, or 0 when the source could only start over. */
  offset: number;
}

export interface IngestOptions {
  /** Size the descriptor promises; a blob that runs past it is refused early. */
  size: number;
  /** Opens the source at `offset` (bytes already on disk from an earlier, interrupted try). */
  open: (offset: number) => Promise<BlobSource>;
  onBytes?: (written: number) => void;
  what: string;
  /** Gets the bytes as they arrive, for an unpack that runs alongside. */
  live?: LiveBlob;
}

/**
 * Blobs (layers, manifests, configs) by digest under `${home}/content/sha256/<hex>`, engine-side.
 * A blob appears under its name only once its bytes hash to it; partial downloads wait in
 * `ingest/` and a later try resumes them.
 */
export class ContentStore {
  readonly root: string;
  private readonly blobs: string;
  private readonly ingestDir: string;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(home: string) {
    this.root = join(home, 'content');
    this.blobs = join(this.root, 'sha256');
    this.ingestDir = join(this.root, 'ingest');
  }

  path(digest: string): string {
    return join(this.blobs, hexOf(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  open(digest: string): Readable {
    // Big reads: every chunk costs each stage after it (decompress, hash, check) a turn.
    return createReadStream(this.path(digest), { highWaterMark: READ_CHUNK_BYTES });
  }

  /** Stores bytes already in memory; with a digest, they must hash to it. Returns the digest. */
  async put(bytes: Buffer, expected?: string): Promise<string> {
    const digest = digestOf(bytes);
    if (expected !== undefined && digest !== expected) {
      throw new BerthError('DIGEST_MISMATCH', `content expected as ${expected} hashes to ${digest}`);
    }
    if (await this.has(digest)) return digest;
    await mkdir(this.blobs, { recursive: true });
    const tmp = join(this.blobs, `.${hexOf(digest)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, this.path(digest));
    } finally {
      await rm(tmp, { force: true });
    }
    return digest;
  }

  /** Downloads a blob into the store unless it is there; concurrent callers share one download. */
  ingest(digest: string, options: IngestOptions): Promise<void> {
    const running = this.inFlight.get(digest);
    if (running) return running;
    const work = this.ingestOnce(digest, options).finally(() => this.inFlight.delete(digest));
    this.inFlight.set(digest, work);
    return work;
  }

  /** Copies a stream of unknown digest in (e.g. a file of an archive) and names it by its hash. */
  async ingestStream(body: AsyncIterable<unknown>): Promise<{ digest: string; size: number; added: boolean }> {
    await mkdir(this.ingestDir, { recursive: true });
    const tmp = join(this.ingestDir, `stream.${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await writeHashed(body, tmp, 'w', hash, (n) => (size += n), Number.POSITIVE_INFINITY);
      const digest = `sha256:${hash.digest('hex')}`;
      if (await this.has(digest)) return { digest, size, added: false };
      await mkdir(this.blobs, { recursive: true });
      await rename(tmp, this.path(digest));
      return { digest, size, added: true };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Drops what a crash left in `ingest/`: copies from archives always, partial downloads once
   * they are too old to be worth resuming. Call before any ingest starts.
   */
  async clearTemp(maxPartialAgeMs = 24 * 60 * 60 * 1000): Promise<void> {
    const names = await readdir(this.ingestDir).catch(() => []);
    for (const name of names) {
      const file = join(this.ingestDir, name);
      const stale = !name.endsWith('.partial') || Date.now() - (await stat(file).catch(() => ({ mtimeMs: 0 }))).mtimeMs > maxPartialAgeMs;
      if (stale) await rm(file, { force: true });
    }
  }

  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  private async ingestOnce(digest: string, options: IngestOptions): Promise<void> {
    if (await this.has(digest)) return;
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.blobs, { recursive: true });
    const partial = join(this.ingestDir, `${hexOf(digest)}.partial`);

    // Resume from what an interrupted try left, re-hashing it first.
    let hash = createHash('sha256');
    let written = await hashExisting(partial, hash);
    if (written > options.size) {
      await rm(partial, { force: true });
      hash = createHash('sha256');
      written = 0;
    }
    if (written < options.size || options.size === 0) {
      const source = await options.open(written);
      if (source.offset !== written) {
        // The source starts over: so do we.
        hash = createHash('sha256');
        written = 0;
      }
      options.onBytes?.(written);
      const onBytes = (n: number): void => {
        written += n;
        options.onBytes?.(written);
      };
      let at = written;
      const live = options.live;
      const tee = live
        ? (bytes: Buffer): Promise<void> => {
            const offset = at;
            at += bytes.length;
            return live.write(bytes, offset);
          }
        : undefined;
      try {
        await writeHashed(source.body, partial, written === 0 ? 'w' : 'a', hash, onBytes, options.size - written, tee);
      } catch (err) {
        if (err instanceof BerthError) {
          await rm(partial, { force: true });
          throw new BerthError('DIGEST_MISMATCH', `${options.what} is larger than the ${options.size} bytes its descriptor says`);
        }
        // Kept: the next try resumes from here.
        throw new BerthError('REGISTRY_ERROR', `download of ${options.what} broke off: ${messageOf(err)}`);
      }
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (written < options.size) {
      // Kept: the next try resumes from here.
      throw new BerthError('REGISTRY_ERROR', `download of ${options.what} ended after ${written} of ${options.size} bytes`);
    }
    if (actual !== digest) {
      await rm(partial, { force: true });
      throw new BerthError('DIGEST_MISMATCH', `${options.what} hashes to ${actual}, not ${digest}`);
    }
    await rename(partial, this.path(digest));
  }
}

/** Appends or writes `body` to `file`, hashing (and passing on to `tee`) as it goes; refuses to go past `limit` bytes. */
async function writeHashed(
  body: AsyncIterable<unknown>,
  file: string,
  flags: 'w' | 'a',
  hash: Hash,
  onBytes: (n: number) => void,
  limit: number,
  tee?: (bytes: Buffer) => Promise<void>,
): Promise<void> {
  const out = createWriteStream(file, { flags });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    out.on('error', reject);
  });
  let total = 0;
  try {
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += bytes.length;
      if (total > limit) {
        throw new BerthError('DIGEST_MISMATCH', 'blob is larger than its descriptor says');
      }
      hash.update(bytes);
      if (!out.write(bytes)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      onBytes(bytes.length);
      await tee?.(bytes);
    }
  } finally {
    out.end();
    await closed;
  }
}

async function hashExisting(file: string, hash: Hash): Promise<number> {
  let size = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return size;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
