import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from './image-store.js';

const BIG_BYTES = 100 * 1024 * 1024;

let root: string;
let registry: TestRegistry;
let stores = 0;

function newStore(): ImageStore {
  const dir = join(root, `store-${stores++}`);
  return new ImageStore({ host: new LocalHost(join(dir, 'data')), home: join(dir, 'home') });
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: Math.round(performance.now() - start) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-timing-'));
  const layout = join(root, 'layout');
  await buildBusyboxImage(layout, 'small', {});
  // Random bytes do not compress: the layer is as big on the wire as on disk.
  await buildBusyboxImage(layout, 'big', { files: { '/data/random.bin': randomBytes(BIG_BYTES) } });
  registry = await startRegistry();
  await registry.push(layout, 'small', 'timing/app');
  await registry.push(layout, 'big', 'timing/app');
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  if (root) execFileSync('rm', ['-rf', root]);
});

describe('pull time from a loopback registry', () => {
  it('pulls a small image and a large one', async () => {
    const small = await timed(() => newStore().pull(`${registry.host}/timing/app:small`));
    const bigStore = newStore();
    const big = await timed(() => bigStore.pull(`${registry.host}/timing/app:big`));
    const store = newStore();
    await store.pull(`${registry.host}/timing/app:small`);
    // The base layer is shared: only the big layer is fetched.
    const bigOnTop = await timed(() => store.pull(`${registry.host}/timing/app:big`));
    const cached = await timed(() => store.pull(`${registry.host}/timing/app:big`));

    const top = bigStore.layerPaths(big.result).at(-1) as string;
    expect(statSync(join(top, 'data/random.bin')).size).toBe(BIG_BYTES);
    console.log(
      `pull times: small ${small.ms} ms (${small.result.size} B); big ${big.ms} ms (${big.result.size} B); ` +
        `big over cached base ${bigOnTop.ms} ms; big again (all cached) ${cached.ms} ms`,
    );
    // Generous bounds: a hang guard, not a benchmark.
    expect(small.ms).toBeLessThan(10_000);
    expect(big.ms).toBeLessThan(60_000);
  }, 120_000);
});
