import { create } from 'zustand';

export type View = 'containers' | 'images' | 'volumes' | 'networks' | 'settings';

interface UiState {
  view: View;
  /** The Run dialog, when open, and the image it was opened for. */
  run: { image: string } | undefined;
  /** The container whose logs are shown. */
  logsOf: string | undefined;
  filter: string;
  show(view: View): void;
  openRun(image?: string): void;
  closeRun(): void;
  showLogs(id: string | undefined): void;
  setFilter(filter: string): void;
}

export const useUi = create<UiState>()((set) => ({
  view: 'containers',
  run: undefined,
  logsOf: undefined,
  filter: '',
  show: (view) => set({ view }),
  openRun: (image = 'hello') => set({ run: { image } }),
  closeRun: () => set({ run: undefined }),
  showLogs: (logsOf) => set({ logsOf }),
  setFilter: (filter) => set({ filter }),
}));
