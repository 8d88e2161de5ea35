import type { Image } from '../../../shared/images.js';
import { familiarReference, parseReference } from '../../images/reference.js';
import { unixSeconds } from './container-shapes.js';

export const repoTags = (image: Image): string[] => image.names.map((name) => familiarReference(name));
/** `repo@digest` for each repository the image is named in. */
const repoDigests = (image: Image): string[] =>
  [...new Set(image.names.map((name) => familiarReference({ ...parseReference(name), tag: undefined, digest: undefined })))].map((repo) => `${repo}@${image.manifestDigest}`);

/** One row of `GET /images/json`; `containers` is counted only where Docker does (`system df`). */
export function imageSummary(image: Image, containers = -1) {
  return { Id: image.id, ParentId: '', RepoTags: repoTags(image), RepoDigests: repoDigests(image), Created: unixSeconds(image.created), Size: image.size, SharedSize: -1, Labels: image.config.labels, Containers: containers };
}

/** `GET /images/{name}/json`. */
export function imageInspect(image: Image) {
  const { config } = image;
  return {
    Id: image.id,
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: '',
    Created: image.created,
    Config: {
      User: config.user,
      Env: config.env,
      Cmd: config.cmd.length > 0 ? config.cmd : null,
      Entrypoint: config.entrypoint.length > 0 ? config.entrypoint : null,
      WorkingDir: config.workingDir,
      ExposedPorts: Object.fromEntries(config.exposedPorts.map((port) => [port.includes('/') ? port : `${port}/tcp`, {}])),
      Labels: config.labels,
      StopSignal: config.stopSignal || undefined,
      Volumes: config.volumes.length > 0 ? Object.fromEntries(config.volumes.map((path) => [path, {}])) : null,
    },
    Architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    Os: 'linux',
    Size: image.size,
    RootFS: { Type: 'layers', Layers: image.layers },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}
