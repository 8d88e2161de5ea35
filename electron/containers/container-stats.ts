import type { Container, ContainerStats } from '../../shared/containers.js';
import type { Host } from '../host/host.js';
import { readCgroupStats, type CgroupStats } from '../runtime/cgroup-stats.js';

const INTERVAL_MS = 1_000;

interface Sample {
  at: number;
  stats: CgroupStats;
}

/** CPU, memory, block I/O and network of running containers, from their cgroups and namespaces, once or as a stream. */
export class ContainerStatsSampler {
  private readonly last = new Map<string, Sample>();

  constructor(private readonly host: Host) {}

  /**
   * One snapshot; with `emit`, a snapshot every second until `signal` aborts. CPU needs two samples,
   * so a first snapshot takes a short second look.
   */
  async sample(
    pick: () => Container[],
    emit: ((stats: ContainerStats[]) => void) | undefined,
    signal: AbortSignal,
  ): Promise<ContainerStats[]> {
    let snapshot = await this.snapshot(pick());
    if (!emit) return snapshot;
    while (!signal.aborted) {
      emit(snapshot);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, INTERVAL_MS);
        signal.addEventListener('abort', done, { once: true });
      });
      if (!signal.aborted) snapshot = await this.snapshot(pick());
    }
    return snapshot;
  }

  private async snapshot(containers: Container[]): Promise<ContainerStats[]> {
    const fresh = containers.filter((c) => !this.last.has(c.id));
    if (fresh.length > 0) {
      for (const [id, sample] of await this.read(fresh)) this.last.set(id, sample);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const current = await this.read(containers);
    const results = containers.map((c) => this.toStats(c, this.last.get(c.id), current.get(c.id)));
    const live = new Set(containers.map((c) => c.id));
    for (const id of this.last.keys()) if (!live.has(id)) this.last.delete(id);
    return results.filter((s): s is ContainerStats => s !== undefined);
  }

  /** One sample of every container, in one read. */
  private async read(containers: Container[]): Promise<Map<string, Sample>> {
    // A container on the host's network has no counters of its own (Docker shows none either).
    const stats = await readCgroupStats(this.host, containers.map((c) => ({ id: c.id, netPid: c.network.mode === 'host' ? 0 : c.state.pid })));
    const at = performance.now();
    return new Map([...stats].map(([id, found]) => [id, { at, stats: found }]));
  }

  private toStats(container: Container, previous: Sample | undefined, current: Sample | undefined): ContainerStats | undefined {
    if (!current) return undefined;
    this.last.set(container.id, current);
    const elapsedNs = previous ? (current.at - previous.at) * 1e6 : 0;
    const cpuNs = previous ? current.stats.cpuNanos - previous.stats.cpuNanos : 0;
    return {
      id: container.id,
      name: container.name,
      cpuPercent: elapsedNs > 0 ? Math.max(0, (cpuNs / elapsedNs) * 100) : 0,
      memoryBytes: current.stats.memoryBytes,
      memoryLimitBytes: current.stats.memoryLimitBytes,
      pids: current.stats.pids,
      netRxBytes: current.stats.netRxBytes,
      netTxBytes: current.stats.netTxBytes,
      blockReadBytes: current.stats.blockReadBytes,
      blockWriteBytes: current.stats.blockWriteBytes,
    };
  }
}
