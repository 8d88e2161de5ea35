import type { Container } from '../../shared/containers.js';

/** Whether a container that just exited by itself should be started again, as Docker decides. */
export function shouldRestartAfterExit(container: Container): boolean {
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

/** Whether the engine starts the container when the engine itself starts. */
export function shouldStartWithEngine(container: Container, wasRunning: boolean): boolean {
  const { restart } = container.spec;
  switch (restart.name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !container.state.stoppedByUser;
    case 'on-failure':
      // The engine went away under it: that is not the container's failure, so resume it.
      return wasRunning;
    case 'no':
      return false;
  }
}

/** Docker's back-off: 100 ms doubling per consecutive restart, at most a minute. */
export function restartDelayMs(restartCount: number): number {
  return Math.min(60_000, 100 * 2 ** Math.min(restartCount, 10));
}
