import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { walkContext } from './build-context.js';

describe('walkContext', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-context-'));
    await mkdir(join(dir, 'big'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM hello\n');
    await writeFile(join(dir, 'small.txt'), 'x'.repeat(1000));
    await writeFile(join(dir, 'big', 'blob.bin'), Buffer.alloc(3 * 2 ** 20));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a context over the limit before anything is sent, naming the limit and the way out', async () => {
    const err = await errorOf(walkContext(dir, 'Dockerfile', 2 ** 20));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.line).toBe(`the build context ${dir} is over 1 MiB: leave files out in .dockerignore, or raise BERTH_BUILD_CONTEXT_LIMIT`);
  });

  it('counts only what .dockerignore lets through, and always the Dockerfile', async () => {
    await writeFile(join(dir, '.dockerignore'), 'big\nDockerfile\n');
    try {
      const names = (await walkContext(dir, 'Dockerfile', 2 ** 20)).map((item) => item.header.name).sort();
      expect(names).toEqual(['.dockerignore', 'Dockerfile', 'small.txt']);
    } finally {
      await rm(join(dir, '.dockerignore'));
    }
  });

  it('refuses what is not a folder', async () => {
    expect((await errorOf(walkContext(join(dir, 'small.txt'), 'Dockerfile', 2 ** 20))).message).toBe(`the build context ${join(dir, 'small.txt')} is not a folder`);
  });
});
