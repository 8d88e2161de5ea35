import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { whenDrained } from '../streams/when-drained.js';

/**
 * A tar-stream parser fed from a Node stream at the pace the parser takes it; a failing input
 * fails the parser, so whoever iterates its entries sees the error.
 */
export function readTar(input: Readable): tar.Extract {
  const extract = tar.extract();
  feed(input, extract).catch((err: unknown) => {
    input.destroy();
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return extract;
}

async function feed(input: Readable, extract: tar.Extract): Promise<void> {
  for await (const chunk of input) {
    if (!extract.write(chunk)) await whenDrained(extract);
    if (extract.destroyed) {
      input.destroy();
      return;
    }
  }
  extract.end(undefined);
}

/** Reads and discards an entry's body. */
export async function skipEntry(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of body) {
    // discarded
  }
}
