import { describe, expect, it } from 'vitest';
import { ContainerRecord } from './container-record.js';
import { restartBackoff, shouldRestartAfterExit, shouldStartWithEngine } from './restart-policy.js';

function container(restart: string, maxRetries: number, exitCode: number, restartCount = 0, stoppedByUser = false): ContainerRecord {
  return ContainerRecord.parse({
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

  it('at engine start: always comes back even after a user stop; the others follow their exit rules', () => {
    expect(shouldStartWithEngine(container('always', 0, 0, 0, true))).toBe(true);
    expect(shouldStartWithEngine(container('unless-stopped', 0, 0, 0, true))).toBe(false);
    expect(shouldStartWithEngine(container('unless-stopped', 0, 0))).toBe(true);
    expect(shouldStartWithEngine(container('on-failure', 0, 0))).toBe(false);
    expect(shouldStartWithEngine(container('on-failure', 2, 1, 1))).toBe(true);
    expect(shouldStartWithEngine(container('on-failure', 2, 1, 2))).toBe(false);
    expect(shouldStartWithEngine(container('no', 0, 1))).toBe(false);
  });

  it('after a quit, brings back only always and unless-stopped: the quit was no failure', () => {
    const quit = (restart: string, exitCode: number) => {
      const c = container(restart, 0, exitCode);
      return { ...c, state: { ...c.state, stoppedByQuit: true } };
    };
    expect(shouldStartWithEngine(quit('always', 143))).toBe(true);
    expect(shouldStartWithEngine(quit('unless-stopped', 143))).toBe(true);
    expect(shouldStartWithEngine(quit('on-failure', 143))).toBe(false);
    expect(shouldStartWithEngine(quit('no', 0))).toBe(false);
  });

  it('backs off exponentially with a ceiling, and a healthy run resets it', () => {
    expect(restartBackoff(0, 50)).toEqual({ delayMs: 100, quickExits: 1 });
    expect(restartBackoff(3, 50)).toEqual({ delayMs: 800, quickExits: 4 });
    expect(restartBackoff(50, 50).delayMs).toBe(60_000);
    expect(restartBackoff(50, 10_000)).toEqual({ delayMs: 100, quickExits: 1 });
  });
});
