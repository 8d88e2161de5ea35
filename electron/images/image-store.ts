import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import type { PruneReport, PruneRequest } from '../../shared/disk-usage.js';
import type { Image, ImageStep, PullPolicy, PullProgress, PushProgress, PushResult, RegistryCredentials } from '../../shared/images.js';
import type { Host } from '../host/host.js';
import { packTar, type TarItem } from '../streams/pack-tar.js';
import { ContentStore } from './content-store.js';
import { hexOf } from './digest.js';
import { ImageRecords } from './image-records.js';
import { LayerStore } from './layer-store.js';
import { loadArchive, REF_NAME, type ArchiveSource, type LoadOptions } from './load-archive.js';
import { freedBytes, imageSize, totalSize, type Footprints } from './image-footprint.js';
import { imageSteps } from './image-history.js';
import { defaultPlatform, MediaType, parseConfig, parseManifest, toImageConfig, type OciConfig, type Platform } from './manifest.js';
import { download, pullImage, type FetchedImage, type PullContext } from './pull-image.js';
import { pushImage } from './push-image.js';
import { familiarReference, formatReference, parseReference, repositoryName, tryNormaliseReference, type Reference } from './reference.js';
import { RegistryClient } from './registry-client.js';

export interface ImageStoreOptions {
  host: Host;
  /** Engine-side directory for blobs and image records. */
  home: string;
  /** Normalised (or familiar) reference -> OCI archive path, loaded instead of pulled, e.g. the hello image. */
  bundled?: Record<string, string>;
  /** The account saved for a registry as references name it (`docker.io`, `localhost:5000`), if any. */
  credentials?: (domain: string) => Promise<RegistryCredentials | undefined>;
  /** Registries (`host:port`) that may be spoken to over plain HTTP; defaults to BERTH_INSECURE_REGISTRIES. */
  insecureRegistries?: string[];
  /** Platform picked from multi-platform images; defaults to Linux on this machine's architecture. */
  platform?: Platform;
  /** Most bytes one layer may decompress to; defaults to DEFAULT_MAX_LAYER_BYTES. */
  maxLayerBytes?: number;
  /** Called whenever an image record is added, changed or removed, whatever made the change. */
  changed?: () => void;
}

type Listener = (progress: PullProgress) => void;

const EPOCH = new Date(0).toISOString();

/**
 * Images: pulled from registries or loaded from archives, recorded by config digest, their
 * layers unpacked on the host. Blobs and records live engine-side; layers live host-side.
 */
export class ImageStore {
  private readonly content: ContentStore;
  private readonly layers: LayerStore;
  private readonly records: ImageRecords;
  private readonly bundled = new Map<string, string>();
  private readonly clients = new Map<string, RegistryClient>();
  private readonly pins = new Map<string, number>();
  /** Images a run has resolved and not yet recorded its container for (`ensureHeld`): remove and prune leave them. */
  private readonly holds = new Map<string, number>();
  private readonly inFlight = new Map<string, { promise: Promise<Image>; listeners: Set<Listener> }>();
  private readonly context: PullContext;
  private lock: Promise<unknown> = Promise.resolve();
  private tidied: Promise<void> | undefined;

  constructor(private readonly options: ImageStoreOptions) {
    this.content = new ContentStore(options.home);
    this.layers = new LayerStore(options.host, { maxLayerBytes: options.maxLayerBytes });
    this.records = new ImageRecords(options.home, options.changed ?? (() => {}));
    for (const [reference, path] of Object.entries(options.bundled ?? {})) this.bundled.set(formatReference(parseReference(reference)), path);
    this.context = {
      client: (domain) => this.client(domain),
      content: this.content,
      layers: this.layers,
      platform: options.platform ?? defaultPlatform(),
      // Replaced per pull or load by pinned().
      pin: () => undefined,
      discard: (digest) => this.discard(digest),
    };
  }

  /**
   * Fetches the image from its registry (layers already unpacked are reused) and records it;
   * a bundled reference loads from its archive instead, so it works offline as `run` does.
   */
  pull(reference: string, onProgress?: (p: PullProgress) => void, credentials?: RegistryCredentials): Promise<Image> {
    const parsed = parseReference(reference);
    const name = formatReference(parsed);
    const archive = this.bundled.get(name);
    if (archive !== undefined) return this.shared(`load ${name}`, onProgress, () => this.loadBundled(parsed, archive));
    return this.shared(`pull ${name}`, onProgress, async (emit) => {
      await this.tidy();
      return this.pinned(async (context) => this.record(await pullImage({ ...context, client: (domain) => this.client(domain, credentials) }, parsed, emit), [name]));
    });
  }

