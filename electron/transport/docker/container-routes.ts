import { BerthError } from '../../../shared/berth-error.js';
import { isOneOf, WAIT_CONDITIONS } from '../../../shared/choices.js';
import type { Container } from '../../../shared/containers.js';
import type { ImageConfig } from '../../../shared/images.js';
import { labelsMatch } from '../../../shared/labels.js';
import { DockerError, noContent, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { queryBool, queryFilters, queryInt, queryTime } from './docker-query.js';
import { containerInspect, containerSummary } from './container-shapes.js';
import { runSpecOf } from './create-body.js';
import { startStream } from './docker-reply.js';
import { frame } from './stream-frames.js';

/** Docker's names for a container's state in `status` filters. */
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

function listFilter(call: DockerCall): (c: Container) => boolean {
  const filters = queryFilters(call.query, ['label', 'name', 'status', 'id', 'ancestor', 'exited', 'health']);
  for (const status of filters.get('status') ?? []) if (!STATUSES.includes(status)) throw new DockerError(400, `invalid filter 'status=${status}'`);
  const any = (name: string, test: (value: string) => boolean) => {
    const values = filters.get(name);
    return !values || values.length === 0 || values.some(test);
  };
  return (c) =>
    labelsMatch(c.spec.labels, filters.get('label') ?? []) &&
    any('name', (n) => c.name.includes(n.replace(/^\//, ''))) &&
    any('status', (s) => s === c.state.status) &&
    any('id', (id) => c.id.startsWith(id)) &&
    any('ancestor', (image) => c.image === image || c.imageId === image || c.imageId === `sha256:${image}` || c.image === `${image}:latest`) &&
    any('exited', (code) => c.state.status === 'exited' && String(c.state.exitCode) === code) &&
    any('health', (h) => (c.state.health?.status ?? 'none') === h);
}

/** The container's image's config: inspect shows its EXPOSEd ports, entrypoint and cmd, as Docker does. */
async function imageConfig(call: DockerCall, container: Container): Promise<ImageConfig | undefined> {
  const images = await call.engine('images.list', {});
  return images.find((image) => image.id === container.imageId)?.config;
}

/** `/containers/...`: the container model, as the docker CLI, docker-py and dockerode call it. */
export function containerRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (call) => {
        const keep = listFilter(call);
        const limit = queryInt(call.query, 'limit', -1, 1_000_000);
        // Docker's -n / --latest: the newest first, and those imply all.
        const all = queryBool(call.query, 'all') || (limit !== undefined && limit > 0);
        const containers = (await call.engine('containers.list', { all })).filter(keep).sort((a, b) => b.created.localeCompare(a.created));
        return ok((limit !== undefined && limit > 0 ? containers.slice(0, limit) : containers).map(containerSummary));
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (call) => {
        const spec = runSpecOf(await call.body(), call.query.get('name') || undefined);
        try {
          const container = await call.engine('containers.create', spec);
          return ok({ Id: container.id, Warnings: [] }, 201);
        } catch (err) {
          // The client pulls on this exact text, then creates again.
          if (BerthError.from(err).code === 'IMAGE_NOT_FOUND') throw new DockerError(404, `No such image: ${spec.image}`);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/json',
      handler: async (call) => {
        const container = await call.engine('containers.inspect', { id: call.params.id! });
        return ok(containerInspect(container, await imageConfig(call, container)));
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/start',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        if ((await call.engine('containers.inspect', { id })).state.status === 'running') return { status: 304 };
        await call.engine('containers.start', { id });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/stop',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        if ((await call.engine('containers.inspect', { id })).state.status !== 'running') return { status: 304 };
        await call.engine('containers.stop', { id, timeout: queryInt(call.query, 't', -1, 3600) ?? queryInt(call.query, 'timeout', -1, 3600) });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/restart',
      handler: async (call) => {
        await call.engine('containers.restart', { id: call.params.id!, timeout: queryInt(call.query, 't', 0, 3600) });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/kill',
      handler: async (call) => {
        await call.engine('containers.kill', { id: call.params.id!, signal: call.query.get('signal') || 'KILL' });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/wait',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        const condition = call.query.get('condition') || 'not-running';
        if (!isOneOf(WAIT_CONDITIONS, condition)) throw new DockerError(400, `invalid condition: "${condition.slice(0, 64)}"`);
        await call.engine('containers.inspect', { id });
        // The headers go at once: the docker CLI waits for them before it starts the container.
        startStream(call.res, 'application/json');
        try {
          const { exitCode } = await call.engine('containers.wait', { id, condition });
          call.res.end(`${JSON.stringify({ StatusCode: exitCode, Error: null })}\n`);
        } catch (err) {
          call.res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } })}\n`);
        }
        return undefined;
      },
    },
    {
      method: 'DELETE',
      path: '/containers/:id',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        const force = queryBool(call.query, 'force');
        const volumes = queryBool(call.query, 'v');
        if (!force && (await call.engine('containers.inspect', { id })).state.status === 'running') {
          throw new DockerError(409, `cannot remove container "/${id}": container is running: stop the container before removing or force remove`);
        }
        await call.engine('containers.remove', { id, force, volumes });
        return noContent;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/rename',
      handler: async (call) => {
        const name = call.query.get('name');
        if (!name) throw new DockerError(400, 'rename: a new name is needed (name=)');
        await call.engine('containers.rename', { id: call.params.id!, name });
        return noContent;
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/logs',
      handler: async (call) => {
        const { id } = call.params as { id: string };
        const stdout = queryBool(call.query, 'stdout');
        const stderr = queryBool(call.query, 'stderr');
        if (!stdout && !stderr) throw new DockerError(400, 'Bad parameters: you must choose at least one stream');
        const tailText = call.query.get('tail');
        const tail = tailText === null || tailText === '' || tailText === 'all' ? undefined : queryInt(call.query, 'tail', 0, 1_000_000_000);
        const container = await call.engine('containers.inspect', { id });
        const raw = container.spec.tty;
        startStream(call.res, raw ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
        await call.engine(
          'containers.logs',
          { id, tail, follow: queryBool(call.query, 'follow'), since: queryTime(call.query, 'since'), until: queryTime(call.query, 'until'), timestamps: queryBool(call.query, 'timestamps') },
          (chunk) => {
            if (chunk.base64 === '' || (chunk.stream === 'stdout' ? !stdout : !stderr)) return;
            const data = Buffer.from(chunk.base64, 'base64');
            call.res.write(raw ? data : frame(chunk.stream, data));
          },
        );
        call.res.end();
        return undefined;
      },
    },
  ];
}
