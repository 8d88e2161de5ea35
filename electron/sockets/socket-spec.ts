import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';
import type { SocketForward } from '../../shared/mounts.js';
import { containerPath, splitHostFirst } from '../runtime/container-path.js';

/** sha256 of `containerId:destination`: the same socket forwarded to two containers is two forwards. */
export function forwardId(containerId: string, destination: string): string {
  return createHash('sha256').update(`${containerId}:${destination}`).digest('hex');
}

function hostPath(text: string, spec: string, flag: string): string {
  // Windows named pipes (\\.\pipe\name) are absolute there too; the engine's own platform decides.
  if (!isAbsolute(text)) throw new BerthError('INVALID_ARGUMENT', `invalid ${flag} "${spec}": the host path "${text}" is not absolute`);
  return text;
}

function two(spec: string, flag: string, parts: string[], shape: string): [string, string] {
  const [first = '', second, extra] = parts;
  if (second === undefined || extra !== undefined || first === '' || second === '') {
    throw new BerthError('INVALID_ARGUMENT', `invalid ${flag} "${spec}": expected ${shape}`);
  }
  return [first, second];
}

/**
 * A run's `--socket HOSTPATH:CONTAINERPATH` and `--socket-listen CONTAINERPATH:HOSTPATH` specs, as
 * forwards of this container. A destination given twice is refused: its id would name two forwards.
 */
export function parseSocketSpecs(containerId: string, sockets: readonly string[], listens: readonly string[]): SocketForward[] {
  const forwards: SocketForward[] = [];
  for (const spec of sockets) {
    const [host, inside] = two(spec, '--socket', splitHostFirst(spec, process.platform === 'win32'), 'HOST_SOCKET:CONTAINER_PATH');
    const path = containerPath(inside, '--socket', spec);
    forwards.push({ id: forwardId(containerId, path), direction: 'to-host', hostPath: hostPath(host, spec, '--socket'), containerPath: path });
  }
  for (const spec of listens) {
    const colon = spec.indexOf(':');
    const [inside, host] = two(spec, '--socket-listen', colon < 0 ? [spec] : [spec.slice(0, colon), spec.slice(colon + 1)], 'CONTAINER_SOCKET:HOST_PATH');
    const path = hostPath(host, spec, '--socket-listen');
    forwards.push({ id: forwardId(containerId, path), direction: 'to-container', hostPath: path, containerPath: containerPath(inside, '--socket-listen', spec) });
  }
  const ids = new Set<string>();
  for (const forward of forwards) {
    const destination = forward.direction === 'to-host' ? forward.containerPath : forward.hostPath;
    if (ids.has(forward.id)) throw new BerthError('INVALID_ARGUMENT', `invalid socket forward: ${destination} is given twice`);
    ids.add(forward.id);
  }
  return forwards;
}
