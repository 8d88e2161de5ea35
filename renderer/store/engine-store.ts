import { create } from 'zustand';
import type { SystemInfo } from '../../shared/contract.js';
import type { ErrorText } from '../api/error-text.js';
import type { LinkStatus } from '../../shared/wire-link.js';

interface EngineState {
  link: LinkStatus;
  info: SystemInfo | undefined;
  /** Why the engine could not be asked, when it could not. */
  problem: ErrorText | undefined;
  set(patch: Partial<Pick<EngineState, 'link' | 'info' | 'problem'>>): void;
}

export const useEngine = create<EngineState>()((set) => ({
  link: 'connecting',
  info: undefined,
  problem: undefined,
  set: (patch) => set(patch),
}));
