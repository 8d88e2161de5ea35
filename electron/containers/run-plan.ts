import { lstat } from 'node:fs/promises';
import type { RunSpec } from '../../shared/containers.js';
import { BerthError } from '../../shared/berth-error.js';
import type { Mount, SocketForward } from '../../shared/mounts.js';
import type { Host } from '../host/host.js';
import { parsePublishSpecs } from '../ports/port-publisher.js';
import type { PublishRequest } from '../ports/publish-spec.js';
import { checkResources } from '../runtime/resources.js';
import { parseSocketSpecs } from '../sockets/socket-spec.js';
import { parseVolumeSpecs } from '../volumes/volume-spec.js';

/** What a run asks for, parsed once from its spec. */
export interface RunPlan {
  publish: PublishRequest[];
  mounts: Mount[];
  sockets: SocketForward[];
}

/**
 * A run's ports, volumes, socket forwards and limits, parsed and checked before anything is made: a
 * bad spec, a folder or host socket that is not there, a host path already taken, two things on one
 * container path or conflicting options each fail the run with one line naming it.
 */
export async function planRun(host: Host, spec: RunSpec, containerId: string, cpuCount: number): Promise<RunPlan> {
  const publish = parsePublishSpecs(spec);
  checkResources(spec.resources, cpuCount);
  if (spec.autoRemove && spec.restart.name !== 'no') {
    throw invalid(`conflicting options: --rm and --restart ${spec.restart.name} (a container removed when it exits cannot be restarted)`);
  }
  const mounts = parseVolumeSpecs(spec.volumes, { isAbsolute: (path) => host.linuxPath(path) !== undefined, drives: host.windowsPaths });
  const sockets = parseSocketSpecs(containerId, spec.sockets, spec.socketListens);
  const taken = new Set(mounts.map((m) => m.destination));
  for (const forward of sockets.filter((f) => f.direction === 'to-host')) {
    if (taken.has(forward.containerPath)) throw invalid(`invalid --socket: ${forward.containerPath} is also given a volume`);
    taken.add(forward.containerPath);
  }
  for (const mount of mounts.filter((m) => m.type === 'bind')) {
    if (!(await host.stat(host.linuxPath(mount.source)!))) throw invalid(`invalid volume: the source ${mount.source} does not exist`);
  }
  for (const forward of sockets) {
    // Windows named pipes cannot be looked at with lstat; connecting is their only test.
    if (forward.hostPath.startsWith('\\\\.\\pipe\\')) continue;
    const existing = await lstat(forward.hostPath).catch(() => undefined);
    if (forward.direction === 'to-host' && !existing?.isSocket()) throw invalid(`invalid --socket: ${forward.hostPath} is not a socket on the host`);
    if (forward.direction === 'to-container' && existing && !existing.isSocket()) throw invalid(`invalid --socket-listen: ${forward.hostPath} already exists on the host`);
  }
  return { publish, mounts, sockets };
}

function invalid(message: string): BerthError {
  return new BerthError('INVALID_ARGUMENT', message);
}
