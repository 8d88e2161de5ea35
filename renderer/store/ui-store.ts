import { create } from 'zustand';

export type View = 'containers' | 'images' | 'volumes' | 'networks' | 'settings';

/** A container, or every container of a compose stack. */
export type LogsSubject = { id: string } | { project: string };

interface UiState {
  view: View;
  /** The Run dialog, when open, and the image it was opened for. */
  run: { image: string } | undefined;
  /** Whose logs are shown. */
  logsOf: LogsSubject | undefined;
  filter: string;
  show(view: View): void;
  openRun(image?: string): void;
  closeRun(): void;
  showLogs(subject: LogsSubject | undefined): void;
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
