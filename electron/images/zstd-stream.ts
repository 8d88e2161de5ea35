import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { BerthError } from '../../shared/berth-error.js';
import { binarySizeText } from '../../shared/binary-size.js';

const MiB = 1024 * 1024;

/**
 * A decoder allocates a frame's window up front (up to 2 GiB, as its header says), so a tiny frame
 * with a huge window would take that much memory. Encoders default to 8 MiB (klauspost, as
 * BuildKit and containerd use it; the zstd CLI up to level 19); 32 MiB covers up to
 * `zstd --ultra -20`.
 */
export const MAX_ZSTD_WINDOW_BYTES = 32 * MiB;
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
// Skippable frames: 0x184D2A50 to 0x184D2A5F.
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

/** The most a frame may ask for, as the decoders take it: 2^25 = 32 MiB. */
const MAX_WINDOW_LOG = Math.log2(MAX_ZSTD_WINDOW_BYTES);
const OUTPUT_CHUNK_BYTES = 1 * MiB;

/** Node's own zstd (22.15 and later, as Electron ships it), where it is there. */
interface NodeZstd {
  createZstdDecompress(options: { chunkSize: number; params: Record<number, number> }): Transform;
  windowLogMax: number;
}

/**
 * The uncompressed bytes of a zstd stream, decoded by native code: Node's own zstd where the Node
 * running the engine has it, otherwise the `zstd` program. Frames are checked first.
 */
export async function* decompressZstd(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const checked = checkZstdFrames(source, what);
  const native = nodeZstd();
  if (!native) {
    yield* zstdProgram(checked, what);
    return;
  }
  const decoder = native.createZstdDecompress({ chunkSize: OUTPUT_CHUNK_BYTES, params: { [native.windowLogMax]: MAX_WINDOW_LOG } });
  const feeding = pipeline(checked, decoder).then(
    () => undefined,
    (err: unknown) => err,
  );
  // A refused frame fails the source and with it the decoder: the refusal is what the caller hears.
  const failure = async (err?: unknown): Promise<unknown> => {
    const failed = (await feeding) ?? err;
    return failed === undefined || failed instanceof BerthError ? failed : corruptData(what, failed);
  };
  try {
    for await (const chunk of decoder) yield chunk as Buffer;
  } catch (err) {
    throw await failure(err);
  }
  const failed = await failure();
  if (failed !== undefined) throw failed;
}

function nodeZstd(): NodeZstd | undefined {
  const { createZstdDecompress } = zlib as { createZstdDecompress?: NodeZstd['createZstdDecompress'] };
  const windowLogMax = (zlib.constants as { ZSTD_d_windowLogMax?: number }).ZSTD_d_windowLogMax;
  return createZstdDecompress && windowLogMax !== undefined ? { createZstdDecompress, windowLogMax } : undefined;
}

