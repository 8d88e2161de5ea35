/** A writable as far as waiting for it goes: Node's and tar-stream's alike. */
interface DrainingStream {
  readonly destroyed: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Resolves once a backed-up writable wants more, or is gone (the caller then finds out how it ended). */
export function whenDrained(stream: DrainingStream): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
