import type { EventEmitter } from 'node:events';
import type { Container, WaitCondition } from '../../shared/containers.js';
import type { ContractEvents, EventName, EventPayload } from '../../shared/contract.js';
import { BerthError } from '../../shared/berth-error.js';

/**
 * Resolves with the container's exit code once it meets Docker's wait condition, from the engine's
 * own change events: `not-running` (at once when it is not running), `next-exit` (an exit after
 * now), `removed` (the exit code it last had). Cancelling the call stops the wait.
 */
export function waitForContainer(events: EventEmitter<ContractEvents>, container: Container, condition: WaitCondition, signal: AbortSignal): Promise<number> {
  if (condition === 'not-running' && container.state.status !== 'running') return Promise.resolve(container.state.exitCode);
  return new Promise((resolve, reject) => {
    let { exitCode, finishedAt } = container.state;
    const onEvent = (name: EventName, payload: EventPayload<EventName>) => {
      if (name !== 'containers.changed') return;
      const change = payload as EventPayload<'containers.changed'>;
      if (change.removedId === container.id) return finish(exitCode);
      const current = change.container;
      if (current?.id !== container.id) return;
      exitCode = current.state.exitCode;
      const ended = current.state.status !== 'running';
      const exitedAgain = ended && current.state.finishedAt !== finishedAt;
      finishedAt = current.state.finishedAt;
      if ((condition === 'not-running' && ended) || (condition === 'next-exit' && exitedAgain)) finish(exitCode);
    };
    const onAbort = () => {
      events.off('event', onEvent);
      reject(new BerthError('INVALID_ARGUMENT', `wait for ${container.name} cancelled`));
    };
    const finish = (code: number) => {
      events.off('event', onEvent);
      signal.removeEventListener('abort', onAbort);
      resolve(code);
    };
    events.on('event', onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
