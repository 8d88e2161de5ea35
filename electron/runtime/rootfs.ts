import { BerthError } from '../../shared/berth-error.js';
import { execChecked } from '../host/exec-checked.js';
import type { Host } from '../host/host.js';
import type { BundlePaths } from './bundle.js';

/**
 * Mounts the container's root filesystem: an overlay of the image's unpacked layers with the
 * container's own upper dir on top. Nothing is copied, so creating a container is O(1) in image size.
 */
export async function mountRootfs(host: Host, paths: BundlePaths, layerDirs: string[]): Promise<void> {
  if (layerDirs.length === 0) throw new BerthError('RUNTIME_ERROR', 'image has no layers to mount');
  // overlayfs lists lower dirs top first.
  const lower = [...layerDirs].reverse().join(':');
  const options = `lowerdir=${lower},upperdir=${paths.upper},workdir=${paths.work}`;
  // Kernels refuse mount options over a page; say so instead of failing obscurely.
  if (options.length > 4000) throw new BerthError('RUNTIME_ERROR', `image has too many layers to mount (${layerDirs.length})`);
  // One command: every spawn counts on the path to a running container.
  const script = 'mountpoint -q "$1" && exit 0; mkdir -p "$1" "$2" "$3" && exec mount -t overlay overlay -o "$4" "$1"';
  await execChecked(host, ['sh', '-c', script, 'mount-rootfs', paths.rootfs, paths.upper, paths.work, options], 'RUNTIME_ERROR');
}

export async function unmountRootfs(host: Host, paths: BundlePaths): Promise<void> {
  // Mounted is the common case, so umount goes first (one process). A process still holding the
  // mount (a late exec) must not keep the container from stopping: fall back to a lazy unmount,
  // unless it was not mounted (anymore).
  const script = 'umount "$1" 2>/dev/null && exit 0; mountpoint -q "$1" || exit 0; exec umount -l "$1"';
  await execChecked(host, ['sh', '-c', script, 'unmount-rootfs', paths.rootfs], 'RUNTIME_ERROR');
}