  /** The image under `policy`: 'missing' pulls (or loads a bundled archive) only when absent. */
  async ensure(reference: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<Image> {
    await this.tidy();
    // An image id names a local image only: there is nothing to pull it by.
    if (/^sha256:|^[a-f0-9]{64}$/.test(reference)) {
      const image = await this.resolve(reference);
      if (image && (await this.repairLayers(image))) return image;
      throw new BerthError('IMAGE_NOT_FOUND', `image "${reference}" not found`);
    }
    const parsed = parseReference(reference);
    const name = formatReference(parsed);
    if (policy !== 'always') {
      // As typed, so a short id prefix finds its image too.
      const present = await this.resolve(reference);
      if (present && (await this.repairLayers(present))) return present;
      if (policy === 'never') {
        throw new BerthError('IMAGE_NOT_FOUND', `image "${familiarReference(parsed)}" is not present and the pull policy is never`);
      }
    }
    return this.pull(name, onProgress);
  }

  /**
   * `ensure`, with the image held against remove and prune until `release`: what a run needs between
   * resolving its image and recording the container made from it. A present image is found and held
   * in one step, under the lock remove and prune take, so neither slips in between; a pulled one is
   * held once recorded, and pulled again should a remove win that race.
   */
  async ensureHeld(reference: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<{ image: Image; release: () => void }> {
    await this.tidy();
    for (let attempt = 1; ; attempt++) {
      const present = policy === 'always' ? undefined : await this.hold((all) => resolveIn(all, reference));
      if (present) {
        if (await this.repairLayers(present.image)) return present;
        present.release();
      }
      const image = await this.ensure(reference, policy, onProgress);
      const held = await this.hold((all) => all.find((other) => other.id === image.id));
      if (held) return held;
      if (attempt >= 3) throw new BerthError('IMAGE_NOT_FOUND', `image "${reference}" was removed while a container was being made from it`);
    }
  }

  /** The image `find` picks, held against remove and prune, found and held under their lock. */
  private hold(find: (all: Image[]) => Image | undefined): Promise<{ image: Image; release: () => void } | undefined> {
    return this.exclusive(async () => {
      const image = find(await this.records.all());
      if (!image) return undefined;
      countUp(this.holds, image.id);
      let released = false;
      const release = () => {
        if (!released) countDown(this.holds, image.id);
        released = true;
      };
      return { image, release };
    });
  }

  async list(): Promise<Image[]> {
    const images = await this.records.all();
    return images.sort((a, b) => (a.names[0] ?? '~' + a.id).localeCompare(b.names[0] ?? '~' + b.id));
  }

  /** By reference (normalised), by digest reference, or by id / unique id prefix (with or without `sha256:`). */
  async resolve(referenceOrId: string): Promise<Image | undefined> {
    return resolveIn(await this.records.all(), referenceOrId);
  }

  /**
   * Removes the name; an image left without names (or removed by id) goes with its unused blobs
   * and layers, unless `isInUse` says a container still needs it. Untagging one of several names
   * is always allowed.
   */
  remove(referenceOrId: string, isInUse?: (imageId: string) => boolean): Promise<Image> {
    return this.exclusive(async () => {
      const all = await this.records.all();
      const image = resolveIn(all, referenceOrId);
      if (!image) throw new BerthError('IMAGE_NOT_FOUND', `image "${referenceOrId}" not found`);
      const name = tryNormaliseReference(referenceOrId);
      const remaining = name !== undefined && image.names.includes(name) ? image.names.filter((n) => n !== name) : [];
      if (remaining.length > 0) {
        const kept = { ...image, names: remaining };
        await this.records.save(kept);
        return kept;
      }
      // Asked under the lock, so no record change or collection slips in between check and delete.
      if (isInUse?.(image.id) || this.holds.has(image.id)) {
        throw new BerthError('IMAGE_IN_USE', `image ${referenceOrId} is used by a container`, { fix: 'remove the container first' });
      }
      await this.records.delete(image.id);
      await this.collect(image, all.filter((other) => other.id !== image.id));
      return { ...image, names: [] };
    });
  }

  /** Each image's bytes on disk and the part it shares; every image's bytes counted once, and those the unused ones alone hold. */
  async usage(isInUse: (imageId: string) => boolean): Promise<{ images: { image: Image; size: number; sharedSize: number }[]; total: number; reclaimable: number }> {
    const images = await this.records.all();
    const footprints = await this.footprints(images);
    return {
      images: images.map((image) => ({ image, ...imageSize(footprints, image.id) })),
      total: totalSize(footprints),
      reclaimable: freedBytes(footprints, images.filter((image) => !isInUse(image.id)).map((image) => image.id)),
    };
  }

  /**
   * Removes the dangling images (with `all`, every image), except those `isInUse` keeps, and the
   * blobs and layers only they had; a dry run only says what would go and the bytes it would free.
   */
  prune(request: PruneRequest, isInUse: (imageId: string) => boolean): Promise<PruneReport> {
    return this.exclusive(async () => {
      const all = await this.records.all();
      const doomed = all.filter((image) => (request.all || image.names.length === 0) && !isInUse(image.id) && !this.holds.has(image.id));
      const held = new Set([...this.pins.keys()].flatMap((digest) => [`blob:${digest}`, `gz:${digest}`, `layer:${digest}`]));
      const spaceReclaimed = freedBytes(await this.footprints(all), doomed.map((image) => image.id), held);
      if (!request.dryRun) {
        const kept = all.filter((image) => !doomed.includes(image));
        for (const image of doomed) await this.records.delete(image.id);
        for (const image of doomed) await this.collect(image, kept);
      }
      return { removed: doomed.map((image) => image.id), spaceReclaimed };
    });
  }

  /** What each image is made of on disk: its blobs (and their gzip forms) engine-side, its unpacked layers host-side. */
  private async footprints(images: readonly Image[]): Promise<Footprints> {
    const partsOf = new Map<string, string[]>();
    const bytes = new Map<string, number>();
    for (const image of images) {
      const blobs = await this.blobsOf(image);
      for (const digest of blobs) {
        bytes.set(`blob:${digest}`, await fileSize(this.content.path(digest)));
        bytes.set(`gz:${digest}`, await fileSize(join(this.compressedDir, hexOf(digest))));
      }
      partsOf.set(image.id, [...blobs.flatMap((digest) => [`blob:${digest}`, `gz:${digest}`]), ...image.layers.map((diffId) => `layer:${diffId}`)]);
    }
    const diffIds = [...new Set(images.flatMap((image) => image.layers))];
    const sizes = await this.layers.sizes(diffIds);
    diffIds.forEach((diffId, index) => bytes.set(`layer:${diffId}`, sizes[index] ?? 0));
    return { partsOf, bytes };
  }

  /** How the image was made, oldest step first, with each layer's unpacked size. */
  async history(referenceOrId: string): Promise<{ id: string; steps: ImageStep[] }> {
    const image = await this.resolve(referenceOrId);
    if (!image) throw new BerthError('IMAGE_NOT_FOUND', `image "${referenceOrId}" not found`);
    const sizes = await this.layers.sizes(image.layers);
    // A config blob gone missing still leaves the layers to show.
    const config: OciConfig = (await this.content.has(image.id)) ? parseConfig(await this.content.read(image.id), image.id) : { rootfs: { type: 'layers', diff_ids: image.layers } };
    return { id: image.id, steps: imageSteps(config, sizes, image.created) };
  }

  /** Loads an OCI or `docker save` archive, offline: a file, or a stream (a build's result) as it comes. */
  async load(archive: ArchiveSource, options: LoadOptions = {}): Promise<Image[]> {
    await this.tidy();
    return this.pinned(async (context) => {
      const loaded = await loadArchive(context, archive, options);
      const images: Image[] = [];
      for (const image of loaded) images.push(await this.record(image, image.names));
      return images;
    });
  }

  /** Gives the image more names (Docker's tag), moving each off any image that had it. */
  tag(referenceOrId: string, names: readonly string[]): Promise<Image> {
    return this.exclusive(async () => {
      const all = await this.records.all();
      const image = resolveIn(all, referenceOrId);
      if (!image) throw new BerthError('IMAGE_NOT_FOUND', `image "${referenceOrId}" not found`);
      const parsed = names.map((name) => parseReference(name));
      const pinned = parsed.find((reference) => reference.digest !== undefined);
      if (pinned) throw new BerthError('INVALID_REFERENCE', `${familiarReference(pinned)} names a digest: a tag cannot`);
      return this.addNames(all, image, parsed.map((reference) => formatReference(reference)));
    });
  }

  /**
   * The image as an OCI archive, streamed: oci-layout, an index naming it `name`, and its manifest,
   * config and layer blobs as stored. The builder takes its base images from here.
   */
  async exportArchive(image: Image, name: string): Promise<Readable> {
    const manifest = await this.content.read(image.manifestDigest);
    const layers = await this.layerBlobs(image);
    if (!layers || !(await this.content.has(image.id))) throw new BerthError('IMAGE_NOT_FOUND', `the blobs of image ${familiarReference(parseReference(name))} are gone`, { fix: 'pull it again' });
    const mediaType = (JSON.parse(manifest.toString()) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
    const index = { schemaVersion: 2, manifests: [{ mediaType, digest: image.manifestDigest, size: manifest.length, annotations: { [REF_NAME]: name } }] };
    const blob = async (digest: string): Promise<TarItem> => ({
      header: { name: `blobs/sha256/${hexOf(digest)}`, size: (await stat(this.content.path(digest))).size, mode: 0o644 },
      body: () => this.content.open(digest),
    });
    const file = (name: string, text: string): TarItem => ({ header: { name, size: Buffer.byteLength(text), mode: 0o644 }, body: Buffer.from(text) });
    const items = [file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'), file('index.json', JSON.stringify(index))];
    for (const digest of [image.manifestDigest, image.id, ...new Set(layers)]) items.push(await blob(digest));
    return packTar(items);
  }

  /**
   * Sends the image named `reference` to its registry (Docker's push): the blobs it lacks, then the
   * manifest; the image's blobs stay pinned meanwhile, so a remove cannot take them mid-push.
   */
  async push(reference: string, onProgress?: (p: PushProgress) => void, credentials?: RegistryCredentials): Promise<PushResult> {
    await this.tidy();
    const parsed = parseReference(reference);
    if (parsed.digest !== undefined) throw new BerthError('INVALID_REFERENCE', `${familiarReference(parsed)} names a digest: push a tag`);
    const image = (await this.records.all()).find((candidate) => candidate.names.includes(formatReference(parsed)));
    if (!image) throw new BerthError('IMAGE_NOT_FOUND', `no image is named ${familiarReference(parsed)}`, { fix: `tag one with: berth tag IMAGE ${familiarReference(parsed)}` });
    return this.pinned(async (context) => {
      context.pin(await this.blobsOf(image));
      await this.restoreBlobs(image);
      const client = await this.client(parsed.domain, credentials);
      return pushImage({ client, content: this.content, compressedDir: this.compressedDir }, image, parsed, onProgress);
    });
  }

  /**
   * Fetches the layer blobs the image lacks from the registries it is named in. A pull does not
   * download a layer already unpacked for another image, so its compressed form may never have come.
   */
  private async restoreBlobs(image: Image): Promise<void> {
    const manifest = parseManifest(await this.content.read(image.manifestDigest), undefined, image.id);
    if (manifest.kind !== 'manifest') return;
    for (const layer of manifest.manifest.layers) {
      if (await this.content.has(layer.digest)) continue;
      for (const name of image.names) {
        const origin = parseReference(name);
        const what = `layer ${layer.digest.slice(7, 19)} of ${familiarReference(origin)}`;
        const fetched = await this.client(origin.domain).then((client) => download({ content: this.content }, client, origin.path, layer, what, () => undefined)).then(
          () => true,
          () => false,
        );
        if (fetched) break;
      }
    }
  }

  /** Checks an account with the registry, as `docker login` does, without keeping anything. */
  async checkLogin(domain: string, credentials: RegistryCredentials): Promise<void> {
    await this.newClient(domain, credentials).checkLogin();
  }

  /** Host-side unpacked layer directories, bottom first. */
  layerPaths(image: Image): string[] {
    return image.layers.map((diffId) => this.layers.path(diffId));
  }

  private async loadBundled(reference: Reference, archive: string): Promise<Image> {
    const name = formatReference(reference);
    const images = await this.load(archive, { repository: repositoryName(reference) });
    const named = images.find((image) => image.names.includes(name));
    if (named) return named;
    const only = images.length === 1 ? images[0] : undefined;
    if (!only) throw new BerthError('IMAGE_NOT_FOUND', `bundled archive ${archive} holds no image named ${familiarReference(reference)}`);
    return this.exclusive(async () => this.addNames(await this.records.all(), only, [name]));
  }

  /** Records a fetched image under `names`, moving each name off any image that had it. */
  private record(fetched: FetchedImage, names: string[]): Promise<Image> {
    return this.exclusive(async () => {
      const all = await this.records.all();
      const existing = all.find((image) => image.id === fetched.configDigest);
      const image: Image = {
        id: fetched.configDigest,
        names: existing?.names ?? [],
        manifestDigest: fetched.manifestDigest,
        layers: fetched.config.rootfs.diff_ids,
        size: fetched.size,
        created: fetched.config.created ?? EPOCH,
        config: toImageConfig(fetched.config),
      };
      const indexDigest = fetched.indexDigest ?? existing?.indexDigest;
      if (indexDigest) image.indexDigest = indexDigest;
      return this.addNames(all, image, names);
    });
  }

  /** Call with the lock held. An image a name moves away from stays, nameless, until removed. */
  private async addNames(all: Image[], image: Image, names: string[]): Promise<Image> {
    for (const other of all) {
      if (other.id === image.id || !other.names.some((n) => names.includes(n))) continue;
      await this.records.save({ ...other, names: other.names.filter((n) => !names.includes(n)) });
    }
    const updated = { ...image, names: [...new Set([...image.names, ...names])] };
    await this.records.save(updated);
    return updated;
  }

  /** Deletes the blobs and layers of a removed image that no other image or running pull uses. */
  private async collect(image: Image, others: Image[]): Promise<void> {
    const usedBlobs = new Set<string>();
    const usedLayers = new Set<string>();
    for (const other of others) {
      for (const digest of await this.blobsOf(other)) usedBlobs.add(digest);
      for (const diffId of other.layers) usedLayers.add(diffId);
    }
    for (const digest of await this.blobsOf(image)) {
      if (usedBlobs.has(digest) || this.pins.has(digest)) continue;
      await this.content.remove(digest);
      await rm(join(this.compressedDir, hexOf(digest)), { force: true });
    }
    for (const diffId of new Set(image.layers)) {
      if (!usedLayers.has(diffId) && !this.pins.has(diffId)) await this.layers.remove(diffId);
    }
  }

  private async blobsOf(image: Image): Promise<string[]> {
    const digests = [image.id, image.manifestDigest, ...((await this.layerBlobs(image)) ?? [])];
    if (image.indexDigest) digests.push(image.indexDigest);
    return digests;
  }

  /** The compressed layer blobs, bottom first, as the stored manifest names them. */
  private async layerBlobs(image: Image): Promise<string[] | undefined> {
    if (!(await this.content.has(image.manifestDigest))) return undefined;
    try {
      const parsed = parseManifest(await this.content.read(image.manifestDigest), undefined, image.id);
      return parsed.kind === 'manifest' ? parsed.manifest.layers.map((layer) => layer.digest) : undefined;
    } catch {
      // An unreadable manifest names no layers to keep or to delete.
      return undefined;
    }
  }

  /** True when every layer is unpacked, re-unpacking from stored blobs where a layer went missing. */
  private async repairLayers(image: Image): Promise<boolean> {
    const missing: number[] = [];
    for (const [index, diffId] of image.layers.entries()) if (!(await this.layers.has(diffId))) missing.push(index);
    if (missing.length === 0) return true;
    const blobs = await this.layerBlobs(image);
    if (!blobs || blobs.length !== image.layers.length) return false;
    for (const index of missing) {
      const digest = blobs[index] as string;
      if (!(await this.content.has(digest))) return false;
      await this.layers.ensure(image.layers[index] as string, { open: async () => this.content.open(digest), what: `layer ${digest.slice(7, 19)}` });
    }
    return true;
  }

  /** Once per store, before its first pull or load: clear what a crashed engine left half done. */
  private tidy(): Promise<void> {
    this.tidied ??= Promise.all([this.layers.clearTemp(), this.content.clearTemp()]).then(() => undefined);
    return this.tidied;
  }

  /** A client for the registry with the account given, else the one saved; one per account, so tokens are reused. */
  private async client(domain: string, given?: RegistryCredentials): Promise<RegistryClient> {
    const credentials = given ?? (await this.options.credentials?.(domain));
    const key = JSON.stringify([domain, credentials?.username, credentials?.password]);
    let client = this.clients.get(key);
    if (!client) {
      client = this.newClient(domain, credentials);
      this.clients.set(key, client);
    }
    return client;
  }

  private newClient(domain: string, credentials: RegistryCredentials | undefined): RegistryClient {
    return new RegistryClient({ domain, ...(credentials ? { credentials } : {}), ...(this.options.insecureRegistries ? { insecure: this.options.insecureRegistries } : {}) });
  }

  /** The gzip forms of layers stored uncompressed, remembered by the pushes that made them. */
  private get compressedDir(): string {
    return join(this.options.home, 'compressed');
  }

  /**
   * Runs a pull or load whose blobs and layers stay pinned (safe from a concurrent remove's
   * collection) until it has recorded its image, or failed.
   */
  private async pinned<T>(work: (context: PullContext) => Promise<T>): Promise<T> {
    const held: string[] = [];
    const pin = (digests: readonly string[]): void => {
      for (const digest of digests) {
        countUp(this.pins, digest);
        held.push(digest);
      }
    };
    try {
      return await work({ ...this.context, pin });
    } finally {
      for (const digest of held) countDown(this.pins, digest);
    }
  }

  /** Drops a blob whose layer was refused, unless a recorded image or another pull holds it. */
  private discard(digest: string): Promise<void> {
    return this.exclusive(async () => {
      // The pull that refused it holds one pin.
      if ((this.pins.get(digest) ?? 0) > 1) return;
      for (const image of await this.records.all()) if ((await this.blobsOf(image)).includes(digest)) return;
      await this.content.remove(digest);
    });
  }

  /** Record changes and collection run one at a time. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Concurrent pulls of one reference share the work; each caller still gets the progress. */
  private shared(key: string, onProgress: Listener | undefined, work: (emit: Listener) => Promise<Image>): Promise<Image> {
    let flight = this.inFlight.get(key);
    if (!flight) {
      const listeners = new Set<Listener>();
      const emit: Listener = (progress) => {
        for (const listener of listeners) {
          try {
            listener(progress);
          } catch {
            // A failing progress consumer must not fail the pull.
          }
        }
      };
      const promise = work(emit).finally(() => this.inFlight.delete(key));
      flight = { promise, listeners };
      this.inFlight.set(key, flight);
    }
    if (onProgress) flight.listeners.add(onProgress);
    return flight.promise;
  }
}

function resolveIn(images: Image[], input: string): Image | undefined {
  const hex = /^(sha256:)?([a-f0-9]{1,64})$/.exec(input);
  if (hex?.[2]?.length === 64) return images.find((image) => image.id === `sha256:${hex[2]}`);
  let reference: Reference | undefined;
  if (!hex?.[1]) {
    try {
      reference = parseReference(input);
    } catch (err) {
      if (!hex) throw err;
    }
  }
  if (reference) {
    const name = formatReference(reference);
    const named = images.find((image) => image.names.includes(name));
    if (named) return named;
    const digest = reference.digest;
    if (digest) {
      const repository = repositoryName(reference);
      const byDigest = images.find(
        (image) =>
          (image.manifestDigest === digest || image.indexDigest === digest) &&
          (image.names.length === 0 || image.names.some((n) => repositoryName(parseReference(n)) === repository)),
      );
      if (byDigest) return byDigest;
    }
  }
  if (!hex) return undefined;
  const prefix = `sha256:${hex[2] ?? ''}`;
  const matches = images.filter((image) => image.id.startsWith(prefix));
  if (matches.length > 1) throw new BerthError('INVALID_REFERENCE', `image id prefix "${input}" is ambiguous: it matches ${matches.length} images`);
  return matches[0];
}

/** A file's bytes; 0 for one not there. */
async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** One more holder of `key`. */
function countUp(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** One holder of `key` fewer; gone at none. */
function countDown(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
