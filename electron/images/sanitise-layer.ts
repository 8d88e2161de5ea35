import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import tar from 'tar-stream';
import { BerthError } from '../../shared/errors.js';
import { LayerPolicy, type CleanHeader } from './layer-policy.js';

// tar-stream replaces a falsy mode with 0644/0755 and only encodes the low 12 bits, so a high bit
// keeps a real mode 0 (e.g. /etc/shadow) from turning into 0644.
const KEEP_ZERO_MODE = 0o100000;

/**
 * Rewrites an uncompressed layer tar into a clean one that GNU tar can extract into an empty
 * directory without touching anything outside it. Refusals surface as an error on the output.
 */
export function sanitiseLayer(input: Readable, what: string): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const policy = new LayerPolicy(what);
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    const error = err instanceof BerthError ? err : new BerthError('UNSAFE_LAYER', `${what} is not a valid layer: ${messageOf(err)}`);
    input.destroy();
    extract.destroy(error);
    pack.destroy(error);
  };
  pipeline(input, extract, (err) => {
    if (err) fail(err);
  });

  const run = async (): Promise<void> => {
    for await (const entry of extract) {
      const admission = policy.admit(entry.header);
      if (!admission.keep) {
        await drain(entry);
        continue;
      }
      await writeEntry(pack, admission.header, entry);
    }
    for (const header of policy.finish()) await writeEntry(pack, header, undefined);
    pack.finalize();
  };
  run().catch(fail);
  return Readable.from(pack);
}

function writeEntry(pack: tar.Pack, header: CleanHeader, body: AsyncIterable<Buffer> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const tarHeader = {
      name: header.name === '.' ? './' : header.name,
      type: header.type,
      mode: header.mode | KEEP_ZERO_MODE,
      uid: header.uid,
      gid: header.gid,
      mtime: header.mtime,
      size: header.type === 'file' ? (header.size ?? 0) : 0,
      linkname: header.linkname ?? null,
      devmajor: header.devmajor ?? 0,
      devminor: header.devminor ?? 0,
      // Not in @types/tar-stream, but tar-stream writes these as pax records.
      pax: header.pax,
    };
    const sink = pack.entry(tarHeader, (err) => (err ? reject(err) : resolve()));
    if (header.type !== 'file' || body === undefined) {
      sink.end();
      if (body !== undefined) void drain(body);
      return;
    }
    void copy(body, sink).catch((err: unknown) => {
      sink.destroy(err instanceof Error ? err : new Error(String(err)));
      reject(err);
    });
  });
}

async function copy(body: AsyncIterable<Buffer>, sink: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of body) {
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  sink.end();
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _chunk of body) {
    // discarded
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
