import type { Container, WaitCondition } from '../../shared/containers.js';
import { BerthError } from '../../shared/berth-error.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerStore } from './container-store.js';

/**
 * Resolves with the container's exit code once it meets Docker's wait condition, from the record
 * store's change events: `not-running` (at once when it is not running), `next-exit` (an exit after
 * now), `removed` (the exit code it last had). Cancelling the call stops the wait.
 */
export function waitForContainer(store: ContainerStore, container: Container, condition: WaitCondition, signal: AbortSignal): Promise<number> {
  if (condition === 'not-running' && container.state.status !== 'running') return Promise.resolve(container.state.exitCode);
  return new Promise((resolve, reject) => {
    let { exitCode, finishedAt } = container.state;
    const onChange = (id: string, current: Container | undefined) => {
      if (id !== container.id) return;
      if (!current) return finish(exitCode);
      exitCode = current.state.exitCode;
      const ended = current.state.status !== 'running';
      const exitedAgain = ended && current.state.finishedAt !== finishedAt;
      finishedAt = current.state.finishedAt;
      if ((condition === 'not-running' && ended) || (condition === 'next-exit' && exitedAgain)) finish(exitCode);
    };
    const onAbort = () => {
      store.off('changed', onChange);
      reject(new BerthError('INVALID_ARGUMENT', `wait for ${container.name} cancelled`));
    };
    const finish = (code: number) => {
      store.off('changed', onChange);
      signal.removeEventListener('abort', onAbort);
      resolve(code);
    };
    store.on('changed', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves with the record once the container has started again after now (Docker's attach before
 * start: `run` and `start -a` connect first, then start). Its removal, or a cancel, ends the wait.
 */
export function waitForStart(store: ContainerStore, container: ContainerRecord, signal: AbortSignal): Promise<ContainerRecord> {
  return new Promise((resolve, reject) => {
    const startedAt = container.state.startedAt;
    const done = (settle: () => void) => {
      store.off('changed', onChange);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onChange = (id: string, current: ContainerRecord | undefined) => {
      if (id !== container.id) return;
      if (!current) return done(() => reject(new BerthError('CONTAINER_NOT_FOUND', `container ${container.name} was removed before it started`)));
      if (current.state.startedAt !== startedAt && current.state.status !== 'created') done(() => resolve(current));
    };
    const onAbort = () => done(() => reject(new BerthError('INVALID_ARGUMENT', `attach to ${container.name} cancelled`)));
    store.on('changed', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
