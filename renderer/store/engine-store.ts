import { create } from 'zustand';
import type { SystemInfo } from '../../shared/contract.js';
import type { HostStatus } from '../../shared/host-status.js';
import type { ErrorText } from '../api/error-text.js';
import type { LinkStatus } from '../../shared/wire-link.js';

interface EngineState {
  link: LinkStatus;
  /** Whether Linux is ready; while the WSL distro is set up, its step and progress. */
  host: HostStatus | undefined;
  info: SystemInfo | undefined;
  /** Why the engine could not be asked, when it could not. */
  problem: ErrorText | undefined;
  set(patch: Partial<Pick<EngineState, 'link' | 'host' | 'info' | 'problem'>>): void;
}

export const useEngine = create<EngineState>()((set) => ({
  link: 'connecting',
  host: undefined,
  info: undefined,
  problem: undefined,
  set: (patch) => set(patch),
}));
