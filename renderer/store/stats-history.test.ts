import { describe, expect, it } from 'vitest';
import type { ContainerStats } from '../../shared/containers.js';
import { HISTORY_SAMPLES, StatsHistory } from './stats-history.js';

function sample(id: string, counters: Partial<ContainerStats> = {}): ContainerStats {
  return { id, name: id, cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, pids: 1, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, ...counters };
}

describe('StatsHistory', () => {
  it('turns counters into rates a second, and a counter that went down into no rate', () => {
    const history = new StatsHistory();
    history.add(100, [sample('a', { netRxBytes: 1000, blockWriteBytes: 0 })]);
    history.add(102, [sample('a', { netRxBytes: 5000, blockWriteBytes: 300 })]);
    history.add(103, [sample('a', { netRxBytes: 10, blockWriteBytes: 900 })]);
    const data = history.series('a')!;
    expect([...data.time]).toEqual([100, 102, 103]);
    expect([...data.netRx]).toEqual([0, 2000, 0]);
    expect([...data.blockWrite]).toEqual([0, 150, 600]);
  });

  it('keeps ten minutes in time order past the ring wrapping, and the last N when asked', () => {
    const history = new StatsHistory();
    const total = HISTORY_SAMPLES + 45;
    for (let t = 0; t < total; t++) history.add(t, [sample('a', { cpuPercent: t % 100 })]);
    const data = history.series('a')!;
    expect(data.time.length).toBe(HISTORY_SAMPLES);
    expect(data.time[0]).toBe(45);
    expect(data.time[HISTORY_SAMPLES - 1]).toBe(total - 1);
    expect([...data.time].every((t, i, all) => i === 0 || t === all[i - 1]! + 1)).toBe(true);
    expect(data.cpuPercent[HISTORY_SAMPLES - 1]).toBe((total - 1) % 100);
    expect([...history.series('a', 3)!.time]).toEqual([total - 3, total - 2, total - 1]);
  });

  it('forgets a container left out of a sample (it stopped), and everything on clear', () => {
    const history = new StatsHistory();
    history.add(1, [sample('a'), sample('b')]);
    history.add(2, [sample('b')]);
    expect(history.series('a')).toBeUndefined();
    expect(history.series('b')!.time.length).toBe(2);
    history.clear();
    expect(history.series('b')).toBeUndefined();
  });
});
