import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../e2e/fixtures/temp-dir.js';
import { packTar } from '../../streams/pack-tar.js';
import { pipeIntoProcess } from './local-process.js';

/** Counts the bytes passing, as a digest on the way would see them. */
function counter(): Transform & { bytes: number } {
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      stream.bytes += chunk.length;
      callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  stream.bytes = 0;
  return stream;
}

describe('pipeIntoProcess', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir('berth-pipe-in-');
  });
  afterEach(() => dir.remove());

  // tar exits once it reads its end blocks: an upload whose end comes a moment after its last bytes (a
  // file read to its end, a request body) finds stdin closed before it could end it.
  it('a tar that exits as it reads its end blocks, before its input has ended, succeeded', async () => {
    // Padded to whole 10 KiB records, as Python's tarfile (docker-py's contexts) and GNU tar write them.
    const packed = Buffer.concat(await packTar([{ header: { name: 'Dockerfile', size: 11 }, body: Buffer.from('FROM hello\n') }]).toArray());
    const archive = Buffer.concat([packed, Buffer.alloc(10240 - (packed.length % 10240))]);
    for (let round = 0; round < 5; round++) {
      const upload = new Readable({ read() {} });
      upload.push(archive);
      setTimeout(() => upload.push(null), 100);
      const out = join(dir.path, String(round));
      const made = await pipeIntoProcess(['sh', '-c', 'mkdir "$1" && exec tar -x -C "$1"', 'tar', out], upload);
      expect(made.code, made.stderr.toString()).toBe(0);
      expect(await readFile(join(out, 'Dockerfile'), 'utf8')).toBe('FROM hello\n');
    }
  });

  it('reads and drops what a command that succeeded left unread, so a hash on the way sees every byte', async () => {
    const counted = counter();
    const input = Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 7))).pipe(counted);
    const result = await pipeIntoProcess(['head', '-c', '10'], input);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.length).toBe(10);
    expect(counted.bytes).toBe(64 * 64 * 1024);
  });

  it('stops reading the input of a command that failed early, and answers its exit code', async () => {
    // Endless: a drain here would never end.
    const endless = new Readable({ read() { this.push(Buffer.alloc(64 * 1024)); } });
    const result = await pipeIntoProcess(['sh', '-c', 'head -c 10 >/dev/null; echo no >&2; exit 3'], endless);
    expect(result.code).toBe(3);
    expect(result.stderr.toString()).toBe('no\n');
    expect(endless.destroyed).toBe(true);
  });

  it("an input's error is the failure of a command that succeeded", async () => {
    const broken = new Readable({ read() { this.destroy(new Error('the layer is not gzip')); } });
    await expect(pipeIntoProcess(['cat'], broken)).rejects.toThrow('the layer is not gzip');
  });

  it('stops the command when aborted: it is sent SIGTERM, and what it started reading sees its input end', async () => {
    const endless = new Readable({ read() { this.push(Buffer.alloc(64 * 1024)); } });
    const stop = new AbortController();
    // The shell ignores SIGTERM until cat, its child, reads to the end of its (closed) input.
    const running = pipeIntoProcess(['sh', '-c', 'trap "" TERM; cat >/dev/null; echo input ended'], endless, { signal: stop.signal });
    setTimeout(() => stop.abort(), 200);
    const result = await running;
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.toString()).toBe('input ended\n');
    expect(endless.destroyed).toBe(true);
    // Aborted before it starts: it is stopped at once.
    const early = await pipeIntoProcess(['sleep', '30'], Readable.from([]), { signal: AbortSignal.abort() });
    expect(early.code).toBe(143);
  });
});
