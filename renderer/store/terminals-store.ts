import { create } from 'zustand';
import { client } from '../api/client.js';

/** One tab of the Terminal panel: a view of an engine session, which outlives the tab. */
export interface TerminalTab {
  sessionId: string;
  containerId: string;
  /** Set once the shell ended; the tab stays so its last output can still be read. */
  exitCode: number | null;
  /** The container's main process (it was started with a terminal): closing its session detaches. */
  main: boolean;
}

/** The size a new session starts with; the tab fits it to the panel as soon as it is shown. */
const INITIAL_SIZE = { cols: 80, rows: 24 };

interface TerminalsState {
  tabs: TerminalTab[];
  active: string | undefined;
  /** Reattaches a session of the container that no tab shows, or starts a new one. */
  openFor(containerId: string): Promise<void>;
  /** Starts another session in the container, in a new tab. */
  openNew(containerId: string): Promise<void>;
  /** Shows the container's main process (started with a terminal), as `berth attach` does. */
  attachMain(containerId: string): Promise<void>;
  select(sessionId: string): void;
  /** Closes the tab only: the session keeps running and can be reattached. */
  detach(sessionId: string): void;
  /** Ends the session for good, and closes its tab. */
  closeSession(sessionId: string): Promise<void>;
  exited(sessionId: string, exitCode: number): void;
}

export const useTerminals = create<TerminalsState>()((set, get) => {
  const show = (tab: TerminalTab) =>
    set((s) => ({ tabs: s.tabs.some((t) => t.sessionId === tab.sessionId) ? s.tabs : [...s.tabs, tab], active: tab.sessionId }));

  const open = async (containerId: string, main: boolean) => {
    const session = await client.call('terminal.open', { id: containerId, command: [], main, ...INITIAL_SIZE });
    show({ sessionId: session.id, containerId: session.containerId, exitCode: null, main: session.main });
  };
  const openNew = (containerId: string) => open(containerId, false);

  return {
    tabs: [],
    active: undefined,
    openNew,
    attachMain: (containerId) => open(containerId, true),
    openFor: async (containerId) => {
      const shown = new Set(get().tabs.map((t) => t.sessionId));
      const sessions = await client.call('terminal.list', { containerId });
      // The newest running session that has no tab: the one the user most likely left.
      const detached = sessions
        .filter((s) => s.exitCode === null && !shown.has(s.id))
        .sort((a, b) => b.created.localeCompare(a.created))[0];
      if (detached) show({ sessionId: detached.id, containerId: detached.containerId, exitCode: null, main: detached.main });
      else await openNew(containerId);
    },
    select: (active) => set({ active }),
    detach: (sessionId) =>
      set((s) => {
        const index = s.tabs.findIndex((t) => t.sessionId === sessionId);
        const tabs = s.tabs.filter((t) => t.sessionId !== sessionId);
        const active = s.active !== sessionId ? s.active : (tabs[Math.min(index, tabs.length - 1)]?.sessionId ?? undefined);
        return { tabs, active };
      }),
    closeSession: async (sessionId) => {
      const tab = get().tabs.find((t) => t.sessionId === sessionId);
      // An ended session is gone from the engine already (or soon): closing it again is not an error worth showing.
      if (tab?.exitCode === null) await client.call('terminal.close', { sessionId });
      get().detach(sessionId);
    },
    exited: (sessionId, exitCode) => set((s) => ({ tabs: s.tabs.map((t) => (t.sessionId === sessionId ? { ...t, exitCode } : t)) })),
  };
});
