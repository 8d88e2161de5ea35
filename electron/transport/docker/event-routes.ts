import { CONTAINER_ACTIONS, isOneOf } from '../../../shared/choices.js';
import type { ContainerAction } from '../../../shared/containers.js';
import { DockerError, type DockerRoute } from './docker-call.js';
import { startStream, writeJsonLine } from './docker-reply.js';
import { queryFilters, queryTime } from './docker-query.js';

/** Docker spells some actions with what they were about: "health_status: healthy", "exec_start: sh". */
function dockerAction(event: ContainerAction): string {
  if (event.action === 'health_status' && event.attributes.healthStatus) return `health_status: ${event.attributes.healthStatus}`;
  if ((event.action === 'exec_start' || event.action === 'exec_die') && event.attributes.command) return `${event.action}: ${event.attributes.command}`;
  return event.action;
}

/** One event as Docker streams it (the old top-level fields included: docker-py still reads `status`). */
export function dockerEvent(event: ContainerAction) {
  const ms = Date.parse(event.time);
  const action = dockerAction(event);
  return {
    status: action,
    id: event.id,
    from: event.image,
    Type: 'container',
    Action: action,
    Actor: { ID: event.id, Attributes: { ...event.attributes, image: event.image, name: event.name } },
    scope: 'local',
    time: Math.floor(ms / 1000),
    timeNano: ms * 1_000_000,
  };
}

/** `GET /events`: container events, those kept since `since`, then each as it happens until `until` or the client goes. */
export function eventRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async (call) => {
        const filters = queryFilters(call.query, ['type', 'container', 'label', 'event', 'image']);
        const types = filters.get('type') ?? [];
        const actions = (filters.get('event') ?? []).map((e) => e.replace(/:.*$/, ''));
        const unknown = actions.find((a) => !isOneOf(CONTAINER_ACTIONS, a));
        // Berth has container events only: a filter for other types or actions matches nothing, as in Docker.
        const none = (types.length > 0 && !types.includes('container')) || unknown !== undefined;
        const images = filters.get('image') ?? [];
        const since = queryTime(call.query, 'since');
        const until = queryTime(call.query, 'until');
        if (since !== undefined && until !== undefined && until < since) throw new DockerError(400, 'until is before since');
        startStream(call.res, 'application/json');
        await call.engine(
          'system.events',
          { actions: actions.filter((a) => isOneOf(CONTAINER_ACTIONS, a)), containers: filters.get('container') ?? [], labels: filters.get('label') ?? [], since, until },
          (event) => {
            if (none || (images.length > 0 && !images.includes(event.image))) return;
            writeJsonLine(call.res, dockerEvent(event));
          },
        );
        call.res.end();
        return undefined;
      },
    },
  ];
}
