import type { PathStat } from '../../../shared/files.js';
import { DockerError, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { queryBool } from './docker-query.js';
import { COMMON_HEADERS, startStream, withUploadedFile } from './docker-reply.js';

/** Go's os.FileMode, which clients decode: the type in the high bits, setuid/setgid/sticky apart from the permissions. */
function goFileMode(stat: PathStat): number {
  const type = stat.type === 'directory' ? 2 ** 31 : stat.type === 'symlink' ? 2 ** 27 : 0;
  const special = (stat.mode & 0o4000 ? 2 ** 23 : 0) + (stat.mode & 0o2000 ? 2 ** 22 : 0) + (stat.mode & 0o1000 ? 2 ** 20 : 0);
  return type + special + (stat.mode & 0o777);
}

/** The header `docker cp` reads to learn what a path is before it copies. */
function statHeader(stat: PathStat): Record<string, string> {
  const json = JSON.stringify({ name: stat.name, size: stat.size, mode: goFileMode(stat), mtime: stat.mtime, linkTarget: stat.linkTarget });
  return { 'X-Docker-Container-Path-Stat': Buffer.from(json).toString('base64') };
}

function pathOf(call: DockerCall): string {
  const path = call.query.get('path');
  if (!path) throw new DockerError(400, 'bad parameter: path cannot be empty');
  return path;
}

/** Docker's archive: what a path is (HEAD), a path as a tar (GET), a tar into a folder (PUT). */
export function archiveRoutes(): DockerRoute[] {
  return [
    {
      method: 'HEAD',
      path: '/containers/:id/archive',
      handler: async (call) => {
        const stat = await call.engine('containers.files.stat', { id: call.params.id!, path: pathOf(call) });
        call.res.writeHead(200, { ...COMMON_HEADERS, ...statHeader(stat) });
        call.res.end();
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/archive',
      handler: async (call) => {
        const path = pathOf(call);
        const stat = await call.engine('containers.files.stat', { id: call.params.id!, path });
        startStream(call.res, 'application/x-tar', statHeader(stat));
        try {
          await call.engine('containers.files.get', { id: call.params.id!, path }, (chunk) => call.res.write(Buffer.from(chunk.base64, 'base64')));
        } catch {
          // The headers are out: a cut-off body is how the client learns the copy failed.
          call.res.destroy();
          return undefined;
        }
        call.res.end();
        return undefined;
      },
    },
    {
      method: 'PUT',
      path: '/containers/:id/archive',
      handler: async (call) => {
        const path = pathOf(call);
        const copyOwner = queryBool(call.query, 'copyUIDGID');
        await withUploadedFile(call.req, 'archive.tar', (file) => call.engine('containers.files.put', { id: call.params.id!, path, source: { kind: 'archive', file }, copyOwner }));
        return ok(undefined);
      },
    },
  ];
}
