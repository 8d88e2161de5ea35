import { BerthError } from '../../shared/berth-error.js';
import type { Resources } from '../../shared/containers.js';

/** The part of config.json's linux.resources that limits use (runc applies it to the container's cgroup). */
export interface OciResources {
  memory?: { limit: number; swap: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

/** Docker's floor: below it a container cannot even start its runtime. */
const MIN_MEMORY = 6 * 1024 * 1024;
const CPU_PERIOD_US = 100_000;

/** Checks limits as Docker does, before anything is made; the error names the bad one. */
export function checkResources(resources: Resources, cpuCount: number): void {
  const { memory, memorySwap, cpus } = resources;
  const invalid = (message: string) => new BerthError('INVALID_ARGUMENT', message);
  if (memory !== undefined && memory < MIN_MEMORY) throw invalid(`invalid --memory ${memory}: the least a container may have is 6 MiB`);
  if (memorySwap !== undefined && memorySwap !== -1) {
    if (memory === undefined) throw invalid('--memory-swap needs --memory: it is the total of memory and swap');
    if (memorySwap < memory) throw invalid(`invalid --memory-swap ${memorySwap}: it is the total of memory and swap, so at least --memory (${memory})`);
  }
  if (cpus !== undefined && (cpus < 0.01 || cpus > cpuCount)) {
    throw invalid(`invalid --cpus ${cpus}: from 0.01 to ${cpuCount}, as there are ${cpuCount} CPUs`);
  }
}

/**
 * The cgroup limits for config.json, with Docker's defaults: with --memory and no --memory-swap the
 * container may also use as much swap as memory (-1: swap without limit).
 */
export function ociResources(resources: Resources): OciResources {
  const { memory, memorySwap, cpus, cpuShares, pidsLimit } = resources;
  return {
    ...(memory !== undefined ? { memory: { limit: memory, swap: memorySwap ?? memory * 2 } } : {}),
    ...(cpus !== undefined || cpuShares !== undefined
      ? { cpu: { ...(cpuShares !== undefined ? { shares: cpuShares } : {}), ...(cpus !== undefined ? { quota: Math.round(cpus * CPU_PERIOD_US), period: CPU_PERIOD_US } : {}) } }
      : {}),
    ...(pidsLimit !== undefined && pidsLimit > 0 ? { pids: { limit: pidsLimit } } : {}),
  };
}
