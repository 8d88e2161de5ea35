import { describe, expect, it } from 'vitest';
import { Container } from '../../shared/containers.js';
import { restartDelayMs, shouldRestartAfterExit, shouldStartWithEngine } from './restart-policy.js';

function container(restart: string, maxRetries: number, exitCode: number, restartCount = 0, stoppedByUser = false): Container {
  return Container.parse({
    id: 'x',
    name: 'x',
    image: 'hello',
    imageId: 'sha256:0',
    created: '',
    command: ['sh'],
    spec: { image: 'hello', restart: { name: restart, maxRetries } },
    state: { status: 'exited', exitCode, restartCount, stoppedByUser },
    network: { mode: 'bridge' },
  });
}

describe('restart policy', () => {
  it('restarts on-failure only for non-zero exits, up to the retry limit', () => {
    expect(shouldRestartAfterExit(container('on-failure', 0, 1))).toBe(true);
    expect(shouldRestartAfterExit(container('on-failure', 0, 0))).toBe(false);
    expect(shouldRestartAfterExit(container('on-failure', 3, 1, 2))).toBe(true);
    expect(shouldRestartAfterExit(container('on-failure', 3, 1, 3))).toBe(false);
  });

  it('never restarts what the user stopped, and no never restarts', () => {
    expect(shouldRestartAfterExit(container('always', 0, 0, 0, true))).toBe(false);
    expect(shouldRestartAfterExit(container('unless-stopped', 0, 0, 0, true))).toBe(false);
    expect(shouldRestartAfterExit(container('always', 0, 0))).toBe(true);
    expect(shouldRestartAfterExit(container('no', 0, 1))).toBe(false);
  });

  it('at engine start: always comes back even after a user stop, unless-stopped does not', () => {
    expect(shouldStartWithEngine(container('always', 0, 0, 0, true), false)).toBe(true);
    expect(shouldStartWithEngine(container('unless-stopped', 0, 0, 0, true), false)).toBe(false);
    expect(shouldStartWithEngine(container('unless-stopped', 0, 0), false)).toBe(true);
    expect(shouldStartWithEngine(container('on-failure', 0, 0), true)).toBe(true);
    expect(shouldStartWithEngine(container('no', 0, 0), true)).toBe(false);
  });

  it('backs off exponentially with a ceiling', () => {
    expect(restartDelayMs(0)).toBe(100);
    expect(restartDelayMs(3)).toBe(800);
    expect(restartDelayMs(50)).toBe(60_000);
  });
});
