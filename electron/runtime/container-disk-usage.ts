import type { Host } from '../host/host.js';
import { bundlePaths } from './bundle.js';

/**
 * Per bundle dir: its id, the bytes of its writable layer and of its logs (the live one and the
 * rotated ones; `du -c` counts the hard-linked held generation once). The rootfs is never walked:
 * a running container's is a mount of its image. One command per hundred containers, so WSL pays few calls.
 */
const USAGE_SCRIPT = [
  'for d in "$@"; do',
  '  u=$(du -sbx "$d/upper" 2>/dev/null | cut -f1)',
  '  l=$(du -cb "$d"/container.log* 2>/dev/null | tail -n 1 | cut -f1)',
  '  printf "%s %s %s\\n" "${d##*/}" "${u:-0}" "${l:-0}"',
  'done',
].join('\n');

/** Containers per call: the command line stays short, as wsl.exe needs. */
const PER_CALL = 100;

export interface ContainerBytes {
  /** What the container changed over its image. */
  sizeRw: number;
  logSize: number;
}

/** The disk each container takes besides its image; one that has no files yet takes 0. */
export async function containerDiskUsage(host: Host, ids: readonly string[]): Promise<Map<string, ContainerBytes>> {
  const usage = new Map<string, ContainerBytes>(ids.map((id) => [id, { sizeRw: 0, logSize: 0 }]));
  for (let start = 0; start < ids.length; start += PER_CALL) {
    const dirs = ids.slice(start, start + PER_CALL).map((id) => bundlePaths(host.dataRoot, id).dir);
    const result = await host.exec(['sh', '-c', USAGE_SCRIPT, 'berth-container-usage', ...dirs]);
    for (const line of result.stdout.toString().split('\n')) {
      const [id = '', sizeRw = '0', logSize = '0'] = line.split(' ');
      if (usage.has(id)) usage.set(id, { sizeRw: Number(sizeRw) || 0, logSize: Number(logSize) || 0 });
    }
  }
  return usage;
}
