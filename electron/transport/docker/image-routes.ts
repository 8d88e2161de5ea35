import type { Image, PullProgress, PushProgress } from '../../../shared/images.js';
import { BerthError } from '../../../shared/berth-error.js';
import { familiarReference, parseReference, repositoryName, type Reference } from '../../images/reference.js';
import { unixSeconds } from './container-shapes.js';
import { imageInspect, imageSummary, repoTags } from './image-shapes.js';
import { DockerError, ok, type DockerCall, type DockerRoute } from './docker-call.js';
import { startStream, withUploadedFile, writeJsonLine, writeStreamError } from './docker-reply.js';
import { registryAuthOf } from './registry-routes.js';

/** An image by id, id prefix or any of its names, as Docker looks one up. */
async function findImage(call: DockerCall, ref: string): Promise<Image> {
  const images = await call.engine('images.list', {});
  const id = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
  let normalised: string | undefined;
  try {
    normalised = familiarReference(parseReference(ref));
  } catch {
    normalised = undefined;
  }
  const found =
    images.find((image) => image.names.some((name) => familiarReference(name) === normalised || name === ref)) ??
    images.find((image) => /^(sha256:)?[0-9a-f]{1,64}$/.test(ref) && image.id.startsWith(id));
  if (!found) throw new DockerError(404, `No such image: ${ref}`);
  return found;
}

/** Docker's words for a layer's progress, which the CLI draws as bars. */
const PULL_STATUS: Record<PullProgress['status'], string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  unpacking: 'Extracting',
  done: 'Pull complete',
  cached: 'Already exists',
};

const PUSH_STATUS: Record<PushProgress['status'], string> = {
  preparing: 'Preparing',
  waiting: 'Waiting',
  pushing: 'Pushing',
  pushed: 'Pushed',
  exists: 'Layer already exists',
};

/** A layer's progress as one of Docker's JSON lines: its short id, its words, and bytes while they move. */
function layerLine(layer: string, status: string, moving: boolean, current: number, total: number): Record<string, unknown> {
  return { status, progressDetail: moving ? { current, total } : {}, id: layer.replace(/^sha256:/, '').slice(0, 12) };
}

/** What a push names: the tag given, the name's own tag, or (neither) every local tag of the repository, as dockerd does. */
async function pushReferences(call: DockerCall, name: string, tag: string | null): Promise<string[]> {
  if (tag) return [`${name}:${tag}`];
  let parsed: Reference;
  try {
    parsed = parseReference(name);
  } catch (err) {
    throw new DockerError(400, BerthError.from(err).message);
  }
  if (/:[^/]+$/.test(name)) return [name];
  const repository = repositoryName(parsed);
  const names = (await call.engine('images.list', {})).flatMap((image) => image.names.filter((n) => repositoryName(parseReference(n)) === repository));
  if (names.length === 0) throw new DockerError(404, `An image does not exist locally with the tag: ${name}`);
  return names.sort();
}

function pullReference(query: URLSearchParams): string {
  const from = query.get('fromImage');
  if (!from) throw new DockerError(400, 'Berth pulls images only (fromImage=); importing from a tarball (fromSrc=) is not supported');
  const tag = query.get('tag');
  if (!tag) return from;
  return tag.includes(':') ? `${from}@${tag}` : `${from}:${tag}`;
}

/** `/images/...`: list, inspect, pull and remove. */
export function imageRoutes(): DockerRoute[] {
  return [
    { method: 'GET', path: '/images/json', handler: async (call) => ok((await call.engine('images.list', {})).map((image) => imageSummary(image))) },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (call) => {
        const reference = pullReference(call.query);
        let parsed: Reference;
        try {
          parsed = parseReference(reference);
        } catch (err) {
          throw new DockerError(400, BerthError.from(err).message);
        }
        const familiar = familiarReference(parsed);
        startStream(call.res, 'application/json');
        writeJsonLine(call.res, { status: `Pulling from ${parsed.path}`, id: parsed.tag ?? parsed.digest ?? 'latest' });
        try {
          const image = await call.engine('images.pull', { reference, credentials: registryAuthOf(call.req) }, (p) => {
            writeJsonLine(call.res, layerLine(p.layer, PULL_STATUS[p.status], p.status === 'downloading' || p.status === 'unpacking', p.current, p.total));
          });
          writeJsonLine(call.res, { status: `Digest: ${image.manifestDigest}` });
          writeJsonLine(call.res, { status: `Status: Downloaded newer image for ${familiar}` });
        } catch (err) {
          writeStreamError(call.res, err);
        }
        call.res.end();
        return undefined;
      },
    },
    {
      method: 'POST',
      path: '/images/*name/push',
      handler: async (call) => {
        const references = await pushReferences(call, call.params.name!, call.query.get('tag'));
        const credentials = registryAuthOf(call.req);
        startStream(call.res, 'application/json');
        try {
          for (const reference of references) {
            writeJsonLine(call.res, { status: `The push refers to repository [${familiarReference(reference).replace(/:[^/:]+$/, '')}]` });
            const pushed = await call.engine('images.push', { reference, credentials }, (p) => writeJsonLine(call.res, layerLine(p.layer, PUSH_STATUS[p.status], p.status === 'pushing', p.current, p.total)));
            const tag = parseReference(pushed.reference).tag ?? 'latest';
            writeJsonLine(call.res, { status: `${tag}: digest: ${pushed.digest} size: ${pushed.size}` });
            writeJsonLine(call.res, { progressDetail: {}, aux: { Tag: tag, Digest: pushed.digest, Size: pushed.size } });
          }
        } catch (err) {
          writeStreamError(call.res, err);
        }
        call.res.end();
        return undefined;
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (call) => {
        const images = await withUploadedFile(call.req, 'image.tar', (archive) => call.engine('images.load', { path: archive }));
        startStream(call.res, 'application/json');
        for (const image of images) {
          const names = repoTags(image);
          for (const name of names.length > 0 ? names : [image.id]) writeJsonLine(call.res, { stream: `Loaded image${names.length > 0 ? '' : ' ID'}: ${name}\n` });
        }
        call.res.end();
        return undefined;
      },
    },
    { method: 'GET', path: '/images/*name/json', handler: async (call) => ok(imageInspect(await findImage(call, call.params.name!))) },
    {
      method: 'GET',
      path: '/images/*name/history',
      handler: async (call) => {
        const image = await findImage(call, call.params.name!);
        const { steps } = await call.engine('images.history', { reference: image.id });
        // Newest first; only the top step is an image of its own here, as with a pulled image in Docker.
        return ok(
          steps.reverse().map((step, index) => ({
            Id: index === 0 ? image.id : '<missing>',
            Created: unixSeconds(step.created),
            CreatedBy: step.createdBy,
            Tags: index === 0 ? repoTags(image) : null,
            Size: step.size,
            Comment: step.comment,
          })),
        );
      },
    },
    {
      method: 'POST',
      path: '/images/*name/tag',
      handler: async (call) => {
        const repo = call.query.get('repo');
        if (!repo) throw new DockerError(400, 'repository name (repo=) must be given');
        const tag = call.query.get('tag') || 'latest';
        const image = await findImage(call, call.params.name!);
        await call.engine('images.tag', { source: image.id, target: `${repo}:${tag}` });
        return { status: 201 };
      },
    },
    {
      method: 'DELETE',
      path: '/images/*name',
      handler: async (call) => {
        const image = await findImage(call, call.params.name!);
        const removed = await call.engine('images.remove', { reference: call.params.name! });
        return ok([...repoTags(image).map((tag) => ({ Untagged: tag })), { Deleted: removed.id }]);
      },
    },
  ];
}
