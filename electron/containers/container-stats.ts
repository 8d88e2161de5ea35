import type { Container, ContainerStats } from '../../shared/containers.js';
import type { RuntimeCli, RuntimeStats } from '../runtime/runtime-cli.js';

const INTERVAL_MS = 1_000;

interface Sample {
  at: number;
  stats: RuntimeStats;
}

/** CPU and memory of running containers from their cgroups (through the runtime), once or as a stream. */
export class ContainerStatsSampler {
  private readonly last = new Map<string, Sample>();

  constructor(private readonly runtime: RuntimeCli) {}

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
      const firsts = await Promise.all(fresh.map((c) => this.read(c.id)));
      firsts.forEach((sample, i) => sample && this.last.set(fresh[i]!.id, sample));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const results = await Promise.all(containers.map(async (c) => this.toStats(c, this.last.get(c.id), await this.read(c.id))));
    const live = new Set(containers.map((c) => c.id));
    for (const id of this.last.keys()) if (!live.has(id)) this.last.delete(id);
    return results.filter((s): s is ContainerStats => s !== undefined);
  }

  private async read(id: string): Promise<Sample | undefined> {
    const stats = await this.runtime.stats(id);
    return stats && { at: performance.now(), stats };
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
    };
  }
}
