import { create } from 'zustand';
import type { Container } from '../../shared/containers.js';

interface ContainersState {
  /** False until the first list arrives (the view shows placeholders, not an empty state). */
  loaded: boolean;
  byId: Record<string, Container>;
  /** Ids, newest first. Changes only when a container comes or goes, so rows re-render alone. */
  order: string[];
  replaceAll(containers: Container[]): void;
  upsert(container: Container): void;
  remove(id: string): void;
}

function newestFirst(a: Container, b: Container): number {
  return b.created.localeCompare(a.created);
}

export const useContainers = create<ContainersState>()((set) => ({
  loaded: false,
  byId: {},
  order: [],
  replaceAll(containers) {
    const sorted = [...containers].sort(newestFirst);
    set({ loaded: true, byId: Object.fromEntries(sorted.map((c) => [c.id, c])), order: sorted.map((c) => c.id) });
  },
  upsert(container) {
    set((state) => {
      const known = container.id in state.byId;
      return {
        byId: { ...state.byId, [container.id]: container },
        order: known ? state.order : insertNewest(state, container),
      };
    });
  },
  remove(id) {
    set((state) => {
      if (!(id in state.byId)) return state;
      const byId = { ...state.byId };
      delete byId[id];
      return { byId, order: state.order.filter((other) => other !== id) };
    });
  },
}));

function insertNewest(state: ContainersState, container: Container): string[] {
  const at = state.order.findIndex((id) => newestFirst(container, state.byId[id]!) <= 0);
  return at === -1 ? [...state.order, container.id] : [...state.order.slice(0, at), container.id, ...state.order.slice(at)];
}
