import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OCI_LAYER_GZIP, OCI_LAYER_ZSTD, writeOciLayout } from '../e2e/fixtures/oci-layout.js';
import { runChecked } from './timed-command.js';

export type Compression = 'gzip' | 'zstd';

export interface BenchLayer {
  /** What the layer holds, for tables. */
  label: string;
  /** The uncompressed tar. */
  tar: string;
  diffId: string;
  /** The compressed blob of each variant. */
  blobs: Record<Compression, { path: string; digest: string; size: number }>;
}

const LAYER_MEDIA_TYPES: Record<Compression, string> = { gzip: OCI_LAYER_GZIP, zstd: OCI_LAYER_ZSTD };
const STEP_TIMEOUT_MS = 5 * 60_000;

/**
 * The benchmark's two layers, as real images have them: a Debian base (Berth's own distro rootfs)
 * and an application layer of many small files (this project's node_modules, as a Node app's image
 * holds it). Each is tarred once and compressed both ways, gzip as `docker build` does (level 6)
 * and zstd at its default level, as BuildKit's zstd export does.
 */
export async function makeBenchLayers(workDir: string, distroRootfs: string, appDir: string): Promise<BenchLayer[]> {
  const base = join(workDir, 'base.tar');
  const app = join(workDir, 'app.tar');
  await runChecked(['sh', '-c', 'gzip -dc "$1" > "$2"', 'sh', distroRootfs, base], { timeoutMs: STEP_TIMEOUT_MS });
  await runChecked(['tar', '-c', '-f', app, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', appDir, 'node_modules'], {
    timeoutMs: STEP_TIMEOUT_MS,
  });
  return Promise.all([
    layerOf('debian base', base),
    layerOf('node app', app),
  ]);
}

async function layerOf(label: string, tar: string): Promise<BenchLayer> {
  await Promise.all([
    runChecked(['sh', '-c', 'gzip -6 -n -c "$1" > "$1.gz"', 'sh', tar], { timeoutMs: STEP_TIMEOUT_MS }),
    runChecked(['zstd', '-q', '-3', '-f', tar, '-o', `${tar}.zst`], { timeoutMs: STEP_TIMEOUT_MS }),
  ]);
  const blob = async (path: string) => ({ path, digest: await sha256File(path), size: (await stat(path)).size });
  return { label, tar, diffId: await sha256File(tar), blobs: { gzip: await blob(`${tar}.gz`), zstd: await blob(`${tar}.zst`) } };
}

/** Writes an OCI image layout holding one image per compression, tagged by its name. */
export function writeBenchLayout(layoutDir: string, layers: readonly BenchLayer[]): Promise<void> {
  return writeOciLayout(
    layoutDir,
    (['gzip', 'zstd'] as const).map((compression) => ({
      tag: compression,
      layers: layers.map((layer) => ({ ...layer.blobs[compression], mediaType: LAYER_MEDIA_TYPES[compression], diffId: layer.diffId })),
    })),
  );
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
