import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { whenDrained } from './when-drained.js';

// tar-stream replaces a falsy mode with 0644/0755 and only encodes the low 12 bits, so a high bit
// keeps a real mode 0 (e.g. /etc/shadow) from turning into 0644.
const KEEP_ZERO_MODE = 0o100000;

/** A mode for a tar-stream header that stays what it is, 0 included. */
export function keepZeroMode(mode: number): number {
  return mode | KEEP_ZERO_MODE;
}

/** What tar-stream takes for an entry (it fills in what is left out). */
type EntryHeader = Parameters<tar.Pack['entry']>[0];

/** One tar entry: its header, and its bytes (a file's), given or opened when its turn comes. */
export interface TarItem {
  header: EntryHeader;
  body?: Buffer | (() => Readable);
}

/**
 * A tar of the items, in order, made as it is read: a file's body is opened only when its entry is
 * written, so a large tree streams without being held. A failure ends the stream with that error.
 */
export function packTar(items: AsyncIterable<TarItem> | Iterable<TarItem>): Readable {
  const pack = tar.pack();
  const run = async (): Promise<void> => {
    for await (const item of items) await writeItem(pack, item);
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return Readable.from(pack, { objectMode: false });
}

function writeItem(pack: tar.Pack, item: TarItem): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(item.header, (err) => (err ? reject(err) : resolve()));
    sink.on('error', reject);
    if (item.body === undefined || Buffer.isBuffer(item.body)) {
      sink.end(item.body);
      return;
    }
    const body = item.body();
    const copy = async () => {
      for await (const chunk of body) {
        if (!sink.write(chunk as Buffer)) await whenDrained(sink);
        if (sink.destroyed) throw new Error('the tar entry was closed early');
      }
      sink.end(undefined);
    };
    copy().catch((err: unknown) => {
      body.destroy();
      sink.destroy(err instanceof Error ? err : new Error(String(err)));
      reject(err);
    });
  });
}
