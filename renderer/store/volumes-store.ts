import { create } from 'zustand';
import type { Volume } from '../../shared/mounts.js';

interface VolumesState {
  loaded: boolean;
  volumes: Volume[];
  replaceAll(volumes: Volume[]): void;
}

export const useVolumes = create<VolumesState>()((set) => ({
  loaded: false,
  volumes: [],
  replaceAll(volumes) {
    set({ loaded: true, volumes: [...volumes].sort((a, b) => a.name.localeCompare(b.name)) });
  },
}));
