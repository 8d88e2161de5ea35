import { create } from 'zustand';
import type { ContainerStats } from '../../shared/containers.js';
import { StatsHistory } from './stats-history.js';

interface StatsState {
  byId: Record<string, ContainerStats>;
  replace(stats: ContainerStats[]): void;
  clear(): void;
}

/** The last ten minutes of every running container, for the charts; read again when `byId` changes. */
export const statsHistory = new StatsHistory();

/** Live CPU and memory, kept apart from the container records so a sample re-renders only its cells. */
export const useStats = create<StatsState>()((set) => ({
  byId: {},
  replace(stats) {
    statsHistory.add(Date.now() / 1000, stats);
    set({ byId: Object.fromEntries(stats.map((s) => [s.id, s])) });
  },
  clear() {
    statsHistory.clear();
    set({ byId: {} });
  },
}));
