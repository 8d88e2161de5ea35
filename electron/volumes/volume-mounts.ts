import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';

/** A folder to make visible in a container, by its Linux-side path. */
export interface VolumeSource {
  linuxPath: string;
  readOnly: boolean;
  /** How the user named it, for errors. */
  label: string;
}

/**
 * Where a running container's folders are mounted on the Linux side: outside its bundle, so that
 * removing a bundle (rm -rf) can never reach into a user's folder.
 */
export function stagingDir(dataRoot: string, containerId: string): string {
  return `${dataRoot}/mounts/${containerId}`;
}

/** Exit status of the mount script when a source is missing; it prints the source's index. */
const MISSING = 45;

const MOUNT_SCRIPT = [
  'dir=$1; shift; mkdir -p "$dir" && chmod 700 "$dir" || exit 1; i=0',
  'while [ $# -gt 0 ]; do',
  '  src=$1; mode=$2; shift 2; t="$dir/$i"',
  // A file is bound onto a file, a folder onto a folder.
  `  if [ -d "$src" ]; then mkdir "$t"; elif [ -e "$src" ]; then : >"$t"; else echo $i; exit ${MISSING}; fi || exit 1`,
  // Private, so mounts the container makes under it never reach back to the host's folder.
  '  mount --rbind "$src" "$t" && mount --make-rprivate "$t" || exit 1',
  '  [ "$mode" = ro ] && { mount -o remount,bind,ro "$t" || exit 1; }',
  '  i=$((i+1))',
  'done',
].join('\n');

/**
 * Unmounts, then removes each mount point with rmdir or rm -f of a file: never a recursive delete,
 * so a mount that would not go leaves the user's files alone and the step fails instead.
 */
const UNMOUNT_SCRIPT = [
  'dir=$1; [ -d "$dir" ] || exit 0',
  'for t in "$dir"/*; do',
  '  [ -e "$t" ] || continue',
  '  if mountpoint -q "$t"; then umount -R "$t" 2>/dev/null || umount -R -l "$t" || exit 1; fi',
  '  if [ -d "$t" ]; then rmdir "$t"; else rm -f "$t"; fi || exit 1',
  'done',
  'rmdir "$dir"',
].join('\n');

/**
 * Mounts a container's folders at start, in the Linux side's own mount namespace, for the runtime to
 * bind into the container; returns each one's mount point, in order. Deferred to start and released at
 * stop, so a stopped container holds no host folder. On failure it releases what it mounted.
 */
export async function mountVolumes(host: Host, dataRoot: string, containerId: string, sources: readonly VolumeSource[]): Promise<string[]> {
  if (sources.length === 0) return [];
  const dir = stagingDir(dataRoot, containerId);
  const args = sources.flatMap((s) => [s.linuxPath, s.readOnly ? 'ro' : 'rw']);
  const result = await host.exec(['sh', '-c', MOUNT_SCRIPT, 'berth-mount-volumes', dir, ...args]);
  if (result.code !== 0) {
    await unmountVolumes(host, dataRoot, containerId).catch(() => {});
    const missing = result.code === MISSING ? sources[Number(result.stdout.toString().trim())] : undefined;
    if (missing) throw new BerthError('INVALID_ARGUMENT', `invalid volume: the source ${missing.label} does not exist`);
    throw new BerthError('RUNTIME_ERROR', `mounting the container's volumes failed: ${result.stderr.toString().trim()}`);
  }
  return sources.map((_, i) => `${dir}/${i}`);
}

export async function unmountVolumes(host: Host, dataRoot: string, containerId: string): Promise<void> {
  const result = await host.exec(['sh', '-c', UNMOUNT_SCRIPT, 'berth-unmount-volumes', stagingDir(dataRoot, containerId)]);
  if (result.code !== 0) throw new BerthError('RUNTIME_ERROR', `releasing the container's volumes failed: ${result.stderr.toString().trim()}`);
}
