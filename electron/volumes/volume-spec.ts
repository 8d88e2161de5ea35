import { BerthError } from '../../shared/berth-error.js';
import { VOLUME_NAME, type Mount } from '../../shared/mounts.js';
import { containerPath, splitHostFirst } from '../runtime/container-path.js';

/** How the engine's host judges a folder's path: absolute or not, and whether it has drive letters. */
export interface HostPaths {
  isAbsolute(path: string): boolean;
  drives: boolean;
}

/**
 * Parses Docker's `-v SRC:DST[:OPTIONS]`: SRC is an absolute host path (on Windows C:\... too) or a
 * volume name, DST an absolute container path, OPTIONS `ro` or `rw`.
 */
export function parseVolumeSpec(spec: string, paths: HostPaths): Mount {
  const bad = (why: string, fix?: string) => new BerthError('INVALID_ARGUMENT', `invalid volume "${spec}": ${why}`, { fix });
  const [source = '', destination, options, extra] = splitHostFirst(spec, paths.drives);
  // `-v /data`: a container path alone asks for a volume of the container's own.
  if (destination === undefined && source.startsWith('/')) return { type: 'volume', source: '', destination: containerPath(source, 'volume', spec), readOnly: false, anonymous: true };
  if (destination === undefined || extra !== undefined) throw bad('expected SOURCE:CONTAINER_PATH[:ro] or CONTAINER_PATH');
  const type = VOLUME_NAME.test(source) ? 'volume' : 'bind';
  if (source === '') throw bad('the source is empty');
  if (type === 'bind' && !paths.isAbsolute(source)) throw bad(`the source "${source}" is a relative path`, 'give an absolute path or a volume name');
  const target = containerPath(destination, 'volume', spec);
  let readOnly = false;
  const seen = new Set<string>();
  for (const option of options === undefined ? [] : options.split(',')) {
    if (option !== 'ro' && option !== 'rw') throw bad(`unknown option "${option}"`, 'use ro or rw');
    seen.add(option);
    readOnly = option === 'ro';
  }
  if (seen.size > 1) throw bad('ro and rw contradict each other');
  return { type, source, destination: target, readOnly };
}

/** All of a run's `-v` specs; two mounts on one container path are refused, as Docker does. */
export function parseVolumeSpecs(specs: readonly string[], paths: HostPaths): Mount[] {
  const mounts = specs.map((spec) => parseVolumeSpec(spec, paths));
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (seen.has(mount.destination)) throw new BerthError('INVALID_ARGUMENT', `invalid volume: ${mount.destination} is mounted twice`);
    seen.add(mount.destination);
  }
  return mounts;
}
