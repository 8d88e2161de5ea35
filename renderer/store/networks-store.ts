import { create } from 'zustand';
import type { Network } from '../../shared/networks.js';

interface NetworksState {
  loaded: boolean;
  /** The built-in networks first, then the user's by name, as the engine lists them. */
  networks: Network[];
  replaceAll(networks: Network[]): void;
}

export const useNetworks = create<NetworksState>()((set) => ({
  loaded: false,
  networks: [],
  replaceAll(networks) {
    set({ loaded: true, networks });
  },
}));