/** Decodes through `zstd -d`, its memory held to the window Berth reads; the process goes when the stream does. */
async function* zstdProgram(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const child = spawn('zstd', ['-d', '-c', '-q', `--memory=${MAX_ZSTD_WINDOW_BYTES / MiB}MB`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // A source that fails (a refused frame, a broken download) is what the caller hears about, not zstd's
  // complaint; zstd failing shows on the writing side only as a broken pipe, so its exit code tells.
  let sourceError: unknown;
  const watched = async function* (): AsyncGenerator<Buffer> {
    try {
      yield* source;
    } catch (err) {
      sourceError = err;
      throw err;
    }
  };
  const feeding = pipeline(watched(), child.stdin).catch(() => {
    child.kill('SIGKILL');
  });
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    await feeding;
    if (sourceError !== undefined) throw sourceError;
    const code = await exited.catch((err: unknown) => {
      throw new BerthError('INTERNAL', `reading ${what} needs the zstd program, which could not be run: ${messageOf(err)}`);
    });
    if (code !== 0) throw corruptData(what, stderr.trim().split('\n').pop() || `zstd exited with ${code}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await feeding;
    await exited.catch(() => undefined);
  }
}

function corruptData(what: string, why: unknown): BerthError {
  return new BerthError('UNSAFE_LAYER', `${what} holds corrupt zstd data: ${messageOf(why)}`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Walks a zstd stream's frame headers, blocks and checksums (RFC 8878) as its chunks go by,
 * unchanged: the decoder gets the bytes as they came, and a frame whose window is past what
 * Berth reads is refused before the decoder sees it.
 */
async function* checkZstdFrames(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const walker = new ZstdFrameWalker(what);
  for await (const chunk of source) {
    walker.push(chunk);
    yield chunk;
  }
  walker.end();
}

type ZstdPart = 'magic' | 'skippable-size' | 'descriptor' | 'frame-header' | 'block-header';

class ZstdFrameWalker {
  private part: ZstdPart = 'magic';
  /** Bytes of the part being read, until `need` of them are there. */
  private held: number[] = [];
  private need = 4;
  /** Bytes to pass over before the next part: a block's or skippable frame's body, a checksum. */
  private skip = 0;
  private descriptor = 0;

  constructor(private readonly what: string) {}

  push(chunk: Buffer): void {
    for (let at = 0; at < chunk.length; ) {
      if (this.skip > 0) {
        const passed = Math.min(this.skip, chunk.length - at);
        this.skip -= passed;
        at += passed;
        continue;
      }
      this.held.push(chunk[at++] as number);
      if (this.held.length === this.need) {
        const bytes = Buffer.from(this.held);
        this.held = [];
        this.step(bytes);
      }
    }
  }

  end(): void {
    if (this.part !== 'magic' || this.held.length > 0 || this.skip > 0) throw this.corrupt('it ends in the middle of a frame');
  }

  private step(bytes: Buffer): void {
    switch (this.part) {
      case 'magic': {
        const kind = bytes.readUInt32LE(0);
        if ((kind & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) return this.next('skippable-size', 4);
        if (kind !== ZSTD_FRAME_MAGIC) throw this.corrupt('a frame does not start with the zstd magic number');
        return this.next('descriptor', 1);
      }
      case 'skippable-size':
        this.skip = bytes.readUInt32LE(0);
        return this.next('magic', 4);
      case 'descriptor': {
        this.descriptor = bytes[0] ?? 0;
        const { singleSegment, dictionaryBytes, contentSizeBytes } = this.frame();
        return this.next('frame-header', (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes);
      }
      case 'frame-header': {
        const { singleSegment, dictionaryBytes, contentSizeBytes, sizeFlag } = this.frame();
        const window = singleSegment ? readLittleEndian(bytes, dictionaryBytes, contentSizeBytes) + (sizeFlag === 1 ? 256 : 0) : windowSize(bytes[0] ?? 0);
        if (window > MAX_ZSTD_WINDOW_BYTES) {
          throw new BerthError('UNSAFE_LAYER', `${this.what} is zstd-compressed with a ${binarySizeText(window)} window, more than the ${binarySizeText(MAX_ZSTD_WINDOW_BYTES)} Berth reads`);
        }
        return this.next('block-header', 3);
      }
      case 'block-header': {
        const value = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16);
        const last = (value & 1) === 1;
        const type = (value >> 1) & 3;
        if (type === 3) throw this.corrupt('a block has the reserved type');
        // An RLE block holds its one repeated byte; raw and compressed ones hold `size` bytes.
        this.skip = (type === 1 ? 1 : value >>> 3) + (last && this.frame().hasChecksum ? 4 : 0);
        return last ? this.next('magic', 4) : this.next('block-header', 3);
      }
    }
  }

  private next(part: ZstdPart, need: number): void {
    this.part = part;
    this.need = need;
  }

  private frame(): { singleSegment: boolean; hasChecksum: boolean; dictionaryBytes: number; contentSizeBytes: number; sizeFlag: number } {
    const singleSegment = (this.descriptor & 0x20) !== 0;
    const sizeFlag = this.descriptor >> 6;
    return {
      singleSegment,
      hasChecksum: (this.descriptor & 0x04) !== 0,
      dictionaryBytes: [0, 1, 2, 4][this.descriptor & 0x03] ?? 0,
      contentSizeBytes: sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag,
      sizeFlag,
    };
  }

  private corrupt(why: string): BerthError {
    return corruptData(this.what, why);
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
