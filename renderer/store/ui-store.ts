import { create } from 'zustand';
import { parseRoute, routeHash, type Route } from '../../shared/app-route.js';

/** A container, or every container of a compose stack. */
export type LogsSubject = { id: string } | { project: string };

interface UiState {
  /** What is on screen; the URL's hash says the same, so back, forward and deep links work. */
  route: Route;
  /** The Run dialog, when open, and the image it was opened for. */
  run: { image: string } | undefined;
  /** Whose logs are shown. */
  logsOf: LogsSubject | undefined;
  filter: string;
  navigate(route: Route): void;
  openRun(image?: string): void;
  closeRun(): void;
  showLogs(subject: LogsSubject | undefined): void;
  setFilter(filter: string): void;
}

export const useUi = create<UiState>()((set) => ({
  route: { page: 'containers' },
  run: undefined,
  logsOf: undefined,
  filter: '',
  navigate(route) {
    const hash = routeHash(route);
    // The history entry is the browser's (hashchange brings it back here); the state follows at once.
    if (globalThis.location && globalThis.location.hash !== hash) globalThis.location.hash = hash;
    set({ route });
  },
  openRun: (image = 'hello') => set({ run: { image } }),
  closeRun: () => set({ run: undefined }),
  showLogs: (logsOf) => set({ logsOf }),
  setFilter: (filter) => set({ filter }),
}));

/**
 * Follows the URL's hash: the first route comes from it, and back and forward move through it. In
 * the desktop app a clicked notification opens its page the same way.
 */
export function startRouting(): void {
  const follow = () => {
    const route = parseRoute(location.hash);
    if (routeHash(route) !== routeHash(useUi.getState().route)) useUi.setState({ route });
  };
  follow();
  addEventListener('hashchange', follow);
  window.berthApp?.onOpenPage((hash) => useUi.getState().navigate(parseRoute(hash)));
}
