import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../shared/berth-error.js';
import { DockerError, type DockerRoute } from './docker-call.js';
import { queryBool, queryJsonRecord } from './docker-query.js';
import { startStream, writeJsonLine } from './docker-reply.js';

/**
 * `POST /build`: the classic builder's API, which `docker build` (without BuildKit), docker-py and
 * compose's `build:` speak. The context tar is written to a folder of the request's own, built from
 * there, and goes after; the builder's output travels as `{"stream"}` lines, the image id as `aux`.
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
        const dir = await mkdtemp(join(tmpdir(), 'berth-build-'));
        try {
          const context = join(dir, 'context.tar');
          await pipeline(call.req, createWriteStream(context, { mode: 0o600 }));
          startStream(call.res, 'application/json');
          try {
            const image = await call.engine('images.build', { ...options, context, contextIsArchive: true }, ({ text }) => {
              if (!quiet) writeJsonLine(call.res, { stream: text });
            });
            writeJsonLine(call.res, { aux: { ID: image.id } });
            // Quiet, the id is all the output, and the CLI prints the output.
            if (quiet) writeJsonLine(call.res, { stream: `${image.id}\n` });
          } catch (err) {
            // The headers are out: an error now travels in the stream, where clients look for it.
            const message = BerthError.from(err).line;
            writeJsonLine(call.res, { errorDetail: { message }, error: message });
          }
          call.res.end();
          return undefined;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
  ];
}
