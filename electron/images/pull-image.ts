import { BerthError } from '../../shared/berth-error.js';
import type { PullProgress } from '../../shared/images.js';
import { digestOf, type ContentStore } from './content-store.js';
import type { LayerStore } from './layer-store.js';
import {
  checkConfigType,
  checkLayers,
  MAX_DOCUMENT_BYTES,
  parseConfig,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type OciConfig,
  type Platform,
} from './manifest.js';
import { familiarReference, formatReference, type Reference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { layerProgress } from './layer-progress.js';
import { LiveBlob } from './live-blob.js';

export interface PullContext {
  client(domain: string): Promise<RegistryClient>;
  content: ContentStore;
  layers: LayerStore;
  platform: Platform;
  /**
   * Keeps blobs and layers of a pull in progress from being collected by a concurrent remove,
   * until the caller has recorded the image.
   */
  pin(digests: readonly string[]): void;
  /** Drops a pinned blob whose layer was refused, unless something else still uses it. */
  discard(digest: string): Promise<void>;
}

/** What a pull or a load produced, ready to be recorded. */
export interface FetchedImage {
  manifestDigest: string;
  indexDigest?: string;
  configDigest: string;
  config: OciConfig;
  layers: Descriptor[];
  size: number;
}

/** Layers fetched at once: enough to fill a link, few enough not to thrash a small disk. */
export const LAYER_CONCURRENCY = 3;
const DOWNLOAD_ATTEMPTS = 3;

/** Fetches manifest, config and layers of `reference` and unpacks the layers on the host. */
export async function pullImage(ctx: PullContext, reference: Reference, onProgress?: (p: PullProgress) => void): Promise<FetchedImage> {
  const client = await ctx.client(reference.domain);
  const what = familiarReference(reference);
  const repository = reference.path;
  const name = formatReference(reference);

  const first = await client.manifest(repository, reference.digest ?? reference.tag ?? 'latest', what);
  let fetched = first;
  let indexDigest: string | undefined;
  let parsed = parseManifest(first.bytes, first.contentType, what);
  if (parsed.kind === 'index') {
    indexDigest = first.digest;
    const entry = selectPlatform(parsed.index, ctx.platform, what);
    fetched = await client.manifest(repository, entry.digest, what);
    parsed = parseManifest(fetched.bytes, fetched.contentType, what);
    if (parsed.kind !== 'manifest') throw new BerthError('REGISTRY_ERROR', `${what}: an index points at another index`);
  }
  const manifest: ImageManifest = parsed.manifest;
  checkConfigType(manifest, what);
  // Refused before asking: the registry would only send what the digest check then throws away.
  if (manifest.config.size > MAX_DOCUMENT_BYTES) {
    throw new BerthError('REGISTRY_ERROR', `config of ${what} is larger than the ${MAX_DOCUMENT_BYTES} bytes allowed (its descriptor says ${manifest.config.size})`);
  }

  const configBytes = (await ctx.content.has(manifest.config.digest))
    ? await ctx.content.read(manifest.config.digest)
    : await client.smallBlob(repository, manifest.config.digest, `config of ${what}`);
  const configDigest = digestOf(configBytes);
  if (configDigest !== manifest.config.digest) {
    throw new BerthError('DIGEST_MISMATCH', `config of ${what} hashes to ${configDigest}, not ${manifest.config.digest}`);
  }
  const config = parseConfig(configBytes, what);
  checkLayers(manifest.layers, config, what);

  const diffIds = config.rootfs.diff_ids;
  ctx.pin([fetched.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest), ...diffIds]);
  const report = layerProgress(name, onProgress, ['downloading', 'unpacking']);
  for (const layer of manifest.layers) report(layer, 'waiting', 0);

  await forEachLimit(manifest.layers, LAYER_CONCURRENCY, async (layer, index) => {
    const diffId = diffIds[index] as string;
    const layerWhat = `layer ${layer.digest.slice(7, 19)} of ${what}`;
    if (await ctx.layers.has(diffId)) {
      report(layer, 'cached', layer.size);
      return;
    }
    // A blob not here yet is unpacked as it downloads; the unpack's input ends once the blob is verified.
    const live = (await ctx.content.has(layer.digest)) ? undefined : new LiveBlob();
    let downloaded = false;
    let unpackedBytes = 0;
    // Both started in one turn: a concurrent pull of the same layer then shares both, not one.
    const downloading = download(ctx, client, repository, layer, layerWhat, (n) => report(layer, 'downloading', n), live).then(() => {
      downloaded = true;
      report(layer, 'unpacking', unpackedBytes);
    });
    const unpacking = ctx.layers
      .ensure(diffId, {
        open: async () => live?.stream ?? ctx.content.open(layer.digest),
        what: layerWhat,
        onBytes: (n) => {
          unpackedBytes = n;
          if (downloaded) report(layer, 'unpacking', n);
        },
      })
      .finally(() => live?.abandon());
    const [unpacked, fetched] = await Promise.allSettled([unpacking, downloading]);
    if (fetched.status === 'rejected' || unpacked.status === 'rejected') {
      // A failed download fails the unpack with the same error; a refused unpack leaves the download to finish.
      const err: unknown = fetched.status === 'rejected' ? fetched.reason : (unpacked as PromiseRejectedResult).reason;
      // A refused layer's blob is of no use to a retry: keeping it would only take disk.
      if (err instanceof BerthError && (err.code === 'UNSAFE_LAYER' || err.code === 'DIGEST_MISMATCH')) await ctx.discard(layer.digest);
      throw err;
    }
    const outcome = unpacked.value;
    report(layer, outcome === 'cached' ? 'cached' : 'done', layer.size);
  });

  // Stored last: a failed pull leaves no manifest or config behind, only verified layer blobs.
  await ctx.content.put(configBytes, manifest.config.digest);
  await ctx.content.put(fetched.bytes, fetched.digest);
  if (indexDigest) await ctx.content.put(first.bytes, indexDigest);

  const size = manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  const result: FetchedImage = { manifestDigest: fetched.digest, configDigest: manifest.config.digest, config, layers: manifest.layers, size };
  if (indexDigest) result.indexDigest = indexDigest;
  return result;
}

/** Downloads one blob into the content store, resuming after a broken connection; `live` gets its bytes as they come. */
export async function download(
  ctx: Pick<PullContext, 'content'>,
  client: RegistryClient,
  repository: string,
  layer: Descriptor,
  what: string,
  onBytes: (n: number) => void,
  live?: LiveBlob,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.content.ingest(layer.digest, {
        size: layer.size,
        what,
        onBytes,
        live,
        open: (offset) => client.blob(repository, layer.digest, offset, what),
      });
      await live?.finish(ctx.content.path(layer.digest));
      return;
    } catch (err) {
      const retry = err instanceof BerthError && err.code === 'REGISTRY_ERROR' && attempt < DOWNLOAD_ATTEMPTS;
      if (!retry) {
        live?.fail(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** Runs `task` over `items`, at most `limit` at a time; the first failure is thrown once all stop. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
