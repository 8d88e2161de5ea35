import type { ContainerRecord } from './container-record.js';

/** Whether a container that just exited by itself should be started again, as Docker decides. */
export function shouldRestartAfterExit(container: Pick<ContainerRecord, 'spec' | 'state'>): boolean {
  const { restart } = container.spec;
  const { state } = container;
  if (state.stoppedByUser) return false;
  switch (restart.name) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return state.exitCode !== 0 && (restart.maxRetries === 0 || state.restartCount < restart.maxRetries);
  }
}

/**
 * Whether the engine starts an exited container when the engine itself starts: `always` even after
 * a user stop (as Docker's daemon does), the others as if the container had just exited.
 */
export function shouldStartWithEngine(container: Pick<ContainerRecord, 'spec' | 'state'>): boolean {
  const { restart } = container.spec;
  // A quit is neither a failure nor the user's stop: only the policies that outlive stops apply.
  if (container.state.stoppedByQuit) return restart.name === 'always' || (restart.name === 'unless-stopped' && !container.state.stoppedByUser);
  return restart.name === 'always' || shouldRestartAfterExit(container);
}

/** A run at least this long counts as healthy and resets the back-off. */
const HEALTHY_RUN_MS = 10_000;

/**
 * Docker's back-off: 100 ms doubling per consecutive quick exit, at most a minute; a run that lasted
 * 10 s or more starts the count again. Returns the delay and the new count of quick exits.
 */
export function restartBackoff(quickExits: number, ranMs: number): { delayMs: number; quickExits: number } {
  const streak = ranMs >= HEALTHY_RUN_MS ? 0 : quickExits;
  return { delayMs: Math.min(60_000, 100 * 2 ** Math.min(streak, 10)), quickExits: streak + 1 };
}
