import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { BerthError } from '../../shared/berth-error.js';
import { LayerPolicy, type CleanHeader } from './layer-policy.js';
import { whenDrained } from '../streams/when-drained.js';
import { readTar, skipEntry } from './tar-reader.js';

// tar-stream replaces a falsy mode with 0644/0755 and only encodes the low 12 bits, so a high bit
// keeps a real mode 0 (e.g. /etc/shadow) from turning into 0644.
const KEEP_ZERO_MODE = 0o100000;

/** A mode for a tar-stream header that stays what it is, 0 included. */
export function keepZeroMode(mode: number): number {
  return mode | KEEP_ZERO_MODE;
}

/**
 * Rewrites an uncompressed layer tar into a clean one that GNU tar can extract into an empty
 * directory without touching anything outside it. Refusals surface as an error on the output.
 */
export function sanitiseLayer(input: Readable, what: string): Readable {
  const extract = readTar(input);
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

  const run = async (): Promise<void> => {
    for await (const entry of extract) {
      const admission = policy.admit(entry.header);
      if (!admission.keep) {
        await skipEntry(entry);
        continue;
      }
      await writeEntry(pack, admission.header, entry);
    }
    for (const header of policy.finish()) await writeEntry(pack, header, undefined);
    pack.finalize();
  };
  run().catch(fail);
  return Readable.from(pack, { objectMode: false });
}

function writeEntry(pack: tar.Pack, header: CleanHeader, body: AsyncIterable<unknown> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(
      {
        name: header.name === '.' ? './' : header.name,
        type: header.type,
        mode: keepZeroMode(header.mode),
        uid: header.uid,
        gid: header.gid,
        mtime: header.mtime,
        size: header.type === 'file' ? (header.size ?? 0) : 0,
        linkname: header.linkname ?? '',
        devmajor: header.devmajor ?? 0,
        devminor: header.devminor ?? 0,
        pax: header.pax ?? null,
      },
      (err) => (err ? reject(err) : resolve()),
    );
    // A refusal mid-body destroys the pack and with it this entry: its error is the refusal's, and
    // unheard it would be an uncaught exception that takes the engine down.
    sink.on('error', reject);
    if (header.type !== 'file' || body === undefined) {
      sink.end(undefined);
      if (body !== undefined) skipEntry(body).catch(reject);
      return;
    }
    copy(body, sink).catch((err: unknown) => {
      sink.destroy(err instanceof Error ? err : new Error(String(err)));
      reject(err);
    });
  });
}

async function copy(body: AsyncIterable<unknown>, sink: ReturnType<tar.Pack['entry']>): Promise<void> {
  for await (const chunk of body) {
    if (!sink.write(chunk)) await whenDrained(sink);
    if (sink.destroyed) throw new Error('the tar entry was closed early');
  }
  sink.end(undefined);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
