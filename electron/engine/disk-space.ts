import type { DiskUsage, PruneReport, SystemPruneReport, SystemPruneRequest } from '../../shared/disk-usage.js';
import type { ImageBuilder } from '../build/image-builder.js';
import type { Containers } from '../containers/containers.js';
import type { ImageStore } from '../images/image-store.js';

const NOTHING: PruneReport = { removed: [], spaceReclaimed: 0 };

export interface DiskSpaceDeps {
  containers: Containers;
  images: ImageStore;
  builder: ImageBuilder;
}

/** Where the disk went, kind by kind (Docker's system df). */
export async function diskUsage({ containers, images, builder }: DiskSpaceDeps): Promise<DiskUsage> {
  const [imageUsage, containerUsage, volumes, buildCacheSize] = await Promise.all([images.usage((id) => containers.usesImage(id)), containers.diskUsage(), containers.volumeUsage(), builder.cacheSize()]);
  const users = new Map<string, number>();
  for (const c of containers.list(true)) users.set(c.imageId, (users.get(c.imageId) ?? 0) + 1);
  return {
    images: imageUsage.images.map(({ image, size, sharedSize }) => ({ id: image.id, names: image.names, created: image.created, size, sharedSize, containers: users.get(image.id) ?? 0 })),
    imagesSize: imageUsage.total,
    imagesReclaimable: imageUsage.reclaimable,
    containers: containerUsage,
    volumes,
    buildCacheSize,
  };
}

/**
 * Docker's system prune (the build cache only with -a): stopped containers first, so what only they held (networks, images,
 * volumes) goes next. A dry run removes nothing and counts as if the containers were gone already.
 */
export async function systemPrune({ containers, images, builder }: DiskSpaceDeps, request: SystemPruneRequest): Promise<SystemPruneReport> {
  const { dryRun } = request;
  const containerReport = await containers.prune(dryRun);
  const networks = await containers.pruneNetworks([], { dryRun, runningOnly: dryRun });
  const imageReport = await images.prune({ all: request.all, dryRun }, (id) => containers.usesImage(id, dryRun));
  const volumes = request.volumes ? await containers.pruneVolumes({ all: false, dryRun }, dryRun) : NOTHING;
  // The cache is all or nothing (buildah keeps no record of what is dangling): only -a empties it.
  const buildCache = request.all ? await builder.pruneCache(dryRun) : NOTHING;
  const reports = [containerReport, imageReport, volumes, buildCache];
  return { containers: containerReport, networks, images: imageReport, volumes, buildCache, spaceReclaimed: reports.reduce((sum, report) => sum + report.spaceReclaimed, 0) };
}
