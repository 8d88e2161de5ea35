import type { Duplex } from 'node:stream';

/**
 * Joins two byte streams both ways: each side's end half-closes the other (a client that shuts down
 * its writing still gets the answer). A side that closes after ending both ways leaves the other to
 * deliver what it still holds and close by itself; an error, or a close before both ways ended, ends both.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    a.destroy();
    b.destroy();
  };
  for (const side of [a, b]) {
    side.on('error', end);
    side.on('close', () => {
      if (!(side.readableEnded && side.writableFinished)) end();
    });
  }
}
