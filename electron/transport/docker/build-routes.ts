import { DockerError, type DockerRoute } from './docker-call.js';
import { queryBool, queryJsonRecord } from './docker-query.js';
import { startStream, withUploadedFile, writeJsonLine, writeStreamError } from './docker-reply.js';

/**
 * `POST /build`: the classic builder's API, which `docker build` (without BuildKit), docker-py and
 * compose's `build:` speak. The context tar is written to a file of the request's own and built from
 * there; the builder's output travels as `{"stream"}` lines, the image id as `aux`.
 */
export function buildRoutes(): DockerRoute[] {
  return [
    {
      method: 'POST',
      path: '/build',
      handler: async (call) => {
        const { query } = call;
        if (query.get('remote')) throw new DockerError(400, 'Berth builds from an uploaded context only: remote= is not supported');
        if (query.get('version') === '2') throw new DockerError(400, 'Berth builds with the classic builder, not BuildKit: build with DOCKER_BUILDKIT=0');
        const options = {
          dockerfile: query.get('dockerfile') || 'Dockerfile',
          tags: query.getAll('t').filter((tag) => tag !== ''),
          buildArgs: queryJsonRecord(query, 'buildargs'),
          labels: queryJsonRecord(query, 'labels'),
          target: query.get('target') || undefined,
          noCache: queryBool(query, 'nocache'),
          pull: queryBool(query, 'pull'),
        };
        const quiet = queryBool(query, 'q');
        await withUploadedFile(call.req, 'context.tar', async (context) => {
          startStream(call.res, 'application/json');
          try {
            const image = await call.engine('images.build', { ...options, context, contextIsArchive: true }, ({ text }) => {
              if (!quiet) writeJsonLine(call.res, { stream: text });
            });
            writeJsonLine(call.res, { aux: { ID: image.id } });
            // Quiet, the id is all the output, and the CLI prints the output.
            if (quiet) writeJsonLine(call.res, { stream: `${image.id}\n` });
          } catch (err) {
            writeStreamError(call.res, err);
          }
        });
        call.res.end();
        return undefined;
      },
    },
  ];
}
