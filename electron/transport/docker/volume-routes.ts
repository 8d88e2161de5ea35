import { z } from 'zod';
import type { Volume } from '../../../shared/mounts.js';
import { labelsMatch } from '../../../shared/labels.js';
import { describeIssues } from '../dispatch.js';
import { DockerError, noContent, ok, type DockerRoute } from './docker-call.js';
import { queryFilters } from './docker-query.js';

/** A volume as Docker shows it (local driver). */
export function volumeShape(volume: Volume) {
  return { Name: volume.name, Driver: 'local', Mountpoint: volume.mountpoint, CreatedAt: volume.created, Labels: volume.labels, Scope: 'local', Options: {}, UsageData: { RefCount: volume.usedBy.length, Size: -1 } };
}

const CreateVolume = z.object({ Name: z.string().max(255).nullish(), Driver: z.string().nullish(), Labels: z.record(z.string(), z.string()).nullish() });

/**
 * Docker's volume list filters. They matter beyond `volume ls`: compose's `down -v` removes every
 * volume the list gives for `label=com.docker.compose.project=NAME`, so a filter ignored would take
 * other projects' and the user's own volumes.
 */
function listFilter(query: URLSearchParams): (volume: Volume) => boolean {
  const filters = queryFilters(query, ['name', 'label', 'driver', 'dangling']);
  const any = (name: string, test: (value: string) => boolean) => !filters.has(name) || filters.get(name)!.some(test);
  return (v) =>
    any('name', (name) => v.name.includes(name)) &&
    (filters.get('label') ?? []).every((label) => labelsMatch(v.labels, [label])) &&
    any('driver', (driver) => driver === 'local') &&
    any('dangling', (dangling) => (dangling === 'true' || dangling === '1') === (v.usedBy.length === 0));
}

/** `/volumes/...`: named volumes, local driver only. */
export function volumeRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: async (call) => {
        const keep = listFilter(call.query);
        return ok({ Volumes: (await call.engine('volumes.list', {})).filter(keep).map(volumeShape), Warnings: [] });
      },
    },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (call) => {
        const parsed = CreateVolume.safeParse((await call.body()) ?? {});
        if (!parsed.success) throw new DockerError(400, describeIssues('volume create', parsed.error));
        if (parsed.data.Driver && parsed.data.Driver !== 'local') throw new DockerError(400, `volume driver "${parsed.data.Driver}" is not supported by Berth (local is)`);
        return ok(volumeShape(await call.engine('volumes.create', { name: parsed.data.Name || undefined, labels: parsed.data.Labels ?? {} })), 201);
      },
    },
    {
      method: 'GET',
      path: '/volumes/:name',
      handler: async (call) => {
        const volume = (await call.engine('volumes.list', {})).find((v) => v.name === call.params.name);
        if (!volume) throw new DockerError(404, `get ${call.params.name}: no such volume`);
        return ok(volumeShape(volume));
      },
    },
    {
      method: 'DELETE',
      path: '/volumes/:name',
      handler: async (call) => {
        await call.engine('volumes.remove', { name: call.params.name! });
        return noContent;
      },
    },
  ];
}
