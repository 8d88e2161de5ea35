import { appendFile, open, readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../e2e/fixtures/temp-dir.js';
import { LocalHost } from '../host/local/local-host.js';
import { readLog, rotateLog } from './container-log.js';

describe('container log', () => {
  let dir: TempDir;
  let host: LocalHost;
  const limits = { maxBytes: 100, keep: 2 };

  beforeEach(async () => {
    dir = await makeTempDir('berth-log-');
    host = new LocalHost(dir.path);
  });
  afterEach(() => dir.remove());

  it('rotates past the cap while an O_APPEND writer keeps writing, losing nothing', async () => {
    const path = `${dir.path}/container.log`;
    const writer = await open(path, 'a');
    await writer.write('x'.repeat(99) + '\n');
    await writer.write('first-after-cap\n');
    expect(await rotateLog(host, path, limits)).toBe(true);
    await writer.write('after-rotate\n');
    await writer.close();
    expect(await readFile(path, 'utf8')).toBe('after-rotate\n');
    expect(await readFile(`${path}.1`, 'utf8')).toContain('first-after-cap\n');
    expect((await readLog(host, path, limits)).toString()).toMatch(/first-after-cap\nafter-rotate\n$/);
    expect((await readLog(host, path, limits, 1)).toString()).toBe('after-rotate\n');
  });

  it('keeps at most `keep` rotated files', async () => {
    const path = `${dir.path}/container.log`;
    for (let i = 0; i < 4; i++) {
      await appendFile(path, `${i}`.repeat(120) + '\n');
      await rotateLog(host, path, limits);
    }
    expect((await readFile(`${path}.1`, 'utf8'))[0]).toBe('3');
    expect((await readFile(`${path}.2`, 'utf8'))[0]).toBe('2');
    await expect(readFile(`${path}.3`)).rejects.toThrow();
  });

  it('leaves a small log alone', async () => {
    const path = `${dir.path}/container.log`;
    await appendFile(path, 'short\n');
    expect(await rotateLog(host, path, limits)).toBe(false);
  });
});
