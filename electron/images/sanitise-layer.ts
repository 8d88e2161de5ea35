import { Readable } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import { ByteReader } from '../streams/byte-reader.js';
import { LayerPolicy } from './layer-policy.js';
import {
  BLOCK_BYTES,
  decodeHeader,
  decodeLongName,
  decodePax,
  encodeHeader,
  endOfArchive,
  MAX_EXTENSION_BYTES,
  paddingOf,
  type TarHeader,
} from './tar-format.js';

const ZERO_PADDING = Buffer.alloc(BLOCK_BYTES);
/** Body pieces this big go on as they are; smaller ones are joined with their neighbours. */
const DIRECT_BYTES = 64 * 1024;
const BATCH_BYTES = 256 * 1024;

/**
 * Rewrites an uncompressed layer tar into a clean one that GNU tar can extract into an empty
 * directory without touching anything outside it. Only headers are decoded and written anew (by
 * LayerPolicy's rules); file bodies pass through as the views of the input they arrive in, so the
 * check costs per entry, not per byte. The input is read to its end (whoever hashes it sees every
 * byte). Refusals surface as an error on the output.
 */
export function sanitiseLayer(input: Readable, what: string): Readable {
  const output = Readable.from(cleanTar(input, what), { objectMode: false });
  output.on('close', () => input.destroy());
  return output;
}

async function* cleanTar(input: Readable, what: string): AsyncGenerator<Buffer> {
  try {
    yield* cleanEntries(input, what);
  } catch (err) {
    // The policy's refusals and the input's own errors are BerthErrors already; the rest is a malformed tar.
    throw err instanceof BerthError ? err : new BerthError('UNSAFE_LAYER', `${what} is not a valid layer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function* cleanEntries(input: Readable, what: string): AsyncGenerator<Buffer> {
  const reader = new ByteReader(input[Symbol.asyncIterator]() as AsyncIterator<Buffer>, () => new Error('Unexpected end of data'));
  const policy = new LayerPolicy(what);
  const extension = async (size: number): Promise<Buffer> => {
    if (size > MAX_EXTENSION_BYTES) throw new Error(`an extended header of ${size} bytes is larger than the ${MAX_EXTENSION_BYTES} allowed`);
    // Copied: the view would otherwise pin the chunk it lies in until the entry it describes.
    const bytes = Buffer.from(await reader.exact(size));
    await reader.skip(paddingOf(size));
    return bytes;
  };

  const batch = new Batch();
  let global: Record<string, string> = {};
  let local: Record<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.exact(BLOCK_BYTES, true);
    if (!block) break;
    const raw = decodeHeader(block);
    // Zero blocks end the archive; what follows them (filler, most often) is read and hashed all the same.
    if (!raw) continue;
    switch (raw.type) {
      case 'pax-global-header':
        global = { ...global, ...decodePax(await extension(raw.size)) };
        continue;
      case 'pax-header':
        local = decodePax(await extension(raw.size));
        continue;
      case 'gnu-long-path':
        longName = decodeLongName(await extension(raw.size));
        continue;
      case 'gnu-long-link-path':
        longLink = decodeLongName(await extension(raw.size));
        continue;
    }
    const header = withExtensions(raw, { ...global, ...local }, longName, longLink);
    local = longName = longLink = undefined;

    const admission = policy.admit(header);
    if (admission.keep) batch.add(encodeHeader(admission.header));
    if (admission.keep && admission.header.type === 'file') {
      for (let left = header.size; left > 0; ) {
        const part = await reader.upTo(left);
        left -= part.length;
        if (part.length < DIRECT_BYTES) {
          batch.add(part);
          continue;
        }
        const held = batch.take();
        if (held) yield held;
        yield part;
      }
      await reader.skip(paddingOf(header.size));
      batch.add(ZERO_PADDING.subarray(0, paddingOf(header.size)));
    } else {
      await reader.skip(header.size + paddingOf(header.size));
    }
    if (batch.bytes >= BATCH_BYTES) yield batch.take() as Buffer;
  }
  for (const header of policy.finish()) batch.add(encodeHeader(header));
  batch.add(endOfArchive());
  yield batch.take() as Buffer;
}

/** Small pieces (headers, small files, padding) joined, so the stream moves a few large chunks rather than many tiny ones. */
class Batch {
  private parts: Buffer[] = [];
  bytes = 0;

  add(part: Buffer): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.bytes += part.length;
  }

  take(): Buffer | undefined {
    if (this.bytes === 0) return undefined;
    const joined = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return joined;
  }
}

/** A header with what the extended headers before it said: pax records win, then GNU long names. */
function withExtensions(raw: TarHeader, pax: Record<string, string>, longName: string | undefined, longLink: string | undefined): TarHeader {
  const header: TarHeader = { ...raw, name: longName ?? raw.name, linkname: longLink ?? raw.linkname };
  if (Object.keys(pax).length === 0) return header;
  header.pax = pax;
  if (pax.path !== undefined) header.name = pax.path;
  if (pax.linkpath !== undefined) header.linkname = pax.linkpath;
  if (pax.size !== undefined) {
    if (!/^[0-9]{1,16}$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) throw new Error('invalid pax size');
    header.size = Number(pax.size);
  }
  return header;
}
