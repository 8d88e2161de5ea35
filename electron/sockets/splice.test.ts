import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { splice } from './splice.js';

/** A caller that asks one question, shuts down its writing, and takes each chunk of the answer slowly. */
function slowCaller(received: Buffer[]): Duplex {
  return new Duplex({
    read() {
      this.push('question');
      this.push(null);
    },
    // A chunk counts once its write completes, as a socket's does when the kernel has taken it.
    write(chunk: Buffer, _encoding, done) {
      setTimeout(() => {
        received.push(chunk);
        done();
      }, 5);
    },
  });
}

/** A server that answers once the question is complete, in several chunks, and then closes. */
function answeringServer(answer: Buffer, chunkSize: number): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _encoding, done) {
      done();
    },
    final(done) {
      for (let at = 0; at < answer.length; at += chunkSize) this.push(answer.subarray(at, at + chunkSize));
      this.push(null);
      done();
    },
  });
}

describe('splice', () => {
  it('lets a slow caller take the whole answer of a side that has already closed', async () => {
    const received: Buffer[] = [];
    const answer = Buffer.alloc(256 * 1024, 'x');
    const caller = slowCaller(received);
    const server = answeringServer(answer, 64 * 1024);
    splice(caller, server);
    await once(caller, 'close');
    expect(server.destroyed).toBe(true);
    expect(Buffer.concat(received).length).toBe(answer.length);
  });

  it('hangs up on the caller when the other side fails', async () => {
    const caller = slowCaller([]);
    const server = answeringServer(Buffer.alloc(0), 1);
    splice(caller, server);
    server.destroy(new Error('the other side failed'));
    await once(caller, 'close');
    expect(caller.destroyed).toBe(true);
  });
});
