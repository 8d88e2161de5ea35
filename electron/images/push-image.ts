import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import type { Image, PushProgress, PushResult } from '../../shared/images.js';
import type { ContentStore } from './content-store.js';
import { hexOf } from './digest.js';
import { layerProgress } from './layer-progress.js';
import { MediaType, parseManifest, type Descriptor } from './manifest.js';
import { parallelGzip } from './parallel-gzip.js';
import { forEachLimit, LAYER_CONCURRENCY } from './pull-image.js';
import { familiarReference, formatReference, type Reference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

export interface PushContext {
  client: RegistryClient;
  content: ContentStore;
  /** Where the gzip forms of layers stored uncompressed are remembered (their digest and size). */
  compressedDir: string;
}

// Docker's schema 2 names a plain tar layer so; OCI's is MediaType.ociLayer.
const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/**
 * Sends the image to the registry `reference` names: each blob the repository lacks, then the
 * manifest under the tag. Layers stored uncompressed (built or loaded ones) go gzipped (on every
 * core), as docker push sends them; their gzip form is remembered, so a later push finds them there.
 */
export async function pushImage(ctx: PushContext, image: Image, reference: Reference, onProgress?: (p: PushProgress) => void): Promise<PushResult> {
  const what = familiarReference(reference);
  const repository = reference.path;
  const tag = reference.tag ?? 'latest';
  if (!(await ctx.content.has(image.manifestDigest))) throw new BerthError('IMAGE_NOT_FOUND', `the manifest of ${what} is gone`, { fix: 'pull or build it again' });
  const stored = await ctx.content.read(image.manifestDigest);
  const parsed = parseManifest(stored, undefined, what);
  if (parsed.kind !== 'manifest') throw new BerthError('INTERNAL', `${what} is recorded with an index, not a manifest`);
  const { manifest } = parsed;
  const report = layerProgress(formatReference(reference), onProgress, ['pushing']);
  for (const layer of manifest.layers) report(layer, 'preparing', 0);
  for (const layer of manifest.layers) report(layer, 'waiting', 0);

  const sent: Descriptor[] = [...manifest.layers];
  await forEachLimit(manifest.layers, LAYER_CONCURRENCY, async (layer, index) => {
    const onBytes = (n: number): void => report(layer, 'pushing', n);
    const isPlain = layer.mediaType === MediaType.ociLayer || layer.mediaType === DOCKER_LAYER_TAR;
    const outcome = isPlain
      ? await pushCompressed(ctx, repository, layer, manifest.mediaType === MediaType.dockerManifest, onBytes)
      : await pushBlob(ctx, repository, layer, onBytes);
    sent[index] = outcome.descriptor;
    report(layer, outcome.existed ? 'exists' : 'pushed', layer.size);
  });
  await pushBlob(ctx, repository, manifest.config, () => undefined);

  const changed = sent.some((descriptor, index) => descriptor !== manifest.layers[index]);
  // The stored manifest goes as it is (its digest kept) unless a layer went out in another form.
  const bytes = changed ? rewrittenManifest(stored, sent) : stored;
  const digest = await ctx.client.putManifest(repository, tag, bytes, manifest.mediaType ?? MediaType.ociManifest);
  return { reference: formatReference(reference), digest, size: bytes.length };
}

/** A blob sent as stored, unless the repository has it. */
async function pushBlob(ctx: PushContext, repository: string, blob: Descriptor, onBytes: (n: number) => void): Promise<{ descriptor: Descriptor; existed: boolean }> {
  if (await ctx.client.hasBlob(repository, blob.digest)) return { descriptor: blob, existed: true };
  if (!(await ctx.content.has(blob.digest))) {
    throw new BerthError('IMAGE_NOT_FOUND', `layer ${blob.digest.slice(7, 19)} of the image is not stored here, and no registry it is named in could send it`);
  }
  await ctx.client.uploadBlob(repository, piped(ctx.content.open(blob.digest), byteCounter(onBytes)), () => blob.digest);
  return { descriptor: blob, existed: false };
}

/** A plain tar layer, sent gzipped (hashed as it goes); its remembered gzip form first asked for. */
async function pushCompressed(
  ctx: PushContext,
  repository: string,
  layer: Descriptor,
  dockerTypes: boolean,
  onBytes: (n: number) => void,
): Promise<{ descriptor: Descriptor; existed: boolean }> {
  const mediaType = dockerTypes ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip;
  const known = await rememberedForm(ctx.compressedDir, layer.digest);
  if (known && (await ctx.client.hasBlob(repository, known.digest))) return { descriptor: { ...layer, mediaType, ...known }, existed: true };
  const hash = createHash('sha256');
  let size = 0;
  const measured = byteCounter((n) => (size = n), (chunk) => hash.update(chunk));
  let digest = '';
  const body = piped(parallelGzip(piped(ctx.content.open(layer.digest), byteCounter(onBytes))), measured);
  await ctx.client.uploadBlob(repository, body, () => (digest = `sha256:${hash.digest('hex')}`));
  const form = { digest, size };
  await remember(ctx.compressedDir, layer.digest, form);
  return { descriptor: { ...layer, mediaType, ...form }, existed: false };
}

/** Passes bytes on, telling the running count (and each chunk, to hash it). */
function byteCounter(onBytes: (n: number) => void, onChunk?: (chunk: Buffer) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onChunk?.(chunk);
      onBytes(total);
      done(null, chunk);
    },
  });
}

/** The streams joined; a failure anywhere fails the last one, which the upload reads. */
function piped(...streams: [NodeJS.ReadableStream, ...NodeJS.ReadWriteStream[]]): Transform {
  const last = streams[streams.length - 1] as Transform;
  pipeline(streams, () => undefined);
  return last;
}

/** The stored manifest with its layers as they were sent; every other field kept. */
function rewrittenManifest(stored: Buffer, layers: Descriptor[]): Buffer {
  const json = JSON.parse(stored.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...json, layers }));
}

interface CompressedForm {
  digest: string;
  size: number;
}

async function rememberedForm(dir: string, digest: string): Promise<CompressedForm | undefined> {
  try {
    const form = JSON.parse(await readFile(join(dir, hexOf(digest)), 'utf8')) as Partial<CompressedForm>;
    return typeof form.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(form.digest) && typeof form.size === 'number' ? { digest: form.digest, size: form.size } : undefined;
  } catch {
    return undefined;
  }
}

async function remember(dir: string, digest: string, form: CompressedForm): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, hexOf(digest));
  await writeFile(`${path}.tmp`, JSON.stringify(form));
  await rename(`${path}.tmp`, path);
}
