import { z } from 'zod';

const Bytes = z.number().int().nonnegative();

/** What a prune removed (or, asked dry, would remove) and the bytes that frees. */
export const PruneReport = z.object({
  /** Image ids, container ids, volume names or build cache ids, as Docker's prune lists them. */
  removed: z.array(z.string()),
  spaceReclaimed: Bytes,
});
export type PruneReport = z.infer<typeof PruneReport>;

export const PruneRequest = z.object({
  /** Images: every unused one, not only the dangling; volumes: named ones too. */
  all: z.boolean().default(false),
  /** Only say what would go and what it would free. */
  dryRun: z.boolean().default(false),
});
export type PruneRequest = z.infer<typeof PruneRequest>;

export const ImageUsage = z.object({
  id: z.string(),
  names: z.array(z.string()),
  created: z.string(),
  /** Its blobs and unpacked layers on disk, those shared with other images included. */
  size: Bytes,
  /** The part of `size` other images use too. */
  sharedSize: Bytes,
  containers: z.number().int().nonnegative(),
});
export type ImageUsage = z.infer<typeof ImageUsage>;

export const ContainerUsage = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  status: z.string(),
  /** Its writable layer: what it changed over its image. */
  sizeRw: Bytes,
  /** Its log files, the rotated ones included. */
  logSize: Bytes,
});
export type ContainerUsage = z.infer<typeof ContainerUsage>;

export const VolumeUsage = z.object({ name: z.string(), size: Bytes, containers: z.number().int().nonnegative() });
export type VolumeUsage = z.infer<typeof VolumeUsage>;

/** Where the disk went: Docker's `system df`, with logs apart. */
export const DiskUsage = z.object({
  images: z.array(ImageUsage),
  /** Every image's blobs and layers, each counted once. */
  imagesSize: Bytes,
  /** What removing every image no container uses would free. */
  imagesReclaimable: Bytes,
  containers: z.array(ContainerUsage),
  volumes: z.array(VolumeUsage),
  /** The builder's own storage: base images and layers it keeps between builds. */
  buildCacheSize: Bytes,
});
export type DiskUsage = z.infer<typeof DiskUsage>;

export const SystemPruneRequest = PruneRequest.extend({
  /** Unused volumes made without a name go too. */
  volumes: z.boolean().default(false),
});
export type SystemPruneRequest = z.infer<typeof SystemPruneRequest>;

/** Docker's system prune, kind by kind: stopped containers, then unused networks, images, volumes and the build cache. */
export const SystemPruneReport = z.object({
  containers: PruneReport,
  networks: z.array(z.string()),
  images: PruneReport,
  volumes: PruneReport,
  buildCache: PruneReport,
  spaceReclaimed: Bytes,
});
export type SystemPruneReport = z.infer<typeof SystemPruneReport>;
