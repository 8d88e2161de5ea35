import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../../build/oci-image.js';
import { tarLayer, writeOciLayout } from '../../e2e/fixtures/oci-layout.js';
import { startRegistry, type TestRegistry } from '../../e2e/fixtures/registry.js';
import { LocalHost } from '../host/local/local-host.js';
import { ImageStore } from './image-store.js';

const BIG_BYTES = 100 * 1024 * 1024;
const MiB = 1024 * 1024;
// Just under 1 GiB of zeros: past 1 GiB a layer this compressible would count as a decompression bomb.
const HUGE_FILE_BYTES = 1023 * MiB;
// Loose: buffering the layer whole would take more than 1 GiB.
const MAX_MEMORY_GROWTH_BYTES = 300 * MiB;

let root: string;
let registry: TestRegistry;
let stores = 0;

function newStore(): ImageStore {
  const dir = join(root, `store-${stores++}`);
  return new ImageStore({ host: new LocalHost(join(dir, 'data')), home: join(dir, 'home') });
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

describe('pulling a large image from a loopback registry', () => {
  it('unpacks a 100 MB layer intact and fetches only the new layer over a cached base', async () => {
    const store = newStore();
    await store.pull(`${registry.host}/timing/app:small`);
    const statuses = new Map<string, string[]>();
    const big = await store.pull(`${registry.host}/timing/app:big`, (p) => {
      statuses.set(p.layer, [...(statuses.get(p.layer) ?? []), p.status]);
    });
    const top = store.layerPaths(big).at(-1) as string;
    expect(statSync(join(top, 'data/random.bin')).size).toBe(BIG_BYTES);
    const [base, added] = [...statuses.values()];
    expect(base?.at(-1)).toBe('cached');
    expect(base).not.toContain('downloading');
    expect(added).toContain('downloading');
    expect(added?.at(-1)).toBe('done');
  }, 120_000);
});

describe('pulling a 1 GiB layer', () => {
  it('streams it through: the memory of the process pulling it stays bounded', async () => {
    const layout = join(root, 'huge-layout');
    const tree = join(root, 'huge');
    mkdirSync(tree);
    execFileSync('truncate', ['-s', String(HUGE_FILE_BYTES), join(tree, 'huge.bin')]);
    await writeOciLayout(layout, [{ tag: 'huge', layers: [await tarLayer(tree, join(root, 'huge.tar.gz'), 1)] }]);
    const reference = await registry.push(layout, 'huge', 'timing/huge');
    const store = newStore();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const image = await store.pull(reference);
      expect(statSync(join(store.layerPaths(image)[0] as string, 'huge.bin')).size).toBe(HUGE_FILE_BYTES);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before).toBeLessThan(MAX_MEMORY_GROWTH_BYTES);
  }, 240_000);
});
