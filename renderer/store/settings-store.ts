import { create } from 'zustand';
import type { Settings } from '../../shared/settings.js';

interface SettingsState {
  /** Undefined until the engine has said. */
  settings: Settings | undefined;
  replace(settings: Settings): void;
}

export const useSettings = create<SettingsState>()((set) => ({
  settings: undefined,
  replace: (settings) => set({ settings }),
}));
