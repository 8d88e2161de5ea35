import { containerSummary } from './container-shapes.js';
import { DockerError, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { queryFilters } from './docker-query.js';
import { imageSummary } from './image-shapes.js';
import { volumeShape } from './volume-routes.js';

/** Filters Docker's prunes take that Berth does not apply yet: refused by name, never ignored (that would remove more than asked). */
const UNAPPLIED_FILTERS = ['until', 'label', 'label!'];

/** The prune's filters, those it applies being `applied`. */
function pruneFilters(call: DockerCall, applied: readonly string[]): Map<string, string[]> {
  const filters = queryFilters(call.query, [...applied, ...UNAPPLIED_FILTERS]);
  const unapplied = [...filters.keys()].find((name) => !applied.includes(name));
  if (unapplied) throw new DockerError(400, `Berth's prune does not apply the filter '${unapplied}' yet: nothing was removed`);
  return filters;
}

/** A filter Docker sends as true or false (`dangling`, `all`); absent is `fallback`. */
function booleanFilter(call: DockerCall, name: string, fallback: boolean): boolean {
  const values = pruneFilters(call, [name]).get(name);
  return values === undefined ? fallback : values.some((value) => value === 'true' || value === '1');
}

/** `/system/df` and the prunes: where the disk went, and getting it back. Filters Berth cannot honour are refused, never ignored. */
export function diskRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/system/df',
      handler: async ({ engine }) => {
        const [usage, images, containers, volumes] = await Promise.all([engine('system.df', {}), engine('images.list', {}), engine('containers.list', { all: true }), engine('volumes.list', {})]);
        const imageBytes = new Map(usage.images.map((i) => [i.id, i]));
        const containerBytes = new Map(usage.containers.map((c) => [c.id, c]));
        const volumeBytes = new Map(usage.volumes.map((v) => [v.name, v.size]));
        return ok({
          LayersSize: usage.imagesSize,
          Images: images.map((image) => {
            const bytes = imageBytes.get(image.id);
            return { ...imageSummary(image, bytes?.containers ?? 0), Size: bytes?.size ?? image.size, SharedSize: bytes?.sharedSize ?? 0 };
          }),
          Containers: containers.map((c) => ({ ...containerSummary(c), SizeRw: containerBytes.get(c.id)?.sizeRw ?? 0, SizeRootFs: (containerBytes.get(c.id)?.sizeRw ?? 0) + (imageBytes.get(c.imageId)?.size ?? 0) })),
          Volumes: volumes.map((v) => {
            const shape = volumeShape(v);
            return { ...shape, UsageData: { ...shape.UsageData, Size: volumeBytes.get(v.name) ?? 0 } };
          }),
          // Buildah's storage is one cache: one record, so `docker system df` counts it.
          BuildCache:
            usage.buildCacheSize > 0
              ? [{ ID: 'berth-build-cache', Parent: '', Type: 'regular', Description: "the builder's storage", InUse: false, Shared: false, Size: usage.buildCacheSize, CreatedAt: new Date(0).toISOString(), LastUsedAt: null, UsageCount: 0 }]
              : [],
        });
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (call) => {
        pruneFilters(call, []);
        const report = await call.engine('containers.prune', { dryRun: false });
        return ok({ ContainersDeleted: report.removed, SpaceReclaimed: report.spaceReclaimed });
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (call) => {
        // `docker image prune -a` sends dangling=false.
        const report = await call.engine('images.prune', { all: !booleanFilter(call, 'dangling', true), dryRun: false });
        return ok({ ImagesDeleted: report.removed.map((id) => ({ Deleted: id })), SpaceReclaimed: report.spaceReclaimed });
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (call) => {
        // Before API 1.42 a prune took named volumes too; since then only with all=true.
        const report = await call.engine('volumes.prune', { all: booleanFilter(call, 'all', !call.apiAtLeast('1.42')), dryRun: false });
        return ok({ VolumesDeleted: report.removed, SpaceReclaimed: report.spaceReclaimed });
      },
    },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (call) => {
        pruneFilters(call, []);
        const report = await call.engine('builder.prune', { dryRun: false });
        return ok({ CachesDeleted: report.removed, SpaceReclaimed: report.spaceReclaimed });
      },
    },
  ];
}
