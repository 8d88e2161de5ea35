import type { Host } from '../host/host.js';

/** Where the runtime makes Berth's containers' cgroups, in every hierarchy (cgroup v1) or the one (v2). */
export const CGROUP_PARENT = '/berth';

/** The cgroup a container's runtime makes for it. */
export function containerCgroup(id: string): string {
  return `${CGROUP_PARENT}/${id}`;
}

// rmdir takes a cgroup only once it is empty: one still holding a container's (left running on quit) stays.
const REMOVE_EMPTY = 'for d in "$1$2" "$1"/*"$2"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done; exit 0';

/**
 * Removes the parent the runtime made (and leaves behind) for containers' cgroups, in every
 * hierarchy where nothing is left under it. `parent` and `cgroupRoot` are there for tests.
 */
export async function removeEmptyCgroupParent(host: Host, parent = CGROUP_PARENT, cgroupRoot = '/sys/fs/cgroup'): Promise<void> {
  await host.exec(['sh', '-c', REMOVE_EMPTY, 'sh', cgroupRoot, parent]);
}
