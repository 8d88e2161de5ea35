import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { BerthError } from '../../shared/berth-error.js';
import type { ContentStore } from './content-store.js';
import { decompress, detectCompression, EXPANSION_RATIO_FLOOR_BYTES, MAX_EXPANSION_RATIO, type ExpansionLimits } from './decompress.js';
import {
  checkConfigType,
  checkLayers,
  ImageIndex,
  MAX_DOCUMENT_BYTES,
  MediaType,
  parseConfig,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
} from './manifest.js';
import type { FetchedImage, PullContext } from './pull-image.js';
import { forEachLimit, LAYER_CONCURRENCY } from './pull-image.js';
import { normaliseReference } from './reference.js';
import { skipEntry, readTar } from './tar-reader.js';

export interface LoadedImage extends FetchedImage {
  names: string[];
}

export interface LoadOptions {
  /** Repository for tag-only names (`latest`), as OCI layouts written by skopeo or umoci carry. */
  repository?: string;
}

/** `docker save`'s manifest.json. */
const DockerManifest = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }),
);

/** The OCI annotation that names an image in a layout's index. */
export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const TAG_ONLY = /^[\w][\w.-]{0,127}$/;

type ArchiveFiles = Map<string, { digest: string; size: number }>;

// A compressed archive can be of any size, but no bigger than its compression makes plausible.
const ARCHIVE_LIMITS: ExpansionLimits = {
  maxBytes: Number.POSITIVE_INFINITY,
  maxRatio: MAX_EXPANSION_RATIO,
  ratioFloorBytes: EXPANSION_RATIO_FLOOR_BYTES,
};

/** An archive to load: a file, or a stream (a builder's output) and what to call it in errors. */
export type ArchiveSource = string | { stream: Readable; what: string };

/**
 * Loads an OCI archive (oci-layout + index.json) or a `docker save` archive (manifest.json):
 * every file goes into the content store as it streams by, then the images are put together
 * and their layers unpacked. No network.
 */
export async function loadArchive(ctx: Omit<PullContext, 'client'>, archive: ArchiveSource, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const what = typeof archive === 'string' ? `archive ${posix.basename(archive.replace(/\\/g, '/'))}` : archive.what;
  const added = new Set<string>();
  const files: ArchiveFiles = new Map();
  try {
    await readArchive(ctx.content, archive, what, files, added, ctx.pin);
    const images = files.has('manifest.json')
      ? await dockerImages(ctx.content, files, what)
      : files.has('index.json')
        ? await ociImages(ctx, files, what, options)
        : undefined;
    if (!images) throw new BerthError('INVALID_ARGUMENT', `${what} has neither index.json (OCI) nor manifest.json (docker save)`);

    for (const image of images) {
      checkLayers(image.layers, image.config, what);
      const diffIds = image.config.rootfs.diff_ids;
      ctx.pin(diffIds);
      await forEachLimit(image.layers, LAYER_CONCURRENCY, async (layer, index) => {
        if (!(await ctx.content.has(layer.digest))) throw new BerthError('INVALID_ARGUMENT', `${what} lacks layer ${layer.digest}`);
        await ctx.layers.ensure(diffIds[index] as string, {
          open: async () => ctx.content.open(layer.digest),
          what: `layer ${layer.digest.slice(7, 19)} of ${what}`,
        });
      });
    }

    // Files of the archive no image uses (docker save's legacy json, other platforms) go again.
    const used = new Set(images.flatMap((i) => [i.manifestDigest, i.configDigest, i.indexDigest ?? '', ...i.layers.map((l) => l.digest)]));
    for (const digest of added) if (!used.has(digest)) await ctx.content.remove(digest);
    return images;
  } catch (err) {
    for (const digest of added) await ctx.content.remove(digest);
    throw err;
  }
}

