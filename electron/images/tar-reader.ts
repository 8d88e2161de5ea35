import type { Readable } from 'node:stream';
import tar from 'tar-stream';

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
    if (!extract.write(chunk)) await drained(extract);
    if (extract.destroyed) {
      input.destroy();
      return;
    }
  }
  extract.end(undefined);
}

type TarWritable = tar.Extract | ReturnType<tar.Pack['entry']>;

/** Resolves once a tar-stream writable wants more, or is gone (the caller then checks). */
export function drained(stream: TarWritable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Reads and discards an entry's body. */
export async function skipEntry(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of body) {
    // discarded
  }
}
