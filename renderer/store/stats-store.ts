import { create } from 'zustand';
import type { ContainerStats } from '../../shared/containers.js';

interface StatsState {
  byId: Record<string, ContainerStats>;
  replace(stats: ContainerStats[]): void;
  clear(): void;
}

/** Live CPU and memory, kept apart from the container records so a sample re-renders only its cells. */
export const useStats = create<StatsState>()((set) => ({
  byId: {},
  replace(stats) {
    set({ byId: Object.fromEntries(stats.map((s) => [s.id, s])) });
  },
  clear() {
    set({ byId: {} });
  },
}));
