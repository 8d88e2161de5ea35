import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Host } from '../electron/host/host.js';
import { LocalHost } from '../electron/host/local/local-host.js';
import { WSL_DATA_ROOT } from '../electron/host/wsl/wsl-host.js';
import { decompress } from '../electron/images/decompress.js';
import { sanitiseLayer } from '../electron/images/sanitise-layer.js';
import { extractArgv, unpackLayer } from '../electron/images/unpack-layer.js';
import type { BenchLayer, Compression } from './pull-image.js';
import { runChecked } from './timed-command.js';

/**
 * One layer's unpack taken apart, each stage on its own, so the split shows where a pull's time
 * goes: `unpack` is Berth's whole pipeline (the stages overlapped), `unpack-wsl` the same into the
 * WSL host (the clean tar through wsl.exe's stdin), `limit` GNU tar's own decompress-and-extract of
 * the same blob.
 */
export const STAGES = ['download', 'decompress', 'hash', 'check', 'extract', 'unpack', 'unpack-wsl', 'limit'] as const;
export type Stage = (typeof STAGES)[number];

const CHUNK_BYTES = 1024 * 1024;
const STEP_TIMEOUT_MS = 5 * 60_000;

export async function timeStages(layer: BenchLayer, compression: Compression, blobUrl: string, scratch: string, wsl: Host): Promise<Record<Stage, number>> {
  const blob = layer.blobs[compression];
  const what = `${layer.label} (${compression})`;
  const downloaded = join(scratch, 'blob');
  const times: Partial<Record<Stage, number>> = {};
  const time = async (stage: Stage, work: () => Promise<unknown>) => {
    await runChecked(['sync']);
    const started = performance.now();
    await work();
    times[stage] = performance.now() - started;
  };
  // Each extraction goes into a directory of its own, gone before the next stage.
  const intoEmptyDir = async (stage: Stage, work: (dir: string) => Promise<unknown>) => {
    const dir = join(scratch, stage);
    await mkdir(dir, { recursive: true });
    try {
      await time(stage, () => work(dir));
    } finally {
      await runChecked(['rm', '-rf', dir]);
    }
  };
  try {
    await time('download', () => fetchTo(blobUrl, downloaded));
    await time('decompress', async () => pipeline(await decompress(createReadStream(blob.path, { highWaterMark: CHUNK_BYTES }), what), discard()));
    await time('hash', async () => {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(layer.tar, { highWaterMark: CHUNK_BYTES })) hash.update(chunk as Buffer);
    });
    await time('check', () => pipeline(sanitiseLayer(createReadStream(layer.tar, { highWaterMark: CHUNK_BYTES }), what), discard()));
    await intoEmptyDir('extract', (dir) => runChecked(['sh', '-c', '"$@" < "$0"', layer.tar, ...extractArgv(dir)], { timeoutMs: STEP_TIMEOUT_MS }));
    const unpack = (host: Host, dir: string) =>
      unpackLayer({ host, blob: createReadStream(blob.path, { highWaterMark: CHUNK_BYTES }), dir, expectedDiffId: layer.diffId, what });
    await intoEmptyDir('unpack', (dir) => unpack(new LocalHost(scratch), dir));
    const inDistro = `${WSL_DATA_ROOT}/bench-unpack`;
    await wsl.mkdir(inDistro);
    try {
      await time('unpack-wsl', () => unpack(wsl, inDistro));
    } finally {
      await wsl.remove(inDistro);
    }
    await intoEmptyDir('limit', (dir) => runChecked(['tar', '-x', compression === 'gzip' ? '-z' : '--zstd', '-f', blob.path, '-C', dir], { timeoutMs: STEP_TIMEOUT_MS }));
  } finally {
    await rm(downloaded, { force: true });
  }
  return times as Record<Stage, number>;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** GETs `url` (a loopback registry's blob) into `file`. */
function fetchTo(url: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
        return;
      }
      pipeline(response, createWriteStream(file)).then(resolve, reject);
    }).on('error', reject);
  });
}
