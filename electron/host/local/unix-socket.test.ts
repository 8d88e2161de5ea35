import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../e2e/fixtures/temp-dir.js';
import { connectUnixSocket, listenUnixSocket } from './unix-socket.js';

let dir: TempDir;

beforeAll(async () => {
  dir = await makeTempDir('berth-unix-socket-');
});

afterAll(async () => {
  await dir?.remove();
});

describe('listenUnixSocket', () => {
  it.each([0o600, 0o666])('makes the socket file %o as it binds, and leaves the process umask as it was', async (mode) => {
    const umask = process.umask();
    const path = `${dir.path}/s-${mode.toString(8)}.sock`;
    const listener = await listenUnixSocket(path, mode, (stream) => stream.end('hello'));
    try {
      expect(statSync(path).mode & 0o777).toBe(mode);
      expect(process.umask()).toBe(umask);
      const socket = await connectUnixSocket(path);
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
      });
      socket.destroy();
      expect(answer).toBe('hello');
    } finally {
      await listener.close();
    }
  });

  it('says which path it could not listen at, and leaves the umask as it was', async () => {
    const umask = process.umask();
    await expect(listenUnixSocket(`${dir.path}/no-such-dir/s.sock`, 0o600, () => {})).rejects.toThrow(/^cannot listen at .*no-such-dir\/s\.sock: E[A-Z]+$/);
    expect(process.umask()).toBe(umask);
  });
});
