import { appendFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { LocalHost } from '../host/local/local-host.js';
import { followLog, readLog } from './container-log.js';

describe('container log reading', () => {
  let dir: TempDir;
  let host: LocalHost;
  const limits = { maxBytes: 100, keep: 2 };

  beforeEach(async () => {
    dir = await makeTempDir('berth-log-');
    host = new LocalHost(dir.path);
  });
  afterEach(() => dir.remove());

  it('reads rotated files oldest first, then the live one, and tails across them', async () => {
    const path = `${dir.path}/container.log`;
    await writeFile(`${path}.2`, 'one\n');
    await writeFile(`${path}.1`, 'two\n');
    await writeFile(path, 'three\n');
    expect((await readLog(host, path, limits)).toString()).toBe('one\ntwo\nthree\n');
    expect((await readLog(host, path, limits, 2)).toString()).toBe('two\nthree\n');
    expect((await readLog(host, `${dir.path}/missing.log`, limits)).toString()).toBe('');
  });

  it('follows from the start of the history into what is written next', async () => {
    const path = `${dir.path}/container.log`;
    await writeFile(`${path}.1`, 'old\n');
    await writeFile(path, 'live\n');
    // A live process stands in for the supervisor; when it ends, the follower ends too.
    const supervisor = host.spawn(['sleep', '30']);
    await writeFile(`${dir.path}/supervisor.pid`, String(supervisor.pid));
    const follower = followLog(host, path, limits, `${dir.path}/supervisor.pid`);
    let seen = '';
    const done = new Promise<void>((resolve) =>
      follower.stdout?.on('data', (b: Buffer) => {
        seen += b.toString();
        if (seen.includes('next\n')) resolve();
      }),
    );
    await appendFile(path, 'next\n');
    await done;
    supervisor.kill('SIGTERM');
    await follower.exited;
    expect(seen).toBe('old\nlive\nnext\n');
  });
});
