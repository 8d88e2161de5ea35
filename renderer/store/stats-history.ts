import type { ContainerStats } from '../../shared/containers.js';

/** Ten minutes of the engine's one-second samples. */
export const HISTORY_SAMPLES = 600;

/** What is charted, one value per sample; rates are bytes a second between two samples. */
export const SERIES = ['cpuPercent', 'memoryBytes', 'memoryLimitBytes', 'netRx', 'netTx', 'blockRead', 'blockWrite'] as const;
export type SeriesName = (typeof SERIES)[number];

/** The samples of one container in time order, as charts take them: seconds, then one array per series. */
export type SeriesData = { time: Float64Array } & Record<SeriesName, Float32Array>;

/** Fixed-size rings per container: memory is bounded by the containers running, never by time. */
class ContainerRing {
  readonly time = new Float64Array(HISTORY_SAMPLES);
  readonly values = SERIES.map(() => new Float32Array(HISTORY_SAMPLES));
  /** Where the next sample goes, and how many are held. */
  next = 0;
  count = 0;
  previous: { at: number; stats: ContainerStats } | undefined;

  push(at: number, stats: ContainerStats): void {
    const previous = this.previous;
    const seconds = previous ? at - previous.at : 0;
    // A counter that went down was reset (a restart): that second shows nothing rather than a negative rate.
    const rate = (now: number, before: number | undefined) => (seconds > 0 && before !== undefined && now >= before ? (now - before) / seconds : 0);
    const row: Record<SeriesName, number> = {
      cpuPercent: stats.cpuPercent,
      memoryBytes: stats.memoryBytes,
      memoryLimitBytes: stats.memoryLimitBytes,
      netRx: rate(stats.netRxBytes, previous?.stats.netRxBytes),
      netTx: rate(stats.netTxBytes, previous?.stats.netTxBytes),
      blockRead: rate(stats.blockReadBytes, previous?.stats.blockReadBytes),
      blockWrite: rate(stats.blockWriteBytes, previous?.stats.blockWriteBytes),
    };
    this.time[this.next] = at;
    SERIES.forEach((name, i) => (this.values[i]![this.next] = row[name]));
    this.next = (this.next + 1) % HISTORY_SAMPLES;
    this.count = Math.min(this.count + 1, HISTORY_SAMPLES);
    this.previous = { at, stats };
  }

  /** The last `limit` samples, oldest first. */
  read(limit: number): SeriesData {
    const n = Math.min(limit, this.count);
    const start = (this.next - n + HISTORY_SAMPLES) % HISTORY_SAMPLES;
    const ordered = <A extends Float32Array | Float64Array>(ring: A, out: A): A => {
      const head = Math.min(n, HISTORY_SAMPLES - start);
      out.set(ring.subarray(start, start + head));
      out.set(ring.subarray(0, n - head), head);
      return out;
    };
    const data = { time: ordered(this.time, new Float64Array(n)) } as SeriesData;
    SERIES.forEach((name, i) => (data[name] = ordered(this.values[i]!, new Float32Array(n))));
    return data;
  }
}

/**
 * The recent samples of every running container, fed by the stats stream. It lives beside the
 * zustand store, not in it: a sample changes it in place, and the store's `byId` change tells
 * subscribers to read it again.
 */
export class StatsHistory {
  private readonly rings = new Map<string, ContainerRing>();

  /** One sample of every running container; one left out has stopped and its history goes. */
  add(at: number, samples: readonly ContainerStats[]): void {
    const live = new Set<string>();
    for (const stats of samples) {
      live.add(stats.id);
      let ring = this.rings.get(stats.id);
      if (!ring) this.rings.set(stats.id, (ring = new ContainerRing()));
      ring.push(at, stats);
    }
    for (const id of this.rings.keys()) if (!live.has(id)) this.rings.delete(id);
  }

  series(id: string, limit = HISTORY_SAMPLES): SeriesData | undefined {
    return this.rings.get(id)?.read(limit);
  }

  clear(): void {
    this.rings.clear();
  }
}