async function readArchive(
  content: ContentStore,
  archive: ArchiveSource,
  what: string,
  files: ArchiveFiles,
  added: Set<string>,
  pin: PullContext['pin'],
): Promise<void> {
  let source;
  try {
    source = await decompress(typeof archive === 'string' ? createReadStream(archive) : archive.stream, what, ARCHIVE_LIMITS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('INVALID_ARGUMENT', `${what} does not exist: ${typeof archive === 'string' ? archive : what}`);
    throw err;
  }
  try {
    for await (const entry of readTar(source)) {
      const name = posix.normalize(entry.header.name.replace(/^\/+/, '')).replace(/\/+$/, '');
      if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
        await skipEntry(entry);
        continue;
      }
      const stored = await content.ingestStream(entry);
      // Pinned at once, so a concurrent remove cannot collect a blob this load is about to use.
      pin([stored.digest]);
      if (stored.added) added.add(stored.digest);
      const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      if (named && stored.digest !== `sha256:${named[1]}`) {
        throw new BerthError('DIGEST_MISMATCH', `${what}: ${name} hashes to ${stored.digest}`);
      }
      files.set(name, { digest: stored.digest, size: stored.size });
    }
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new BerthError('INVALID_ARGUMENT', `${what} is not a readable image archive: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function ociImages(ctx: Omit<PullContext, 'client'>, files: ArchiveFiles, what: string, options: LoadOptions): Promise<LoadedImage[]> {
  const indexFile = files.get('index.json');
  if (!indexFile) return [];
  const parsedIndex = ImageIndex.safeParse(parseJson(await document(ctx.content, indexFile.digest, `${what}: index.json`), `${what}: index.json`));
  if (!parsedIndex.success) throw new BerthError('INVALID_ARGUMENT', `${what}: index.json is not an OCI image index`);

  const byManifest = new Map<string, LoadedImage>();
  for (const entry of parsedIndex.data.manifests) {
    const names = namesOf(entry, options.repository, what);
    let indexDigest: string | undefined;
    let manifestDigest = entry.digest;
    let parsed = parseManifest(await document(ctx.content, entry.digest, what), entry.mediaType, what);
    if (parsed.kind === 'index') {
      indexDigest = entry.digest;
      const chosen = selectPlatform(parsed.index, ctx.platform, what);
      manifestDigest = chosen.digest;
      parsed = parseManifest(await document(ctx.content, chosen.digest, what), chosen.mediaType, what);
      if (parsed.kind !== 'manifest') throw new BerthError('INVALID_ARGUMENT', `${what}: an index points at another index`);
    }
    const known = byManifest.get(manifestDigest);
    if (known) {
      known.names = [...new Set([...known.names, ...names])];
      continue;
    }
    const image = await assemble(ctx.content, parsed.manifest, manifestDigest, names, what);
    if (indexDigest) image.indexDigest = indexDigest;
    byManifest.set(manifestDigest, image);
  }
  return [...byManifest.values()];
}

async function dockerImages(content: ContentStore, files: ArchiveFiles, what: string): Promise<LoadedImage[]> {
  const manifestFile = files.get('manifest.json');
  if (!manifestFile) return [];
  const parsed = DockerManifest.safeParse(parseJson(await document(content, manifestFile.digest, `${what}: manifest.json`), `${what}: manifest.json`));
  if (!parsed.success) throw new BerthError('INVALID_ARGUMENT', `${what}: manifest.json is not a docker save manifest`);
  const images: LoadedImage[] = [];
  for (const entry of parsed.data) {
    const configFile = fileOf(files, entry.Config, what);
    const layers: Descriptor[] = [];
    for (const path of entry.Layers) {
      const file = fileOf(files, path, what);
      const head = await readHead(content, file.digest);
      const compression = detectCompression(head, `${what}: ${path}`);
      const mediaType = compression === 'gzip' ? MediaType.ociLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
      layers.push({ mediaType, digest: file.digest, size: file.size });
    }
    // docker save names no manifest: write the OCI manifest the image would have had.
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configFile.digest, size: configFile.size },
      layers,
    };
    const manifestDigest = await content.put(Buffer.from(JSON.stringify(manifest)));
    const names = (entry.RepoTags ?? []).map((tag) => normaliseReference(tag));
    images.push(await assemble(content, manifest, manifestDigest, names, what));
  }
  return images;
}

async function assemble(content: ContentStore, manifest: ImageManifest, manifestDigest: string, names: string[], what: string): Promise<LoadedImage> {
  checkConfigType(manifest, what);
  const config = parseConfig(await document(content, manifest.config.digest, what), what);
  const size = manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  return { manifestDigest, configDigest: manifest.config.digest, config, layers: manifest.layers, size, names };
}

/** Names an index entry gives its image: a full reference, or a tag for `repository`. */
function namesOf(entry: Descriptor, repository: string | undefined, what: string): string[] {
  const full = entry.annotations?.[CONTAINERD_NAME];
  if (full) return [normaliseReference(full)];
  const ref = entry.annotations?.[REF_NAME];
  if (!ref) return [];
  if (/[/:@]/.test(ref)) return [normaliseReference(ref)];
  if (!TAG_ONLY.test(ref)) throw new BerthError('INVALID_REFERENCE', `${what}: image name "${ref}" is neither a reference nor a tag`);
  return repository ? [normaliseReference(`${repository}:${ref}`)] : [];
}

/** An index, manifest or config of the archive: read whole, so refused above the size real ones have. */
async function document(content: ContentStore, digest: string, what: string): Promise<Buffer> {
  if (!(await content.has(digest))) throw new BerthError('INVALID_ARGUMENT', `${what} lacks blob ${digest}`);
  const { size } = await stat(content.path(digest));
  if (size > MAX_DOCUMENT_BYTES) {
    throw new BerthError('INVALID_ARGUMENT', `${what}: ${digest} is larger than the ${MAX_DOCUMENT_BYTES} bytes allowed for a manifest or config`);
  }
  return content.read(digest);
}

function fileOf(files: ArchiveFiles, path: string, what: string): { digest: string; size: number } {
  const file = files.get(posix.normalize(path.replace(/^\/+/, '')));
  if (!file) throw new BerthError('INVALID_ARGUMENT', `${what} lacks ${path}, which its manifest.json names`);
  return file;
}

async function readHead(content: ContentStore, digest: string): Promise<Buffer> {
  for await (const chunk of content.open(digest)) return Buffer.from(chunk as Buffer).subarray(0, 8);
  return Buffer.alloc(0);
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BerthError('INVALID_ARGUMENT', `${what} is not valid JSON`);
  }
}
