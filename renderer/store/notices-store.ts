import { create } from 'zustand';
import { describeError, type ErrorText } from '../api/error-text.js';

export interface Notice extends ErrorText {
  id: number;
  /** What the user was doing, e.g. "Stop web-1". */
  action: string;
}

interface NoticesState {
  notices: Notice[];
  report(action: string, error: unknown): void;
  dismiss(id: number): void;
}

const MAX_NOTICES = 3;
let nextId = 1;

/** Failures of row actions (a start that finds its port taken...), shown until dismissed. */
export const useNotices = create<NoticesState>()((set) => ({
  notices: [],
  report(action, error) {
    const notice = { id: nextId++, action, ...describeError(error) };
    set((state) => ({ notices: [...state.notices, notice].slice(-MAX_NOTICES) }));
  },
  dismiss(id) {
    set((state) => ({ notices: state.notices.filter((n) => n.id !== id) }));
  },
}));
